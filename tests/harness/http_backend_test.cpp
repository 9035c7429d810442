// Tests of harness/http_backend.cpp against a real HTTP server on the loopback interface.
#include "harness/http_backend.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace r1b::harness {
namespace {

using nlohmann::json;
using std::chrono::steady_clock;

constexpr const char* kKeyEnv = "R1B_HTTP_BACKEND_TEST_KEY";
constexpr const char* kWhere = "suite.json: backend";

// An httplib::Server on a free 127.0.0.1 port, serving from its own thread until destroyed.
class LoopbackServer {
 public:
  // `routes` registers the handlers (before the server starts; they may call stall()).
  explicit LoopbackServer(const std::function<void(httplib::Server&, LoopbackServer&)>& routes) {
    routes(server_, *this);
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) ADD_FAILURE() << "could not bind a loopback port";
    thread_ = std::thread([this] {
      server_.listen_after_bind();
      listen_returned_ = true;
    });
  }
  ~LoopbackServer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    stopping_changed_.notify_all();
    while (!server_.is_running() && !listen_returned_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server_.stop();
    thread_.join();
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

  // Blocks a handler until the server shuts down or `limit` passes.
  void stall(std::chrono::seconds limit) {
    std::unique_lock lock(mutex_);
    stopping_changed_.wait_for(lock, limit, [this] { return stopping_; });
  }

 private:
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
  std::atomic<bool> listen_returned_ = false;
  std::mutex mutex_;
  std::condition_variable stopping_changed_;
  bool stopping_ = false;  // guarded by mutex_
};

// What the server saw, filled by handlers on the server's threads.
struct Recorder {
  std::atomic<int> attempts = 0;
  std::mutex mutex;
  std::vector<json> bodies;                 // guarded by mutex
  std::vector<std::string> authorizations;  // guarded by mutex; "" when absent

  json record(const httplib::Request& request) {
    ++attempts;
    json body = json::parse(request.body);
    std::lock_guard lock(mutex);
    bodies.push_back(body);
    authorizations.push_back(request.get_header_value("Authorization"));
    return body;
  }
};

// A well-formed /completions reply: `n` choices, listed in reverse index order, whose text names
// the request's seed and the choice index.
std::string completions_reply(const json& request, int64_t completion_tokens) {
  json choices = json::array();
  for (int i = request["n"].get<int>() - 1; i >= 0; --i) {
    const std::string text = "seed " + std::to_string(request["seed"].get<uint64_t>()) + " choice " + std::to_string(i);
    choices.push_back({{"index", i}, {"text", text}, {"finish_reason", "stop"}, {"logprobs", nullptr}});
  }
  return json{{"object", "text_completion"}, {"choices", choices},
              {"usage", {{"prompt_tokens", 7}, {"completion_tokens", completion_tokens}}}}.dump();
}

void serve_completions(httplib::Server& server, Recorder& recorder) {
  server.Post("/v1/completions", [&recorder](const httplib::Request& request, httplib::Response& response) {
    response.set_content(completions_reply(recorder.record(request), 5), "application/json");
  });
}

json config_for(const LoopbackServer& server, const json& overrides = json::object()) {
  json config = {{"type", "openai"}, {"base_url", server.base_url()}, {"model", "tiny-r1"}, {"api_key_env", kKeyEnv}};
  config.update(overrides);
  return config;
}

std::unique_ptr<Backend> make_backend_or_fail(const json& config) {
  Result<std::unique_ptr<Backend>> backend = make_http_backend(config, kWhere);
  EXPECT_TRUE(backend.is_ok()) << backend.status().message();
  return backend.is_ok() ? std::move(backend).value() : nullptr;
}

tasks::Task test_task() {
  tasks::Task task;
  task.id = "t1";
  task.prompt = "What is 2+2?";
  return task;
}

GenerationRequest request_for(const tasks::Task& task, std::vector<int> sample_indices) {
  GenerationRequest request;
  request.pack = "demo-math";
  request.task = &task;
  request.prompt = "<prompt>What is 2+2?";
  request.user_message = "What is 2+2? Put the answer in \\boxed{}.";
  request.sample_indices = std::move(sample_indices);
  request.sampling.seed = 42;
  request.sampling.max_tokens = 256;
  return request;
}

uint64_t seed_of(int sample_idx) { return sample_seed(42, "demo-math", "t1", sample_idx); }

double seconds_since(steady_clock::time_point start) {
  return std::chrono::duration<double>(steady_clock::now() - start).count();
}

TEST(HttpBackend, CompletionsEndpointSendsOneSeededRequestPerSample) {
  Recorder recorder;
  LoopbackServer server([&](httplib::Server& http, LoopbackServer&) { serve_completions(http, recorder); });
  setenv(kKeyEnv, "sk-test-123", 1);
  auto backend = make_backend_or_fail(config_for(server, {{"extra_body", {{"top_k", 20}}}}));
  unsetenv(kKeyEnv);
  ASSERT_NE(backend, nullptr);
  EXPECT_EQ(backend->name(), "openai:" + server.base_url() + " (completions)");
  EXPECT_EQ(backend->model(), "tiny-r1");

  const tasks::Task task = test_task();
  Result<std::vector<Completion>> completions = backend->generate(request_for(task, {3, 0, 5}));
  ASSERT_TRUE(completions.is_ok()) << completions.status().message();
  ASSERT_EQ(completions->size(), 3u);
  const std::vector<int> expected_indices = {3, 0, 5};
  for (size_t i = 0; i < 3; ++i) {
    const Completion& completion = (*completions)[i];
    EXPECT_EQ(completion.sample_idx, expected_indices[i]);
    EXPECT_EQ(completion.text, "seed " + std::to_string(seed_of(expected_indices[i])) + " choice 0");
    EXPECT_EQ(completion.finish_reason, "stop");
    EXPECT_EQ(completion.prompt_tokens, 7);
    EXPECT_EQ(completion.completion_tokens, 5);
    EXPECT_GT(completion.latency_ms, 0.0);
  }

  ASSERT_EQ(recorder.bodies.size(), 3u);
  std::set<uint64_t> seeds;
  for (const json& body : recorder.bodies) {
    EXPECT_EQ(body["model"], "tiny-r1");
    EXPECT_EQ(body["prompt"], "<prompt>What is 2+2?");
    EXPECT_EQ(body["n"], 1);
    EXPECT_DOUBLE_EQ(body["temperature"].get<double>(), 0.6);
    EXPECT_DOUBLE_EQ(body["top_p"].get<double>(), 0.95);
    EXPECT_EQ(body["max_tokens"], 256);
    EXPECT_EQ(body["top_k"], 20);
    EXPECT_FALSE(body.contains("messages"));
    seeds.insert(body["seed"].get<uint64_t>());
  }
  EXPECT_EQ(seeds, (std::set<uint64_t>{seed_of(0), seed_of(3), seed_of(5)}));
  for (const std::string& authorization : recorder.authorizations) EXPECT_EQ(authorization, "Bearer sk-test-123");
}

TEST(HttpBackend, ChatEndpointSendsUserMessageAndPrependsReasoning) {
  Recorder recorder;
  LoopbackServer server([&](httplib::Server& http, LoopbackServer&) {
    http.Post("/v1/chat/completions", [&](const httplib::Request& request, httplib::Response& response) {
      recorder.record(request);
      const json message = {{"role", "assistant"}, {"content", "The answer is \\boxed{4}."}, {"reasoning_content", "2+2=4"}};
      const json reply = {{"choices", {{{"index", 0}, {"message", message}, {"finish_reason", "length"}}}},
                          {"usage", {{"prompt_tokens", 12}, {"completion_tokens", 30}}}};
      response.set_content(reply.dump(), "application/json");
    });
  });
  unsetenv(kKeyEnv);
  auto backend = make_backend_or_fail(config_for(server, {{"endpoint", "chat"}}));
  ASSERT_NE(backend, nullptr);
  EXPECT_EQ(backend->name(), "openai:" + server.base_url() + " (chat)");

  const tasks::Task task = test_task();
  Result<std::vector<Completion>> completions = backend->generate(request_for(task, {1}));
  ASSERT_TRUE(completions.is_ok()) << completions.status().message();
  ASSERT_EQ(completions->size(), 1u);
  EXPECT_EQ((*completions)[0].text, "<think>\n2+2=4\n</think>\nThe answer is \\boxed{4}.");
  EXPECT_EQ((*completions)[0].finish_reason, "length");
  EXPECT_EQ((*completions)[0].completion_tokens, 30);

  ASSERT_EQ(recorder.bodies.size(), 1u);
  const json& body = recorder.bodies[0];
  EXPECT_EQ(body["messages"], json::parse(R"([{"role": "user", "content": "What is 2+2? Put the answer in \\boxed{}."}])"));
  EXPECT_FALSE(body.contains("prompt"));
  EXPECT_EQ(body["seed"].get<uint64_t>(), seed_of(1));
  EXPECT_EQ(recorder.authorizations[0], "");
}

TEST(HttpBackend, RequestNGroupsSamplesAndSplitsCompletionTokens) {
  Recorder recorder;
  LoopbackServer server([&](httplib::Server& http, LoopbackServer&) {
    http.Post("/v1/completions", [&](const httplib::Request& request, httplib::Response& response) {
      response.set_content(completions_reply(recorder.record(request), 11), "application/json");
    });
  });
  auto backend = make_backend_or_fail(config_for(server, {{"request_n", 2}}));
  ASSERT_NE(backend, nullptr);

  const tasks::Task task = test_task();
  Result<std::vector<Completion>> completions = backend->generate(request_for(task, {0, 1, 2}));
  ASSERT_TRUE(completions.is_ok()) << completions.status().message();
  ASSERT_EQ(completions->size(), 3u);
  EXPECT_EQ((*completions)[0].text, "seed " + std::to_string(seed_of(0)) + " choice 0");
  EXPECT_EQ((*completions)[1].text, "seed " + std::to_string(seed_of(0)) + " choice 1");
  EXPECT_EQ((*completions)[2].text, "seed " + std::to_string(seed_of(2)) + " choice 0");
  EXPECT_EQ((*completions)[0].completion_tokens, 6);   // 11 tokens over 2 samples: 6 + 5
  EXPECT_EQ((*completions)[1].completion_tokens, 5);
  EXPECT_EQ((*completions)[2].completion_tokens, 11);
  std::multiset<int> request_ns;
  for (const json& body : recorder.bodies) request_ns.insert(body["n"].get<int>());
  EXPECT_EQ(request_ns, (std::multiset<int>{1, 2}));
}

TEST(HttpBackend, RetriesServerErrorsThenSucceeds) {
  Recorder recorder;
  LoopbackServer server([&](httplib::Server& http, LoopbackServer&) {
    http.Post("/v1/completions", [&](const httplib::Request& request, httplib::Response& response) {
      const json body = recorder.record(request);
      if (recorder.attempts <= 2) {
        response.status = 500;
        response.set_content(R"({"error": {"message": "warming up"}})", "application/json");
        return;
      }
      response.set_content(completions_reply(body, 5), "application/json");
    });
  });
  auto backend = make_backend_or_fail(config_for(server, {{"max_retries", 2}}));
  ASSERT_NE(backend, nullptr);

  const tasks::Task task = test_task();
  Result<std::vector<Completion>> completions = backend->generate(request_for(task, {0}));
  ASSERT_TRUE(completions.is_ok()) << completions.status().message();
  EXPECT_EQ(recorder.attempts, 3);
  EXPECT_EQ((*completions)[0].text, "seed " + std::to_string(seed_of(0)) + " choice 0");
}

TEST(HttpBackend, PersistentServerErrorFailsAfterMaxRetriesNamingUrlAndTask) {
  Recorder recorder;
  LoopbackServer server([&](httplib::Server& http, LoopbackServer&) {
    http.Post("/v1/completions", [&](const httplib::Request& request, httplib::Response& response) {
      recorder.record(request);
      response.status = 503;
      response.set_content(R"({"error": {"message": "engine crashed"}})", "application/json");
    });
  });
  auto backend = make_backend_or_fail(config_for(server, {{"max_retries", 1}}));
  ASSERT_NE(backend, nullptr);

  const tasks::Task task = test_task();
  Result<std::vector<Completion>> completions = backend->generate(request_for(task, {0}));
  ASSERT_FALSE(completions.is_ok());
  EXPECT_EQ(recorder.attempts, 2);
  EXPECT_EQ(completions.status().code(), StatusCode::kUnavailable);
  const std::string& message = completions.status().message();
  EXPECT_NE(message.find(server.base_url() + "/completions"), std::string::npos) << message;
  EXPECT_NE(message.find("task t1"), std::string::npos) << message;
  EXPECT_NE(message.find("2 attempts"), std::string::npos) << message;
  EXPECT_NE(message.find("HTTP 503: engine crashed"), std::string::npos) << message;
}

TEST(HttpBackend, TooManyRequestsWaitsForRetryAfter) {
  Recorder recorder;
  LoopbackServer server([&](httplib::Server& http, LoopbackServer&) {
    http.Post("/v1/completions", [&](const httplib::Request& request, httplib::Response& response) {
      const json body = recorder.record(request);
      if (recorder.attempts == 1) {
        response.status = 429;
        response.set_header("Retry-After", "1");
        return;
      }
      response.set_content(completions_reply(body, 5), "application/json");
    });
  });
  auto backend = make_backend_or_fail(config_for(server));
  ASSERT_NE(backend, nullptr);

  const tasks::Task task = test_task();
  const auto start = steady_clock::now();
  Result<std::vector<Completion>> completions = backend->generate(request_for(task, {0}));
  ASSERT_TRUE(completions.is_ok()) << completions.status().message();
  EXPECT_EQ(recorder.attempts, 2);
  EXPECT_GE(seconds_since(start), 0.95);  // the plain first backoff would be at most 0.5 s
}

TEST(HttpBackend, ClientErrorFailsWithoutRetry) {
  Recorder recorder;
  LoopbackServer server([&](httplib::Server& http, LoopbackServer&) {
    http.Post("/v1/completions", [&](const httplib::Request& request, httplib::Response& response) {
      recorder.record(request);
      response.status = 400;
      response.set_content(R"({"error": {"message": "max_tokens is too large for this model"}})", "application/json");
    });
  });
  auto backend = make_backend_or_fail(config_for(server, {{"max_retries", 3}}));
  ASSERT_NE(backend, nullptr);

  const tasks::Task task = test_task();
  Result<std::vector<Completion>> completions = backend->generate(request_for(task, {0}));
  ASSERT_FALSE(completions.is_ok());
  EXPECT_EQ(recorder.attempts, 1);
  EXPECT_EQ(completions.status().code(), StatusCode::kInvalidInput);
  const std::string& message = completions.status().message();
  EXPECT_NE(message.find("HTTP 400: max_tokens is too large for this model"), std::string::npos) << message;
  EXPECT_NE(message.find(server.base_url() + "/completions"), std::string::npos) << message;
}

TEST(HttpBackend, StalledServerTimesOutWithoutHanging) {
  Recorder recorder;
  LoopbackServer server([&](httplib::Server& http, LoopbackServer& self) {
    http.Post("/v1/completions", [&](const httplib::Request& request, httplib::Response& response) {
      const json body = recorder.record(request);
      self.stall(std::chrono::seconds(10));
      response.set_content(completions_reply(body, 5), "application/json");
    });
  });
  auto backend = make_backend_or_fail(config_for(server, {{"timeout_s", 1}, {"max_retries", 0}}));
  ASSERT_NE(backend, nullptr);

  const tasks::Task task = test_task();
  const auto start = steady_clock::now();
  Result<std::vector<Completion>> completions = backend->generate(request_for(task, {0}));
  EXPECT_LT(seconds_since(start), 5.0);
  ASSERT_FALSE(completions.is_ok());
  EXPECT_EQ(completions.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(completions.status().message().find(server.base_url()), std::string::npos) << completions.status().message();
}

TEST(HttpBackend, UnreachableServerFailsNamingUrl) {
  std::string base_url;
  {
    LoopbackServer closed([](httplib::Server&, LoopbackServer&) {});
    base_url = closed.base_url();
  }
  auto backend = make_backend_or_fail({{"base_url", base_url}, {"model", "tiny-r1"}, {"max_retries", 0}});
  ASSERT_NE(backend, nullptr);

  const tasks::Task task = test_task();
  Result<std::vector<Completion>> completions = backend->generate(request_for(task, {0}));
  ASSERT_FALSE(completions.is_ok());
  EXPECT_EQ(completions.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(completions.status().message().find(base_url + "/completions for task t1"), std::string::npos)
      << completions.status().message();
}

TEST(HttpBackend, MalformedJsonIsAnErrorAfterRetries) {
  Recorder recorder;
  LoopbackServer server([&](httplib::Server& http, LoopbackServer&) {
    http.Post("/v1/completions", [&](const httplib::Request&, httplib::Response& response) {
      ++recorder.attempts;
      response.set_content("{\"choices\": [", "application/json");
    });
  });
  auto backend = make_backend_or_fail(config_for(server, {{"max_retries", 1}}));
  ASSERT_NE(backend, nullptr);

  const tasks::Task task = test_task();
  Result<std::vector<Completion>> completions = backend->generate(request_for(task, {0}));
  ASSERT_FALSE(completions.is_ok());
  EXPECT_EQ(recorder.attempts, 2);
  const std::string& message = completions.status().message();
  EXPECT_NE(message.find("server returned"), std::string::npos) << message;
  EXPECT_NE(message.find(server.base_url() + "/completions for task t1"), std::string::npos) << message;
}

TEST(HttpBackend, WrongChoiceCountIsAnError) {
  Recorder recorder;
  LoopbackServer server([&](httplib::Server& http, LoopbackServer&) {
    http.Post("/v1/completions", [&](const httplib::Request& request, httplib::Response& response) {
      json body = recorder.record(request);
      body["n"] = 2;  // answers two choices whatever was asked
      response.set_content(completions_reply(body, 5), "application/json");
    });
  });
  auto backend = make_backend_or_fail(config_for(server, {{"max_retries", 0}}));
  ASSERT_NE(backend, nullptr);

  const tasks::Task task = test_task();
  Result<std::vector<Completion>> completions = backend->generate(request_for(task, {0}));
  ASSERT_FALSE(completions.is_ok());
  EXPECT_NE(completions.status().message().find("server returned 2 choices for n = 1"), std::string::npos)
      << completions.status().message();
}

TEST(HttpBackend, ConcurrencyLimitBoundsInFlightRequests) {
  std::atomic<int> in_flight = 0, max_in_flight = 0, num_requests = 0;
  LoopbackServer server([&](httplib::Server& http, LoopbackServer&) {
    http.Post("/v1/completions", [&](const httplib::Request& request, httplib::Response& response) {
      ++num_requests;
      const int now = ++in_flight;
      int seen = max_in_flight;
      while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {}
      std::this_thread::sleep_for(std::chrono::milliseconds(40));
      --in_flight;
      response.set_content(completions_reply(json::parse(request.body), 5), "application/json");
    });
  });
  auto backend = make_backend_or_fail(config_for(server, {{"concurrency", 2}}));
  ASSERT_NE(backend, nullptr);

  const tasks::Task task = test_task();
  std::atomic<int> num_ok = 0;
  {
    std::vector<std::jthread> callers;
    for (int i = 0; i < 8; ++i) {
      callers.emplace_back([&] {
        if (backend->generate(request_for(task, {0, 1})).is_ok()) ++num_ok;
      });
    }
  }
  EXPECT_EQ(num_ok, 8);
  EXPECT_EQ(num_requests, 16);
  EXPECT_GE(max_in_flight, 1);
  EXPECT_LE(max_in_flight, 2);
}

TEST(HttpBackend, ConfigErrorsNameWhereAndKey) {
  const json good = {{"type", "openai"}, {"base_url", "http://127.0.0.1:8000/v1"}, {"model", "tiny-r1"}};
  EXPECT_TRUE(make_http_backend(good, kWhere).is_ok());

  auto with = [&good](const json& patch) {
    json config = good;
    config.update(patch);
    return config;
  };
  auto expect_error = [](const json& config, const std::string& needle) {
    Result<std::unique_ptr<Backend>> backend = make_http_backend(config, kWhere);
    ASSERT_FALSE(backend.is_ok()) << config.dump();
    EXPECT_EQ(backend.status().code(), StatusCode::kInvalidInput);
    EXPECT_NE(backend.status().message().find(kWhere), std::string::npos) << backend.status().message();
    EXPECT_NE(backend.status().message().find(needle), std::string::npos) << backend.status().message();
  };
  json missing_url = good;
  missing_url.erase("base_url");
  expect_error(missing_url, "\"base_url\" is required");
  json unknown_key = good;
  unknown_key["temprature"] = 0.6;
  expect_error(unknown_key, "unknown key \"temprature\"");
  expect_error(with({{"base_url", "ftp://127.0.0.1/v1"}}), "base_url");
  expect_error(with({{"base_url", "http://:8000/v1"}}), "base_url");
  expect_error(with({{"endpoint", "responses"}}), "\"endpoint\"");
  expect_error(with({{"concurrency", 0}}), "\"concurrency\"");
  expect_error(with({{"timeout_s", "10"}}), "\"timeout_s\"");
  expect_error(with({{"extra_body", {{"n", 4}}}}), "\"extra_body\" may not set \"n\"");
  json missing_model = good;
  missing_model.erase("model");
  expect_error(missing_model, "\"model\" is required");
}

}  // namespace
}  // namespace r1b::harness
