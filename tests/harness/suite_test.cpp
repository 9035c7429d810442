#include "harness/suite.h"

#include <gtest/gtest.h>

namespace r1b::harness {
namespace {

nlohmann::json minimal() {
  return nlohmann::json::parse(R"({"packs": [{"path": "p.jsonl"}], "backend": {"type": "replay", "path": "g.jsonl"}})");
}

TEST(Suite, RelativePathsResolveAgainstTheSuiteFolder) {
  auto suite = parse_suite(minimal(), "s.json", "/data/suites");
  ASSERT_TRUE(suite.is_ok()) << suite.status().message();
  EXPECT_EQ(suite->packs[0].spec.path, "/data/suites/p.jsonl");
  EXPECT_EQ(suite->packs[0].spec.name, "p");
  EXPECT_EQ(suite->backend["path"], "/data/suites/g.jsonl");
}

TEST(Suite, DefaultsFollowTheR1Protocol) {
  auto suite = parse_suite(minimal(), "s.json", "/d");
  ASSERT_TRUE(suite.is_ok());
  EXPECT_EQ(suite->n, 1);
  EXPECT_DOUBLE_EQ(suite->sampling.temperature, 0.6);
  EXPECT_DOUBLE_EQ(suite->sampling.top_p, 0.95);
  EXPECT_EQ(suite->chat_format, tasks::ChatFormat::kR1);
}

TEST(Suite, UnknownKeyIsAnErrorNamingFileAndKey) {
  auto j = minimal();
  j["temprature"] = 0.7;
  auto suite = parse_suite(j, "nightly.json", "/d");
  ASSERT_FALSE(suite.is_ok());
  EXPECT_NE(suite.status().message().find("nightly.json"), std::string::npos);
  EXPECT_NE(suite.status().message().find("temprature"), std::string::npos);
}

TEST(Suite, OutOfRangeValuesAreRejected) {
  for (auto [key, value] : std::vector<std::pair<std::string, nlohmann::json>>{
           {"n", 0}, {"top_p", 1.5}, {"temperature", -1}, {"n", "4"}, {"template", "chatml"}}) {
    auto j = minimal();
    j[key] = value;
    auto suite = parse_suite(j, "s.json", "/d");
    ASSERT_FALSE(suite.is_ok()) << key;
    EXPECT_NE(suite.status().message().find(key), std::string::npos);
  }
}

TEST(Suite, DuplicatePackNamesAreRejected) {
  auto j = minimal();
  j["packs"].push_back({{"path", "other/p.jsonl"}});
  EXPECT_FALSE(parse_suite(j, "s.json", "/d").is_ok());
}

TEST(Suite, MissingBackendIsRejected) {
  auto j = minimal();
  j.erase("backend");
  auto suite = parse_suite(j, "s.json", "/d");
  ASSERT_FALSE(suite.is_ok());
  EXPECT_NE(suite.status().message().find("backend"), std::string::npos);
}

TEST(Suite, ResolvedJsonParsesBackToTheSameSuite) {
  auto j = minimal();
  j["n"] = 8;
  j["seed"] = 42;
  j["template"] = "qwen2";
  j["packs"][0]["format"] = "aime";
  j["packs"][0]["limit"] = 5;
  auto suite = parse_suite(j, "s.json", "/d");
  ASSERT_TRUE(suite.is_ok());
  auto again = parse_suite(suite_to_json(*suite), "stored", "");
  ASSERT_TRUE(again.is_ok()) << again.status().message();
  EXPECT_EQ(suite_to_json(*again), suite_to_json(*suite));
  EXPECT_EQ(again->packs[0].spec.format, tasks::PackFormat::kAime);
  EXPECT_EQ(again->packs[0].limit, 5);
  EXPECT_EQ(again->sampling.seed, 42u);
}

TEST(Suite, MissingFileIsNotFound) {
  auto suite = load_suite("/nonexistent/suite.json");
  ASSERT_FALSE(suite.is_ok());
  EXPECT_EQ(suite.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace r1b::harness
