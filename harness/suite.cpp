#include "harness/suite.h"

#include <filesystem>
#include <fstream>
#include <set>

namespace r1b::harness {

namespace {

namespace fs = std::filesystem;

Status key_error(const std::string& where, const std::string& key, const std::string& what) {
  return Status::invalid_input(where + ": \"" + key + "\" " + what);
}

Status check_keys(const nlohmann::json& j, const std::set<std::string>& known, const std::string& where,
                  const std::string& prefix) {
  for (const auto& [key, value] : j.items()) {
    if (!known.count(key)) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return key_error(where, prefix + key, "is not a known key (known: " + list + ")");
    }
  }
  return Status::ok();
}

std::string resolve(const std::string& base_dir, const std::string& path) {
  fs::path p(path);
  if (p.is_relative() && !base_dir.empty()) p = fs::path(base_dir) / p;
  return p.lexically_normal().string();
}

template <typename T>
Status read_number(const nlohmann::json& j, const char* key, const std::string& where, T lo, T hi, T& out) {
  if (!j.contains(key)) return Status::ok();
  const auto& v = j[key];
  bool ok = std::is_integral_v<T> ? v.is_number_integer() : v.is_number();
  if (!ok) return key_error(where, key, std::is_integral_v<T> ? "must be an integer" : "must be a number");
  T value = v.get<T>();
  if (value < lo || value > hi) {
    return key_error(where, key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  out = value;
  return Status::ok();
}

Result<SuitePack> parse_pack(const nlohmann::json& j, size_t index, const std::string& where, const std::string& base_dir,
                             uint64_t default_seed) {
  const std::string at = where + ": packs[" + std::to_string(index) + "]";
  if (!j.is_object()) return Status::invalid_input(at + ": must be an object with a \"path\"");
  R1B_RETURN_IF_ERROR(check_keys(j, {"path", "name", "format", "shuffle_seed", "source", "year",
                                     "last_number_fallback", "limit", "repos_dir"}, at, ""));
  SuitePack pack;
  if (!j.contains("path") || !j["path"].is_string()) return key_error(at, "path", "is required (the pack file)");
  pack.spec.path = resolve(base_dir, j["path"]);
  pack.spec.name = j.contains("name") && j["name"].is_string() ? j["name"].get<std::string>()
                                                               : fs::path(pack.spec.path).stem().string();
  if (j.contains("format")) {
    auto format = j["format"].is_string() ? tasks::parse_format(j["format"].get<std::string>()) : std::nullopt;
    if (!format) {
      return key_error(at, "format",
                       "must be one of auto, native, math500, aime, gpqa, codeforces, code_contests, swebench");
    }
    pack.spec.format = *format;
  }
  if (j.contains("repos_dir")) {
    if (!j["repos_dir"].is_string()) return key_error(at, "repos_dir", "must be a folder path");
    pack.spec.repos_dir = resolve(base_dir, j["repos_dir"]);
  }
  pack.spec.shuffle_seed = default_seed;
  R1B_RETURN_IF_ERROR(read_number<uint64_t>(j, "shuffle_seed", at, 0, UINT64_MAX, pack.spec.shuffle_seed));
  if (j.contains("source")) {
    if (!j["source"].is_string()) return key_error(at, "source", "must be a string");
    pack.spec.source = j["source"];
  }
  if (j.contains("year")) {
    int year = 0;
    R1B_RETURN_IF_ERROR(read_number<int>(j, "year", at, 1900, 2200, year));
    pack.spec.year = year;
  }
  if (j.contains("last_number_fallback")) {
    if (!j["last_number_fallback"].is_boolean()) return key_error(at, "last_number_fallback", "must be true or false");
    pack.last_number_fallback = j["last_number_fallback"];
  }
  R1B_RETURN_IF_ERROR(read_number<int>(j, "limit", at, 0, 100000000, pack.limit));
  return pack;
}

}  // namespace

Result<Suite> parse_suite(const nlohmann::json& j, const std::string& where, const std::string& base_dir) {
  if (!j.is_object()) return Status::invalid_input(where + ": a suite must be a JSON object");
  R1B_RETURN_IF_ERROR(check_keys(j, {"name", "packs", "n", "temperature", "top_p", "max_tokens", "seed", "template",
                                     "backend"}, where, ""));
  Suite suite;
  suite.name = j.contains("name") && j["name"].is_string() ? j["name"].get<std::string>() : "suite";
  R1B_RETURN_IF_ERROR(read_number<int>(j, "n", where, 1, 100000, suite.n));
  R1B_RETURN_IF_ERROR(read_number<double>(j, "temperature", where, 0.0, 10.0, suite.sampling.temperature));
  R1B_RETURN_IF_ERROR(read_number<double>(j, "top_p", where, 0.0, 1.0, suite.sampling.top_p));
  R1B_RETURN_IF_ERROR(read_number<int>(j, "max_tokens", where, 1, 10000000, suite.sampling.max_tokens));
  R1B_RETURN_IF_ERROR(read_number<uint64_t>(j, "seed", where, 0, UINT64_MAX, suite.sampling.seed));
  if (j.contains("template")) {
    auto format = j["template"].is_string() ? tasks::parse_chat_format(j["template"].get<std::string>()) : std::nullopt;
    if (!format) return key_error(where, "template", "must be one of r1, qwen2, llama3, plain");
    suite.chat_format = *format;
  }
  if (!j.contains("packs") || !j["packs"].is_array() || j["packs"].empty()) {
    return key_error(where, "packs", "must be a non-empty array of packs ({\"path\": ...})");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < j["packs"].size(); ++i) {
    auto pack = parse_pack(j["packs"][i], i, where, base_dir, suite.sampling.seed);
    R1B_RETURN_IF_ERROR(pack);
    if (!names.insert(pack->spec.name).second) {
      return key_error(where, "packs[" + std::to_string(i) + "].name", "\"" + pack->spec.name +
                                                                           "\" is used twice (give each pack a unique name)");
    }
    suite.packs.push_back(std::move(*pack));
  }
  if (!j.contains("backend") || !j["backend"].is_object()) {
    return key_error(where, "backend", "is required: {\"type\": \"replay\", \"path\": ...} or {\"type\": \"openai\", ...}");
  }
  suite.backend = j["backend"];
  if (suite.backend.contains("path") && suite.backend["path"].is_string()) {
    suite.backend["path"] = resolve(base_dir, suite.backend["path"]);
  }
  return suite;
}

Result<Suite> load_suite(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::not_found(path + ": cannot open suite file (check --suite)");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::invalid_input(path + ": not valid JSON");
  return parse_suite(j, path, fs::path(path).parent_path().string());
}

nlohmann::json suite_to_json(const Suite& suite) {
  nlohmann::json j;
  j["name"] = suite.name;
  j["n"] = suite.n;
  j["temperature"] = suite.sampling.temperature;
  j["top_p"] = suite.sampling.top_p;
  j["max_tokens"] = suite.sampling.max_tokens;
  j["seed"] = suite.sampling.seed;
  j["template"] = tasks::chat_format_name(suite.chat_format);
  j["packs"] = nlohmann::json::array();
  for (const SuitePack& p : suite.packs) {
    nlohmann::json pj = {{"path", fs::absolute(p.spec.path).lexically_normal().string()},
                         {"name", p.spec.name},
                         {"format", tasks::format_name(p.spec.format)},
                         {"shuffle_seed", p.spec.shuffle_seed},
                         {"last_number_fallback", p.last_number_fallback},
                         {"limit", p.limit}};
    if (!p.spec.source.empty()) pj["source"] = p.spec.source;
    if (p.spec.year) pj["year"] = *p.spec.year;
    if (!p.spec.repos_dir.empty()) pj["repos_dir"] = fs::absolute(p.spec.repos_dir).lexically_normal().string();
    j["packs"].push_back(pj);
  }
  j["backend"] = suite.backend;
  if (j["backend"].contains("path") && j["backend"]["path"].is_string()) {
    j["backend"]["path"] = fs::absolute(j["backend"]["path"].get<std::string>()).lexically_normal().string();
  }
  return j;
}

}  // namespace r1b::harness
