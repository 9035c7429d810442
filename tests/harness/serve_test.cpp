// `r1bench serve` on 127.0.0.1 with the tiny Qwen2 fixture checkpoint (tests/model/fixtures/qwen2,
// random weights, a 512-token tokenizer with the R1 special tokens): the harness's HTTP backend,
// a plain curl request, streaming, seeded sampling, and OpenAI-style errors that leave the server
// running. One server process is shared by the suite.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "harness/backend.h"
#include "harness/http_backend.h"
#include "results/store.h"
#include "test_util.h"
#ifdef R1B_HAVE_CUDA
#include "model/cuda_backend.h"
#endif

namespace r1b::harness {
namespace {

using nlohmann::json;
using r1b::testing::TempDir;

const std::string kFixture = std::string(R1B_SOURCE_DIR) + "/tests/model/fixtures/qwen2";

class ServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string out = dir_->file("serve.out");
    pid_ = r1b::testing::spawn_r1bench({"serve", "--model", kFixture, "--port", "0", "--threads", "2"}, out);
    // The first stdout line names the bound port: "serving qwen2 (chat format r1) on http://127.0.0.1:P/v1".
    for (int i = 0; i < 600 && base_url_.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::ifstream in(out);
      std::string line;
      if (std::getline(in, line)) {
        const auto at = line.find("http://");
        if (at != std::string::npos) base_url_ = line.substr(at);
      }
    }
  }
  static void TearDownTestSuite() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    delete dir_;
  }
  void SetUp() override { ASSERT_FALSE(base_url_.empty()) << "r1bench serve did not print its address"; }

  // POST `body` to `path` under /v1; returns (status, parsed JSON or the raw text as a string).
  static std::pair<int, json> post(const std::string& path, const std::string& body) {
    const std::string host_port = base_url_.substr(0, base_url_.size() - 3);  // strip "/v1"
    httplib::Client client(host_port);
    client.set_read_timeout(120, 0);
    auto res = client.Post("/v1" + path, body, "application/json");
    if (!res) return {-1, json()};
    json parsed = json::parse(res->body, nullptr, false);
    return {res->status, parsed.is_discarded() ? json(res->body) : parsed};
  }

  static int pid_;
  static std::string base_url_;
  static TempDir* dir_;
};

int ServeTest::pid_ = -1;
std::string ServeTest::base_url_;
TempDir* ServeTest::dir_ = nullptr;

TEST_F(ServeTest, CompletionsAnswerWithUsageAndLengthFinish) {
  auto [status, body] = post("/completions", R"({"prompt": "Hello world", "max_tokens": 6, "temperature": 0})");
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["object"], "text_completion");
  ASSERT_EQ(body["choices"].size(), 1u);
  EXPECT_TRUE(body["choices"][0]["text"].is_string());
  EXPECT_GT(body["usage"]["prompt_tokens"].get<int>(), 0);
  EXPECT_LE(body["usage"]["completion_tokens"].get<int>(), 6);
  if (body["usage"]["completion_tokens"].get<int>() == 6) {
    EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
  }
}

TEST_F(ServeTest, GreedyIsDeterministicAndSeedsReproduceSamples) {
  const std::string greedy = R"({"prompt": "1 + 1 =", "max_tokens": 8, "temperature": 0})";
  EXPECT_EQ(post("/completions", greedy).second["choices"], post("/completions", greedy).second["choices"]);
  const std::string sampled = R"({"prompt": "Let x", "max_tokens": 12, "temperature": 1.0, "n": 3, "seed": 7})";
  auto first = post("/completions", sampled).second;
  auto second = post("/completions", sampled).second;
  ASSERT_EQ(first["choices"].size(), 3u);
  EXPECT_EQ(first["choices"], second["choices"]);
}

TEST_F(ServeTest, ChatCompletionsUseTheCheckpointsChatFormat) {
  auto [status, body] = post("/chat/completions",
                             R"({"messages": [{"role": "user", "content": "What is 2+2?"}], "max_tokens": 5})");
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["choices"][0]["message"]["role"], "assistant");
  // The R1 prompt: BOS, <｜User｜>, the question, <｜Assistant｜>, <think>, "\n" — more than 5 tokens.
  EXPECT_GT(body["usage"]["prompt_tokens"].get<int>(), 5);
}

TEST_F(ServeTest, StreamingSendsEventsThenDone) {
  const std::string host_port = base_url_.substr(0, base_url_.size() - 3);
  httplib::Client client(host_port);
  auto res = client.Post("/v1/completions", R"({"prompt": "abc", "max_tokens": 10, "temperature": 0, "stream": true})",
                         "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
  std::istringstream lines(res->body);
  std::string line, streamed;
  int events = 0;
  bool done = false;
  while (std::getline(lines, line)) {
    if (line.rfind("data: ", 0) != 0) continue;
    const std::string data = line.substr(6);
    if (data == "[DONE]") {
      done = true;
      continue;
    }
    json chunk = json::parse(data);
    streamed += chunk["choices"][0]["text"].get<std::string>();
    ++events;
  }
  EXPECT_TRUE(done);
  EXPECT_GE(events, 2);
  // The streamed pieces add up to the non-streamed greedy answer.
  auto whole = post("/completions", R"({"prompt": "abc", "max_tokens": 10, "temperature": 0})").second;
  EXPECT_EQ(streamed, whole["choices"][0]["text"].get<std::string>());
}

// Sampled streams of 60 tokens, two choices, with a stop string taken from the middle of the
// unstopped answer: each choice's pieces add up to the non-streamed answer, cut before the stop
// (a piece never shows the start of a stop string that then completes).
TEST_F(ServeTest, StreamedPiecesAddUpToTheAnswerWithAStopString) {
  const std::string request = R"({"prompt": "abc", "max_tokens": 60, "temperature": 1, "seed": 5, "n": 2)";
  const json unstopped = post("/completions", request + "}").second;
  const std::string first = unstopped["choices"][0]["text"].get<std::string>();
  ASSERT_GE(first.size(), 8u) << first;
  std::size_t cut = first.size() / 2;
  while (cut > 0 && (static_cast<unsigned char>(first[cut]) & 0xC0) == 0x80) --cut;  // a character start
  // Two whole characters from there.
  std::size_t end = cut;
  for (int chars = 0; chars < 2 && end < first.size(); ++chars) {
    do ++end;
    while (end < first.size() && (static_cast<unsigned char>(first[end]) & 0xC0) == 0x80);
  }
  const std::string stop = first.substr(cut, end - cut);
  const std::string stopped_request = request + R"(, "stop": [)" + json(stop).dump() + "]";
  const json whole = post("/completions", stopped_request + "}").second;

  const std::string host_port = base_url_.substr(0, base_url_.size() - 3);
  httplib::Client client(host_port);
  auto res = client.Post("/v1/completions", stopped_request + R"(, "stream": true})", "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  std::istringstream lines(res->body);
  std::string line;
  std::vector<std::string> streamed(2);
  while (std::getline(lines, line)) {
    if (line.rfind("data: ", 0) != 0 || line == "data: [DONE]") continue;
    const json chunk = json::parse(line.substr(6));
    const json& choice = chunk["choices"][0];
    streamed.at(choice["index"].get<std::size_t>()) += choice["text"].get<std::string>();
  }
  for (std::size_t i = 0; i < 2; ++i) {
    const std::string expected = whole["choices"][i]["text"].get<std::string>();
    EXPECT_EQ(streamed[i], expected) << "choice " << i;
    EXPECT_EQ(expected.find(stop), std::string::npos) << "choice " << i;
  }
  EXPECT_EQ(whole["choices"][0]["text"].get<std::string>(), first.substr(0, first.find(stop)));
}

TEST_F(ServeTest, BadRequestsGetOpenAIErrorsAndTheServerKeepsRunning) {
  struct Case {
    std::string path, body, param;
  };
  const Case cases[] = {
      {"/completions", "{not json", ""},
      {"/completions", R"({"max_tokens": 4})", "prompt"},
      {"/completions", R"({"prompt": "x", "n": 0})", "n"},
      {"/completions", R"({"prompt": "x", "temperature": 9})", "temperature"},
      {"/completions", R"({"prompt": "x", "top_p": 0})", "top_p"},
      {"/completions", R"({"prompt": "x", "max_tokens": -3})", "max_tokens"},
      {"/completions", R"({"prompt": "x", "stop": [1, 2]})", "stop"},
      {"/completions", R"({"prompt": [1, 2, 3]})", "prompt"},
      {"/chat/completions", R"({"messages": [{"role": "robot", "content": "hi"}]})", "messages[0].role"},
      {"/chat/completions", R"({"messages": []})", "messages"},
  };
  for (const Case& c : cases) {
    auto [status, body] = post(c.path, c.body);
    EXPECT_EQ(status, 400) << c.body;
    ASSERT_TRUE(body.is_object() && body.contains("error")) << c.body << " -> " << body.dump();
    EXPECT_EQ(body["error"]["type"], "invalid_request_error") << c.body;
    EXPECT_FALSE(body["error"]["message"].get<std::string>().empty());
    if (!c.param.empty()) {
      EXPECT_EQ(body["error"]["param"], c.param) << c.body;
    }
  }
  auto [missing_status, missing] = post("/nowhere", "{}");
  EXPECT_EQ(missing_status, 404);
  EXPECT_TRUE(missing.contains("error"));
  // Still serving.
  EXPECT_EQ(post("/completions", R"({"prompt": "ok", "max_tokens": 2})").first, 200);
}

TEST_F(ServeTest, PlainCurlRequestIsAnswered) {
  if (std::system("command -v curl > /dev/null 2>&1") != 0) GTEST_SKIP() << "curl is not installed";
  const std::string cmd = "curl -s -S --max-time 60 -H 'Content-Type: application/json' -d "
                          "'{\"prompt\": \"Hi\", \"max_tokens\": 3}' " + base_url_ + "/completions";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  while (std::size_t got = fread(buf, 1, sizeof buf, pipe)) out.append(buf, got);
  ASSERT_EQ(pclose(pipe), 0) << out;
  json body = json::parse(out, nullptr, false);
  ASSERT_FALSE(body.is_discarded()) << out;
  EXPECT_EQ(body["choices"].size(), 1u);
}

TEST_F(ServeTest, HarnessHttpBackendGeneratesThroughTheServer) {
  auto backend = make_http_backend({{"base_url", base_url_}, {"model", "qwen2"}, {"request_n", 1}}, "test");
  ASSERT_TRUE(backend.is_ok()) << backend.status().message();
  tasks::Task task;
  task.id = "t1";
  task.kind = tasks::TaskKind::kMath;
  task.prompt = "What is 1+1?";
  task.answer = "2";
  GenerationRequest request;
  request.pack = "demo";
  request.task = &task;
  request.prompt = "<｜begin▁of▁sentence｜><｜User｜>What is 1+1?<｜Assistant｜><think>\n";
  request.sample_indices = {0, 1, 2};
  request.sampling.max_tokens = 8;
  request.sampling.seed = 3;
  auto first = (*backend)->generate(request);
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  ASSERT_EQ(first->size(), 3u);
  auto again = (*backend)->generate(request);
  ASSERT_TRUE(again.is_ok());
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*first)[i].text, (*again)[i].text) << "sample " << i << " is not reproducible";
    EXPECT_GT((*first)[i].completion_tokens.value_or(0), 0);
  }
}

}  // namespace
}  // namespace r1b::harness

namespace r1b::harness {
namespace {

// `r1bench run --model DIR`: the in-tree engine as the run's backend; every sample is generated,
// graded and stored, and the run's stored seed makes a second run draw the same completions.
TEST(EngineBackendTest, RunWithModelFolderCompletesAndIsReproducible) {
  r1b::testing::TempDir dir;
  const std::string pack = std::string(R1B_SOURCE_DIR) + "/packs/demo/math.jsonl";
  std::vector<std::string> args = {"run", "--model", kFixture, "--pack", pack, "--n", "3", "--max-tokens", "6",
                                   "--temperature", "0.8", "--seed", "5", "--no-report", "--json",
                                   "--db", dir.file("a.db")};
  auto first = r1b::testing::run_r1bench(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto out = nlohmann::json::parse(first.out);
  EXPECT_EQ(out["status"], "complete");
  EXPECT_EQ(out["samples_total"], 36);  // 12 demo problems x 3 samples
  EXPECT_EQ(out["samples_graded_now"], 36);
  EXPECT_GT(out["completion_tokens"].get<int64_t>(), 0);
  // The engine's own accounting comes back with the run.
  ASSERT_TRUE(out["engine"].is_object()) << first.out;
  EXPECT_EQ(out["engine"]["generated_tokens"], out["completion_tokens"]);
  EXPECT_GT(out["engine"]["model_flops"].get<double>(), 0.0);
  EXPECT_GT(out["engine"]["achieved_gflops"].get<double>(), 0.0);
  args.back() = dir.file("b.db");
  auto second = r1b::testing::run_r1bench(args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  auto a = results::Store::open(dir.file("a.db"));
  auto b = results::Store::open(dir.file("b.db"));
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  auto rows_a = (*a)->samples(1);
  auto rows_b = (*b)->samples(1);
  ASSERT_TRUE(rows_a.is_ok() && rows_b.is_ok());
  ASSERT_EQ(rows_a->size(), 36u);
  ASSERT_EQ(rows_b->size(), 36u);
  for (std::size_t i = 0; i < rows_a->size(); ++i) {
    EXPECT_EQ((*rows_a)[i].completion, (*rows_b)[i].completion) << (*rows_a)[i].task_id;
    EXPECT_EQ((*rows_a)[i].completion_tokens, (*rows_b)[i].completion_tokens);
  }
}

TEST(EngineBackendTest, MissingModelFolderIsOneClearError) {
  r1b::testing::TempDir dir;
  auto result = r1b::testing::run_r1bench({"run", "--model", dir.file("no-such-model"), "--pack",
                                           std::string(R1B_SOURCE_DIR) + "/packs/demo/math.jsonl", "--db",
                                           dir.file("r.db")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("no-such-model"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace r1b::harness

namespace r1b::harness {
namespace {

// A copy of the tiny Llama fixture (one model.safetensors) in `dir`, for breaking it.
std::string copy_fixture(const r1b::testing::TempDir& dir) {
  const std::filesystem::path to = std::filesystem::path(dir.path()) / "llama";
  std::filesystem::copy(std::string(R1B_SOURCE_DIR) + "/tests/model/fixtures/llama", to);
  std::filesystem::copy_file(std::filesystem::path(kFixture) / "tokenizer.json", to / "tokenizer.json");
  std::filesystem::copy_file(std::filesystem::path(kFixture) / "tokenizer_config.json", to / "tokenizer_config.json");
  return to.string();
}

// `r1bench run --model` on `model`: exit 2 and exactly one line on stderr, which is returned.
std::string one_line_error(const r1b::testing::TempDir& dir, const std::string& model) {
  auto result = r1b::testing::run_r1bench({"run", "--model", model, "--pack",
                                           std::string(R1B_SOURCE_DIR) + "/packs/demo/math.jsonl", "--db",
                                           dir.file("r.db"), "--no-report"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  return result.err;
}

TEST(EngineBackendTest, UnknownArchitectureNamesItAndTheSupportedOnes) {
  r1b::testing::TempDir dir;
  const std::string model = copy_fixture(dir);
  std::ifstream in(model + "/config.json");
  nlohmann::json config = nlohmann::json::parse(in);
  config["architectures"] = {"MambaForCausalLM"};
  std::ofstream(model + "/config.json") << config.dump();
  const std::string err = one_line_error(dir, model);
  EXPECT_NE(err.find("MambaForCausalLM"), std::string::npos) << err;
  EXPECT_NE(err.find("Qwen2ForCausalLM"), std::string::npos) << err;
}

TEST(EngineBackendTest, TruncatedWeightsFileIsOneClearError) {
  r1b::testing::TempDir dir;
  const std::string model = copy_fixture(dir);
  const std::string weights = model + "/model.safetensors";
  std::filesystem::resize_file(weights, std::filesystem::file_size(weights) / 2);
  const std::string err = one_line_error(dir, model);
  EXPECT_NE(err.find("model.safetensors"), std::string::npos) << err;
}

TEST(EngineBackendTest, MissingTensorIsNamed) {
  r1b::testing::TempDir dir;
  const std::string model = copy_fixture(dir);
  // Drop one entry from the safetensors header; the data stays, so only the tensor is missing.
  const std::string weights = model + "/model.safetensors";
  std::ifstream in(weights, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  nlohmann::json header = nlohmann::json::parse(bytes.substr(8, header_len));
  const std::string dropped = "model.layers.1.mlp.down_proj.weight";
  ASSERT_TRUE(header.contains(dropped));
  header.erase(dropped);
  std::string text = header.dump();
  text.resize(header_len, ' ');  // same length: the data offsets stay valid
  std::memcpy(bytes.data() + 8, text.data(), header_len);
  std::ofstream(weights, std::ios::binary) << bytes;
  const std::string err = one_line_error(dir, model);
  EXPECT_NE(err.find(dropped), std::string::npos) << err;
}

}  // namespace
}  // namespace r1b::harness

namespace r1b::harness {
namespace {

// The runner keeps two engine batches of tasks in flight: on the CPU the engine batches 64
// sequences, so one-sample tasks want 128 workers and 64-sample tasks 2.
TEST(EngineBackendTest, AsksForEnoughTasksToFillTwoBatches) {
  auto backend = make_backend({{"type", "engine"}, {"model", kFixture}, {"device", "cpu"}}, "test");
  ASSERT_TRUE(backend.is_ok()) << backend.status().message();
  EXPECT_EQ((*backend)->preferred_concurrency(1), 128);
  EXPECT_EQ((*backend)->preferred_concurrency(64), 2);
  EXPECT_EQ((*backend)->preferred_concurrency(48), 4);
  EXPECT_EQ((*backend)->preferred_concurrency(0), 128);
}

// A task's samples go as one engine request (one prefill), and a sample's tokens do not depend on
// which other samples were asked for with it — so a resumed run regenerates it exactly.
TEST(EngineBackendTest, SamplesShareThePrefillAndAreTheSameAloneOrTogether) {
  auto backend = make_backend({{"type", "engine"}, {"model", kFixture}}, "test");
  ASSERT_TRUE(backend.is_ok()) << backend.status().message();
  tasks::Task task;
  task.id = "t7";
  task.prompt = "What is 6 times 7?";
  task.answer = "42";
  GenerationRequest request;
  request.pack = "demo";
  request.task = &task;
  request.prompt = "<｜begin▁of▁sentence｜><｜User｜>What is 6 times 7?<｜Assistant｜><think>\n";
  request.sampling.temperature = 1.0;
  request.sampling.top_p = 1.0;
  request.sampling.max_tokens = 8;
  request.sampling.seed = 11;
  request.sample_indices = {0, 1, 2, 3};
  auto all = (*backend)->generate(request);
  ASSERT_TRUE(all.is_ok()) << all.status().message();
  ASSERT_EQ(all->size(), 4u);
  // One prefill for the four samples.
  EXPECT_EQ((*backend)->engine_stats()["prompt_tokens"].get<int64_t>(), (*all)[0].prompt_tokens.value_or(-1));
  std::set<std::string> distinct;
  for (const Completion& c : *all) distinct.insert(c.text);
  EXPECT_GT(distinct.size(), 1u) << "temperature 1 samples should differ";
  request.sample_indices = {1, 3};
  auto some = (*backend)->generate(request);
  ASSERT_TRUE(some.is_ok()) << some.status().message();
  ASSERT_EQ(some->size(), 2u);
  EXPECT_EQ((*some)[0].sample_idx, 1);
  EXPECT_EQ((*some)[0].text, (*all)[1].text);
  EXPECT_EQ((*some)[1].sample_idx, 3);
  EXPECT_EQ((*some)[1].text, (*all)[3].text);
}

}  // namespace
}  // namespace r1b::harness

namespace r1b::harness {
namespace {

bool gpu_visible() {
#ifdef R1B_HAVE_CUDA
  return model::CudaBackend::device_available();
#else
  return false;
#endif
}

// --device cuda where no GPU is visible (or CUDA was not built in): one line naming the device and
// what to do, exit 2, for both `run --model` and `serve`.
TEST(EngineDeviceTest, CudaWithoutAGpuIsOneClearErrorAndExitTwo) {
  if (gpu_visible()) GTEST_SKIP() << "a GPU is visible: --device cuda works here";
  r1b::testing::TempDir dir;
  const auto run = r1b::testing::run_r1bench({"run", "--model", kFixture, "--device", "cuda", "--pack",
                                              std::string(R1B_SOURCE_DIR) + "/packs/demo/math.jsonl", "--db",
                                              dir.file("r.db"), "--no-report"});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  EXPECT_NE(run.err.find("device cuda"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("--device cpu"), std::string::npos) << run.err;
  const auto serve = r1b::testing::run_r1bench({"serve", "--model", kFixture, "--device", "cuda", "--port", "0"});
  EXPECT_EQ(serve.exit_code, 2) << serve.err;
  EXPECT_EQ(std::count(serve.err.begin(), serve.err.end(), '\n'), 1) << serve.err;
  EXPECT_NE(serve.err.find("device cuda"), std::string::npos) << serve.err;
}

// --device cpu on the tiny fixture: the run completes, says once where it ran and how big its KV
// cache is, and reports prefill and decode tokens/s; MFU only once a peak is given.
TEST(EngineDeviceTest, CpuRunReportsPrefillAndDecodeThroughputAndMfuWithAGivenPeak) {
  r1b::testing::TempDir dir;
  std::vector<std::string> args = {"run", "--model", kFixture, "--device", "cpu", "--pack",
                                   std::string(R1B_SOURCE_DIR) + "/packs/demo/math.jsonl", "--n", "2",
                                   "--max-tokens", "6", "--no-report", "--json", "--db", dir.file("a.db")};
  const auto first = r1b::testing::run_r1bench(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find("engine: cpu, "), std::string::npos) << first.err;
  EXPECT_NE(first.err.find("engine: KV cache "), std::string::npos) << first.err;
  const nlohmann::json engine = nlohmann::json::parse(first.out)["engine"];
  ASSERT_TRUE(engine.is_object()) << first.out;
  EXPECT_EQ(engine["device"], "cpu");
  EXPECT_GT(engine["prefill_tokens_per_s"].get<double>(), 0.0) << engine.dump();
  EXPECT_GT(engine["decode_tokens_per_s"].get<double>(), 0.0) << engine.dump();
  EXPECT_GT(engine["prefill_s"].get<double>(), 0.0);
  EXPECT_GT(engine["decode_s"].get<double>(), 0.0);
  EXPECT_EQ(engine["preemptions"], 0);
  EXPECT_GT(engine["kv_cache_tokens"].get<int64_t>(), 0);
  EXPECT_FALSE(engine.contains("mfu")) << engine.dump();
  EXPECT_NE(engine.value("mfu_note", "").find("--peak-tflops"), std::string::npos) << engine.dump();
  EXPECT_FALSE(engine.contains("bandwidth_utilization")) << "no copy bandwidth is measured on the CPU";

  args.insert(args.end(), {"--peak-tflops", "0.5"});
  args[args.size() - 3] = dir.file("b.db");  // the --db value
  const auto second = r1b::testing::run_r1bench(args);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const nlohmann::json with_peak = nlohmann::json::parse(second.out)["engine"];
  EXPECT_EQ(with_peak["peak_tflops"], 0.5);
  EXPECT_NEAR(with_peak["mfu"].get<double>(), with_peak["achieved_gflops"].get<double>() / 500.0, 1e-12);
}

TEST(EngineDeviceTest, EngineFlagsWithoutTheEngineAreOneClearError) {
  r1b::testing::TempDir dir;
  const auto result = r1b::testing::run_r1bench({"run", "--device", "cpu", "--pack",
                                                 std::string(R1B_SOURCE_DIR) + "/packs/demo/math.jsonl", "--replay",
                                                 std::string(R1B_SOURCE_DIR) + "/packs/demo/generations.jsonl",
                                                 "--db", dir.file("r.db"), "--no-report"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_NE(result.err.find("--model"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace r1b::harness
