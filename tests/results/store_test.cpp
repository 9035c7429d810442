#include "results/store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace r1b::results {
namespace {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "r1b_store_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "sub" / "results.db").string();  // parent folders are created by open()
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Store> open_store() {
    auto store = Store::open(path_);
    EXPECT_TRUE(store.is_ok()) << store.status().message();
    return store.is_ok() ? std::move(store).value() : nullptr;
  }

  static RunInfo sample_run() {
    RunInfo r;
    r.name = "nightly";
    r.suite_json = R"({"packs":["aime24"],"n":4})";
    r.model = "r1-distill-qwen-1.5b";
    r.backend = "replay";
    r.template_name = "r1";
    r.template_text = "<|User|>{prompt}<|Assistant|>";
    r.git_sha = "abc123";
    r.hardware = "cpu";
    r.verifier_version = "v1";
    r.seed = 7;
    r.started_at = "2024-05-01T10:00:00Z";
    return r;
  }

  static SampleRow sample(int64_t run_id, const std::string& task_id, int idx) {
    SampleRow s;
    s.run_id = run_id;
    s.pack = "aime24";
    s.task_id = task_id;
    s.sample_idx = idx;
    s.completion = "<think>x</think> \\boxed{" + std::to_string(idx) + "}";
    s.extracted = std::to_string(idx);
    s.verdict = idx == 0 ? "correct" : "wrong";
    s.correct = idx == 0;
    s.reward = idx == 0 ? 1.0 : 0.0;
    s.reason = idx == 0 ? "" : "expected 0";
    s.prompt_tokens = 100;
    s.completion_tokens = 20 + idx;
    s.latency_ms = 12.5;
    s.finish_reason = "stop";
    s.details_json = R"({"limits":{}})";
    return s;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(StoreTest, CreatedRunReadsBackWithEveryField) {
  auto store = open_store();
  RunInfo in = sample_run();
  in.parent_run_id = std::nullopt;
  auto id = store->create_run(in);
  ASSERT_TRUE(id.is_ok()) << id.status().message();
  auto out = store->run(*id);
  ASSERT_TRUE(out.is_ok()) << out.status().message();
  EXPECT_EQ(out->run_id, *id);
  EXPECT_EQ(out->name, in.name);
  EXPECT_EQ(out->suite_json, in.suite_json);
  EXPECT_EQ(out->model, in.model);
  EXPECT_EQ(out->backend, in.backend);
  EXPECT_EQ(out->template_name, in.template_name);
  EXPECT_EQ(out->template_text, in.template_text);
  EXPECT_EQ(out->git_sha, in.git_sha);
  EXPECT_EQ(out->hardware, in.hardware);
  EXPECT_EQ(out->verifier_version, in.verifier_version);
  EXPECT_EQ(out->seed, 7);
  EXPECT_FALSE(out->parent_run_id.has_value());
  EXPECT_EQ(out->status, "running");
  EXPECT_EQ(out->started_at, in.started_at);
  EXPECT_EQ(out->notes, "{}");  // empty notes are stored as an empty JSON object
}

TEST_F(StoreTest, RegradedRunKeepsItsParentAndRunsAreListedById) {
  auto store = open_store();
  auto parent = store->create_run(sample_run());
  RunInfo child = sample_run();
  child.parent_run_id = *parent;
  auto child_id = store->create_run(child);
  ASSERT_TRUE(child_id.is_ok());
  auto runs = store->runs();
  ASSERT_TRUE(runs.is_ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].run_id, *parent);
  EXPECT_EQ((*runs)[1].run_id, *child_id);
  EXPECT_EQ((*runs)[1].parent_run_id, std::optional<int64_t>(*parent));
}

TEST_F(StoreTest, FinishRunRecordsStatusNotesAndTime) {
  auto store = open_store();
  auto id = store->create_run(sample_run());
  ASSERT_TRUE(store->finish_run(*id, "complete", R"({"tokens_per_s":12.5})").is_ok());
  auto run = store->run(*id);
  EXPECT_EQ(run->status, "complete");
  EXPECT_EQ(run->notes, R"({"tokens_per_s":12.5})");
  EXPECT_FALSE(run->finished_at.empty());
}

TEST_F(StoreTest, UnknownRunIsNotFound) {
  auto store = open_store();
  auto run = store->run(42);
  ASSERT_FALSE(run.is_ok());
  EXPECT_EQ(run.status().code(), StatusCode::kNotFound);
  EXPECT_NE(run.status().message().find("42"), std::string::npos);
  EXPECT_EQ(store->finish_run(42, "complete", "{}").code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, TasksRoundTripAndAddingThemTwiceKeepsTheFirstCopy) {
  auto store = open_store();
  auto id = store->create_run(sample_run());
  std::vector<TaskRow> tasks = {{"aime24", "2024-I-1", R"({"id":"2024-I-1","answer":"204"})"},
                                {"aime24", "2024-I-2", R"({"id":"2024-I-2","answer":"25"})"}};
  ASSERT_TRUE(store->add_tasks(*id, tasks).is_ok());
  std::vector<TaskRow> again = {{"aime24", "2024-I-1", R"({"changed":true})"}};
  ASSERT_TRUE(store->add_tasks(*id, again).is_ok());
  auto out = store->tasks(*id);
  ASSERT_TRUE(out.is_ok());
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].task_id, "2024-I-1");
  EXPECT_EQ((*out)[0].task_json, tasks[0].task_json);
  EXPECT_EQ((*out)[1].pack, "aime24");
  EXPECT_EQ((*out)[1].task_json, tasks[1].task_json);
}

TEST_F(StoreTest, SamplesRoundTripIncludingUnknownTokenCounts) {
  auto store = open_store();
  auto id = store->create_run(sample_run());
  std::vector<SampleRow> in = {sample(*id, "t1", 0), sample(*id, "t1", 1)};
  in[1].prompt_tokens = std::nullopt;
  in[1].completion_tokens = std::nullopt;
  in[1].completion = "ünïcode \xE2\x9C\x93 and a NUL-free 'quote'";
  ASSERT_TRUE(store->add_samples(in).is_ok());
  auto out = store->samples(*id);
  ASSERT_TRUE(out.is_ok()) << out.status().message();
  ASSERT_EQ(out->size(), 2u);
  for (std::size_t i = 0; i < in.size(); ++i) {
    const SampleRow& a = in[i];
    const SampleRow& b = (*out)[i];
    EXPECT_EQ(b.run_id, a.run_id);
    EXPECT_EQ(b.pack, a.pack);
    EXPECT_EQ(b.task_id, a.task_id);
    EXPECT_EQ(b.sample_idx, a.sample_idx);
    EXPECT_EQ(b.completion, a.completion);
    EXPECT_EQ(b.extracted, a.extracted);
    EXPECT_EQ(b.verdict, a.verdict);
    EXPECT_EQ(b.correct, a.correct);
    EXPECT_DOUBLE_EQ(b.reward, a.reward);
    EXPECT_EQ(b.reason, a.reason);
    EXPECT_EQ(b.prompt_tokens, a.prompt_tokens);
    EXPECT_EQ(b.completion_tokens, a.completion_tokens);
    EXPECT_DOUBLE_EQ(b.latency_ms, a.latency_ms);
    EXPECT_EQ(b.finish_reason, a.finish_reason);
    EXPECT_EQ(b.details_json, a.details_json);
  }
  EXPECT_EQ(*store->num_samples(*id), 2);
}

TEST_F(StoreTest, StreamedSamplesMatchLoadedOnesInOrderWhenNothingIsCut) {
  auto store = open_store();
  auto id = store->create_run(sample_run());
  auto other = store->create_run(sample_run());
  std::vector<SampleRow> in = {sample(*id, "t2", 1), sample(*id, "t1", 1), sample(*id, "t2", 0),
                               sample(*id, "t1", 0), sample(*other, "t1", 0)};
  in[1].completion_tokens = std::nullopt;
  ASSERT_TRUE(store->add_samples(in).is_ok());
  auto loaded = store->samples(*id);
  ASSERT_TRUE(loaded.is_ok());
  std::vector<StreamedSample> streamed;
  Status st = store->for_each_sample(*id, kNoTextLimit, [&](const StreamedSample& s) { streamed.push_back(s); });
  ASSERT_TRUE(st.is_ok()) << st.message();
  ASSERT_EQ(streamed.size(), 4u);  // the other run's sample is not handed over
  for (std::size_t i = 0; i < streamed.size(); ++i) {
    const SampleRow& a = (*loaded)[i];
    const SampleRow& b = streamed[i].row;
    EXPECT_EQ(b.run_id, a.run_id);
    EXPECT_EQ(b.pack, a.pack);
    EXPECT_EQ(b.task_id, a.task_id);
    EXPECT_EQ(b.sample_idx, a.sample_idx);
    EXPECT_EQ(b.completion, a.completion);
    EXPECT_EQ(b.extracted, a.extracted);
    EXPECT_EQ(b.verdict, a.verdict);
    EXPECT_EQ(b.correct, a.correct);
    EXPECT_DOUBLE_EQ(b.reward, a.reward);
    EXPECT_EQ(b.reason, a.reason);
    EXPECT_EQ(b.prompt_tokens, a.prompt_tokens);
    EXPECT_EQ(b.completion_tokens, a.completion_tokens);
    EXPECT_DOUBLE_EQ(b.latency_ms, a.latency_ms);
    EXPECT_EQ(b.finish_reason, a.finish_reason);
    EXPECT_EQ(b.details_json, a.details_json);
    EXPECT_EQ(streamed[i].completion_bytes, static_cast<int64_t>(a.completion.size()));
    EXPECT_EQ(streamed[i].completion_chars, static_cast<int64_t>(a.completion.size()));  // ASCII
  }
  EXPECT_EQ(streamed[0].row.task_id, "t1");
  EXPECT_EQ(streamed[1].row.sample_idx, 1);
  EXPECT_FALSE(streamed[1].row.completion_tokens.has_value());

  int calls = 0;
  ASSERT_TRUE(store->for_each_sample(99, kNoTextLimit, [&](const StreamedSample&) { ++calls; }).is_ok());
  EXPECT_EQ(calls, 0);  // an unknown run has no samples
}

TEST_F(StoreTest, StreamedTextIsCutInBytesAtACharacterBoundaryAndFullSizesAreKept) {
  auto store = open_store();
  auto id = store->create_run(sample_run());
  SampleRow row = sample(*id, "t1", 0);
  row.completion = "ab\xE2\x9C\x93" "cd";  // a, b, U+2713 (3 bytes), c, d: 7 bytes, 5 characters
  row.extracted = "\xC3\xA9\xC3\xA9";    // two 2-byte characters
  row.reason = "abcdefgh";
  row.details_json = R"({"k":1})";
  SampleRow whole = sample(*id, "t2", 0);
  whole.completion = "abcd";
  std::vector<SampleRow> rows = {row, whole};
  ASSERT_TRUE(store->add_samples(rows).is_ok());
  std::vector<StreamedSample> out;
  ASSERT_TRUE(store->for_each_sample(*id, 4, [&](const StreamedSample& s) { out.push_back(s); }).is_ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].row.completion, "ab");  // byte 4 is inside U+2713: backed off to its start
  EXPECT_EQ(out[0].completion_bytes, 7);
  EXPECT_EQ(out[0].completion_chars, 5);
  EXPECT_EQ(out[0].row.extracted, "\xC3\xA9\xC3\xA9");  // exactly 4 bytes: kept whole
  EXPECT_EQ(out[0].row.reason, "abcd");
  EXPECT_EQ(out[0].row.details_json, R"({"k")");
  EXPECT_EQ(out[0].row.task_id, "t1");  // keys are never cut
  EXPECT_EQ(out[0].row.verdict, "correct");
  EXPECT_EQ(out[0].row.finish_reason, "stop");
  EXPECT_EQ(out[1].row.completion, "abcd");  // the reused buffers carry nothing over
  EXPECT_EQ(out[1].completion_bytes, 4);
  EXPECT_EQ(out[1].row.reason, "");

  std::vector<std::string> cut_at_3;
  ASSERT_TRUE(store->for_each_sample(*id, 3, [&](const StreamedSample& s) {
    cut_at_3.push_back(s.row.extracted);
  }).is_ok());
  EXPECT_EQ(cut_at_3[0], "\xC3\xA9");  // never half a character
}

TEST_F(StoreTest, DuplicateSampleKeyIsRejectedAndItsBatchIsNotWritten) {
  auto store = open_store();
  auto id = store->create_run(sample_run());
  std::vector<SampleRow> first = {sample(*id, "t1", 0)};
  ASSERT_TRUE(store->add_samples(first).is_ok());
  std::vector<SampleRow> batch = {sample(*id, "t2", 0), sample(*id, "t1", 0)};
  Status st = store->add_samples(batch);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("UNIQUE"), std::string::npos) << st.message();
  EXPECT_EQ(*store->num_samples(*id), 1);  // the whole batch rolled back
}

TEST_F(StoreTest, GradedKeysNameEverySampleOfTheRunOnly) {
  auto store = open_store();
  auto a = store->create_run(sample_run());
  auto b = store->create_run(sample_run());
  std::vector<SampleRow> rows = {sample(*a, "t1", 0), sample(*a, "t1", 1), sample(*a, "t2", 0), sample(*b, "t9", 3)};
  ASSERT_TRUE(store->add_samples(rows).is_ok());
  auto keys = store->graded_keys(*a);
  ASSERT_TRUE(keys.is_ok());
  std::set<SampleKey> expected = {{"aime24", "t1", 0}, {"aime24", "t1", 1}, {"aime24", "t2", 0}};
  EXPECT_EQ(*keys, expected);
  EXPECT_EQ(store->graded_keys(*b)->size(), 1u);
}

TEST_F(StoreTest, PutMetricsReplacesTheRunsPreviousRows) {
  auto store = open_store();
  auto id = store->create_run(sample_run());
  std::vector<MetricRow> old_rows = {{*id, "aime24", "", "pass@k", 1, 0.25, 0.1, 0.4, 30},
                                     {*id, "aime24", "", "pass@k", 4, 0.5, std::nullopt, std::nullopt, 30}};
  ASSERT_TRUE(store->put_metrics(*id, old_rows).is_ok());
  std::vector<MetricRow> new_rows = {{*id, "*", "level=3", "cons@k", 4, 0.75, 0.6, 0.9, 12}};
  ASSERT_TRUE(store->put_metrics(*id, new_rows).is_ok());
  auto out = store->metrics(*id);
  ASSERT_TRUE(out.is_ok());
  ASSERT_EQ(out->size(), 1u);
  const MetricRow& m = (*out)[0];
  EXPECT_EQ(m.run_id, *id);
  EXPECT_EQ(m.pack, "*");
  EXPECT_EQ(m.slice, "level=3");
  EXPECT_EQ(m.metric, "cons@k");
  EXPECT_EQ(m.k, 4);
  EXPECT_DOUBLE_EQ(m.value, 0.75);
  EXPECT_EQ(m.ci_low, std::optional<double>(0.6));
  EXPECT_EQ(m.ci_high, std::optional<double>(0.9));
  EXPECT_EQ(m.num_problems, 12);
}

TEST_F(StoreTest, DatabaseRunsInWalMode) {
  auto store = open_store();
  SQLite::Database db(path_, SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

TEST_F(StoreTest, ReopeningKeepsEverythingWritten) {
  int64_t id = 0;
  {
    auto store = open_store();
    id = *store->create_run(sample_run());
    std::vector<SampleRow> rows = {sample(id, "t1", 0)};
    ASSERT_TRUE(store->add_samples(rows).is_ok());
    std::vector<MetricRow> metrics = {{id, "aime24", "", "pass@k", 1, 1.0, std::nullopt, std::nullopt, 1}};
    ASSERT_TRUE(store->put_metrics(id, metrics).is_ok());
  }
  auto store = open_store();
  EXPECT_EQ(store->run(id)->name, "nightly");
  EXPECT_EQ(*store->num_samples(id), 1);
  EXPECT_EQ(store->metrics(id)->size(), 1u);
}

TEST_F(StoreTest, NewerSchemaVersionIsRefused) {
  open_store().reset();
  {
    SQLite::Database db(path_, SQLite::OPEN_READWRITE);
    db.exec("UPDATE schema_info SET value = '" + std::to_string(kSchemaVersion + 1) + "' WHERE key = 'schema_version'");
  }
  auto store = Store::open(path_);
  ASSERT_FALSE(store.is_ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(store.status().message().find("newer"), std::string::npos) << store.status().message();
  EXPECT_NE(store.status().message().find(path_), std::string::npos);
}

TEST_F(StoreTest, FileThatIsNotADatabaseIsRefusedWithAClearMessage) {
  std::string text_path = (dir_ / "notes.txt").string();
  std::ofstream(text_path) << "these are my notes, not a database; they are long enough to fill a header page\n"
                           << std::string(200, 'x');
  auto store = Store::open(text_path);
  ASSERT_FALSE(store.is_ok());
  const std::string& message = store.status().message();
  EXPECT_NE(message.find(text_path), std::string::npos) << message;
  EXPECT_NE(message.find("r1bench database"), std::string::npos) << message;
  std::ifstream in(text_path);
  std::string first_line;
  std::getline(in, first_line);
  EXPECT_EQ(first_line.rfind("these are my notes", 0), 0u);  // the file was left alone
}

TEST_F(StoreTest, SamplesAddedFromSeveralThreadsAreAllKept) {
  auto store = open_store();
  auto id = store->create_run(sample_run());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        std::vector<SampleRow> rows = {sample(*id, "t" + std::to_string(t), i)};
        EXPECT_TRUE(store->add_samples(rows).is_ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(*store->num_samples(*id), 100);
}

}  // namespace
}  // namespace r1b::results
