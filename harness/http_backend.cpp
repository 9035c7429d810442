#include "harness/http_backend.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <random>
#include <semaphore>
#include <thread>
#include <utility>

namespace r1b::harness {
namespace {

using nlohmann::json;

constexpr double kBackoffBaseS = 0.5;
constexpr double kBackoffCapS = 30.0;
constexpr size_t kMaxQuotedBodyChars = 300;

constexpr std::array<const char*, 10> kConfigKeys = {
    "type", "base_url", "model", "endpoint", "api_key_env",
    "concurrency", "timeout_s", "max_retries", "request_n", "extra_body"};
constexpr std::array<const char*, 8> kBackendBodyKeys = {
    "model", "prompt", "messages", "n", "seed", "temperature", "top_p", "max_tokens"};

struct HttpConfig {
  std::string base_url;            // as configured, without a trailing '/'
  std::string scheme_host_port;    // "http://127.0.0.1:8000"
  std::string path;                // "/v1/completions" or "/v1/chat/completions"
  std::string model;
  std::string endpoint = "completions";
  std::string api_key;             // empty: no Authorization header
  int concurrency = 8;
  double timeout_s = 600.0;
  int max_retries = 5;
  int request_n = 1;
  json extra_body = json::object();
};

// The reply to one request, its choices in index order.
struct Reply {
  std::vector<std::pair<std::string, std::string>> choices;  // (text, finish_reason)
  std::optional<int64_t> prompt_tokens;
  std::optional<int64_t> completion_tokens;
  double latency_ms = 0.0;
};

// One attempt's outcome: a reply, or why not and whether (and after how long) to try again.
struct Attempt {
  Result<Reply> reply;
  bool retryable = false;
  std::optional<double> retry_after_s;
};

// Reads config[key] into `out` when present, checking its JSON type.
template <typename T>
Status read_key(const json& config, const char* key, const std::string& where, T& out) {
  auto it = config.find(key);
  if (it == config.end()) return Status::ok();
  bool type_ok = it->is_object();
  const char* expected = "an object";
  if constexpr (std::is_same_v<T, std::string>) {
    type_ok = it->is_string();
    expected = "a string";
  } else if constexpr (std::is_same_v<T, int>) {
    type_ok = it->is_number_integer() && *it >= 0 && *it <= 1'000'000;
    expected = "an integer from 0 to 1000000";
  } else if constexpr (std::is_same_v<T, double>) {
    type_ok = it->is_number() && it->template get<double>() > 0;
    expected = "a positive number";
  }
  if (!type_ok) {
    return Status::invalid_input(fmt::format("{}: \"{}\" must be {}, got {}", where, key, expected, it->dump()));
  }
  out = it->template get<T>();
  return Status::ok();
}

// Splits base_url = scheme://host[:port][/path]: httplib connects to the first part, requests
// carry the path.
Status split_base_url(HttpConfig& cfg, const std::string& where) {
  while (!cfg.base_url.empty() && cfg.base_url.back() == '/') cfg.base_url.pop_back();
  const size_t scheme_end = cfg.base_url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : cfg.base_url.substr(0, scheme_end);
  const size_t host_start = scheme_end == std::string::npos ? cfg.base_url.size() : scheme_end + 3;
  const size_t path_start = cfg.base_url.find('/', host_start);
  const std::string host_port = cfg.base_url.substr(host_start, path_start - host_start);
  if ((scheme != "http" && scheme != "https") || host_port.empty() || host_port[0] == ':') {
    return Status::invalid_input(fmt::format(
        "{}: \"base_url\" is required and must look like http://host:port/v1 or https://host/v1, got \"{}\"",
        where, cfg.base_url));
  }
  cfg.scheme_host_port = cfg.base_url.substr(0, path_start);
  cfg.path = (path_start == std::string::npos ? "" : cfg.base_url.substr(path_start)) +
             (cfg.endpoint == "chat" ? "/chat/completions" : "/completions");
  return Status::ok();
}

Result<HttpConfig> parse_config(const json& config, const std::string& where) {
  if (!config.is_object()) return Status::invalid_input(where + ": the openai backend must be a JSON object");
  for (const auto& item : config.items()) {
    if (std::find(kConfigKeys.begin(), kConfigKeys.end(), item.key()) == kConfigKeys.end()) {
      return Status::invalid_input(fmt::format("{}: unknown key \"{}\" (the openai backend takes {})", where,
                                               item.key(), fmt::join(kConfigKeys, ", ")));
    }
  }
  HttpConfig cfg;
  std::string type = "openai", api_key_env = "OPENAI_API_KEY";
  R1B_RETURN_IF_ERROR(read_key(config, "type", where, type));
  R1B_RETURN_IF_ERROR(read_key(config, "base_url", where, cfg.base_url));
  R1B_RETURN_IF_ERROR(read_key(config, "model", where, cfg.model));
  R1B_RETURN_IF_ERROR(read_key(config, "endpoint", where, cfg.endpoint));
  R1B_RETURN_IF_ERROR(read_key(config, "api_key_env", where, api_key_env));
  R1B_RETURN_IF_ERROR(read_key(config, "concurrency", where, cfg.concurrency));
  R1B_RETURN_IF_ERROR(read_key(config, "timeout_s", where, cfg.timeout_s));
  R1B_RETURN_IF_ERROR(read_key(config, "max_retries", where, cfg.max_retries));
  R1B_RETURN_IF_ERROR(read_key(config, "request_n", where, cfg.request_n));
  R1B_RETURN_IF_ERROR(read_key(config, "extra_body", where, cfg.extra_body));

  if (type != "openai") {
    return Status::invalid_input(fmt::format("{}: \"type\" must be \"openai\", got \"{}\"", where, type));
  }
  if (cfg.model.empty()) {
    return Status::invalid_input(where + ": \"model\" is required (the model name the server serves)");
  }
  if (cfg.endpoint != "completions" && cfg.endpoint != "chat") {
    return Status::invalid_input(
        fmt::format("{}: \"endpoint\" must be \"completions\" or \"chat\", got \"{}\"", where, cfg.endpoint));
  }
  if (cfg.concurrency < 1 || cfg.request_n < 1) {
    return Status::invalid_input(where + ": \"concurrency\" and \"request_n\" must be at least 1");
  }
  for (const char* key : kBackendBodyKeys) {
    if (cfg.extra_body.contains(key)) {
      return Status::invalid_input(
          fmt::format("{}: \"extra_body\" may not set \"{}\": the backend sets it (from the suite)", where, key));
    }
  }
  R1B_RETURN_IF_ERROR(split_base_url(cfg, where));
  if (const char* key = std::getenv(api_key_env.c_str())) cfg.api_key = key;
  return cfg;
}

// A server body quoted in an error: its first kMaxQuotedBodyChars characters, on one line.
std::string quote_body(const std::string& body) {
  if (body.empty()) return "(empty body)";
  std::string quoted = body.substr(0, kMaxQuotedBodyChars);
  std::replace(quoted.begin(), quoted.end(), '\n', ' ');
  return body.size() > kMaxQuotedBodyChars ? quoted + "..." : quoted;
}

// The server's own error message: OpenAI's {"error": {"message": ...}}, vLLM's {"message": ...},
// else the quoted body.
std::string server_message(const std::string& body) {
  const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object()) {
    auto error = parsed.find("error");
    if (error != parsed.end() && error->is_object() && error->contains("message") && (*error)["message"].is_string()) {
      return (*error)["message"].get<std::string>();
    }
    if (error != parsed.end() && error->is_string()) return error->get<std::string>();
    if (parsed.contains("message") && parsed["message"].is_string()) return parsed["message"].get<std::string>();
  }
  return quote_body(body);
}

// obj[key] as a string: "" when absent or null, nullopt when of another type.
std::optional<std::string> string_field(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<int64_t> token_count(const json& usage, const char* key) {
  auto it = usage.find(key);
  if (it == usage.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

Result<Reply> parse_reply(const std::string& body, size_t num_choices, bool is_chat) {
  const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object() || !parsed.contains("choices") || !parsed["choices"].is_array()) {
    return Status::internal("server returned a body without a \"choices\" array: " + quote_body(body));
  }
  const json& choices = parsed["choices"];
  if (choices.size() != num_choices) {
    return Status::internal(fmt::format("server returned {} choices for n = {}", choices.size(), num_choices));
  }
  Reply reply;
  reply.choices.resize(num_choices);
  std::vector<bool> seen(num_choices, false);
  for (size_t pos = 0; pos < num_choices; ++pos) {
    const json& choice = choices[pos];
    const json index = choice.is_object() ? choice.value("index", json(pos)) : json();
    if (!index.is_number_unsigned() || index.get<size_t>() >= num_choices || seen[index.get<size_t>()]) {
      return Status::internal(fmt::format("server returned a malformed choice: {}", quote_body(choice.dump())));
    }
    seen[index.get<size_t>()] = true;
    const json& holder = is_chat ? choice.value("message", json::object()) : choice;
    std::optional<std::string> text = string_field(holder, is_chat ? "content" : "text");
    std::optional<std::string> reasoning = is_chat ? string_field(holder, "reasoning_content") : std::string();
    std::optional<std::string> finish_reason = string_field(choice, "finish_reason");
    if (!holder.is_object() || !text || !reasoning || !finish_reason || (!is_chat && !choice.contains("text"))) {
      return Status::internal(fmt::format("server returned a malformed choice: {}", quote_body(choice.dump())));
    }
    if (!reasoning->empty()) *text = "<think>\n" + *reasoning + "\n</think>\n" + *text;
    reply.choices[index.get<size_t>()] = {std::move(*text), std::move(*finish_reason)};
  }
  if (parsed.contains("usage") && parsed["usage"].is_object()) {
    reply.prompt_tokens = token_count(parsed["usage"], "prompt_tokens");
    reply.completion_tokens = token_count(parsed["usage"], "completion_tokens");
  }
  return reply;
}

// "Retry-After: <seconds>" (the HTTP-date form is not honored: plain backoff applies).
std::optional<double> parse_retry_after(const std::string& value) {
  char* end = nullptr;
  const double seconds = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !(seconds >= 0)) return std::nullopt;
  return seconds;
}

std::chrono::duration<double> backoff_delay(int attempt, std::optional<double> retry_after_s) {
  if (retry_after_s) return std::chrono::duration<double>(std::min(*retry_after_s, kBackoffCapS));
  std::random_device entropy;
  const double jitter = std::uniform_real_distribution<double>(0.5, 1.0)(entropy);
  return std::chrono::duration<double>(std::min(kBackoffCapS, kBackoffBaseS * std::ldexp(1.0, attempt)) * jitter);
}

// Holds one of the semaphore's slots for its lifetime.
class InFlightSlot {
 public:
  explicit InFlightSlot(std::counting_semaphore<>& slots) : slots_(slots) { slots_.acquire(); }
  ~InFlightSlot() { slots_.release(); }
  InFlightSlot(const InFlightSlot&) = delete;
  InFlightSlot& operator=(const InFlightSlot&) = delete;

 private:
  std::counting_semaphore<>& slots_;
};

class HttpBackend final : public Backend {
 public:
  explicit HttpBackend(HttpConfig cfg) : cfg_(std::move(cfg)), in_flight_slots_(cfg_.concurrency) {}

  std::string name() const override { return "openai:" + cfg_.base_url + " (" + cfg_.endpoint + ")"; }
  std::string model() const override { return cfg_.model; }

  Result<std::vector<Completion>> generate(const GenerationRequest& request) override {
    R1B_CHECK(request.task != nullptr);
    const size_t num_samples = request.sample_indices.size();
    const size_t group_size = static_cast<size_t>(cfg_.request_n);
    const size_t num_groups = (num_samples + group_size - 1) / group_size;
    std::vector<Completion> completions(num_samples);
    std::vector<Status> group_status(num_groups);
    std::atomic<size_t> next_group = 0;
    std::atomic<bool> failed = false;
    auto work = [&] {
      for (size_t group = next_group++; group < num_groups && !failed; group = next_group++) {
        const size_t first = group * group_size;
        group_status[group] = run_group(request, first, std::min(group_size, num_samples - first), completions);
        if (!group_status[group].is_ok()) failed = true;
      }
    };
    {
      // The groups run in parallel; the semaphore bounds the requests in flight over all calls.
      std::vector<std::jthread> helpers;
      const size_t num_workers = std::min(num_groups, static_cast<size_t>(cfg_.concurrency));
      for (size_t i = 1; i < num_workers; ++i) helpers.emplace_back(work);
      work();
    }
    for (const Status& status : group_status) R1B_RETURN_IF_ERROR(status);
    return completions;
  }

 private:
  // Produces completions[first, first + count) with one request.
  Status run_group(const GenerationRequest& request, size_t first, size_t count, std::vector<Completion>& completions) {
    const std::string& task_id = request.task->id;
    json body = cfg_.extra_body;
    body["model"] = cfg_.model;
    body["temperature"] = request.sampling.temperature;
    body["top_p"] = request.sampling.top_p;
    body["max_tokens"] = request.sampling.max_tokens;
    body["n"] = count;
    body["seed"] = sample_seed(request.sampling.seed, request.pack, task_id, request.sample_indices[first]);
    if (cfg_.endpoint == "chat") {
      body["messages"] = json::array({{{"role", "user"}, {"content", request.user_message}}});
    } else {
      body["prompt"] = request.prompt;
    }
    Result<Reply> reply = post_with_retries(body.dump(-1, ' ', false, json::error_handler_t::replace), count, task_id);
    R1B_RETURN_IF_ERROR(reply);
    for (size_t i = 0; i < count; ++i) {
      Completion& completion = completions[first + i];
      completion.sample_idx = request.sample_indices[first + i];
      completion.text = std::move(reply->choices[i].first);
      completion.finish_reason = std::move(reply->choices[i].second);
      completion.prompt_tokens = reply->prompt_tokens;
      if (reply->completion_tokens) {
        const int64_t total = *reply->completion_tokens, num = static_cast<int64_t>(count);
        completion.completion_tokens = total / num + (static_cast<int64_t>(i) < total % num ? 1 : 0);
      }
      completion.latency_ms = reply->latency_ms;
    }
    return Status::ok();
  }

  Result<Reply> post_with_retries(const std::string& body, size_t num_choices, const std::string& task_id) {
    const std::string url = cfg_.scheme_host_port + cfg_.path;
    for (int attempt = 0;; ++attempt) {
      Attempt outcome = post_once(body, num_choices);
      if (outcome.reply.is_ok()) return outcome.reply;
      if (!outcome.retryable) {
        return outcome.reply.status().with_context(fmt::format(
            "POST {} for task {} was rejected (check the backend's model and extra_body and the suite's "
            "sampling settings)", url, task_id));
      }
      if (attempt == cfg_.max_retries) {
        return outcome.reply.status().with_context(
            fmt::format("POST {} for task {} failed after {} attempt{}", url, task_id, attempt + 1,
                        attempt == 0 ? "" : "s"));
      }
      std::this_thread::sleep_for(backoff_delay(attempt, outcome.retry_after_s));
    }
  }

  Attempt post_once(const std::string& body, size_t num_choices) {
    httplib::Client client(cfg_.scheme_host_port);
    const auto timeout_s = static_cast<time_t>(cfg_.timeout_s);
    const auto timeout_us = static_cast<time_t>((cfg_.timeout_s - static_cast<double>(timeout_s)) * 1e6);
    client.set_connection_timeout(timeout_s, timeout_us);
    client.set_read_timeout(timeout_s, timeout_us);
    client.set_write_timeout(timeout_s, timeout_us);
    httplib::Headers headers;
    if (!cfg_.api_key.empty()) headers.emplace("Authorization", "Bearer " + cfg_.api_key);

    InFlightSlot slot(in_flight_slots_);
    const auto start = std::chrono::steady_clock::now();
    const httplib::Result response = client.Post(cfg_.path, headers, body, "application/json");
    const std::chrono::duration<double, std::milli> latency = std::chrono::steady_clock::now() - start;
    if (!response) {
      return {Status::unavailable(fmt::format("no answer ({} error; timeout_s is {}): check that the server is up",
                                              httplib::to_string(response.error()), cfg_.timeout_s)),
              true, std::nullopt};
    }
    const int code = response->status;
    if (code < 200 || code >= 300) {
      const bool retryable = code == 408 || code == 429 || code >= 500;
      const std::string message = fmt::format("HTTP {}: {}", code, server_message(response->body));
      return {retryable ? Status::unavailable(message) : Status::invalid_input(message), retryable,
              parse_retry_after(response->get_header_value("Retry-After"))};
    }
    Result<Reply> reply = parse_reply(response->body, num_choices, cfg_.endpoint == "chat");
    if (reply.is_ok()) reply->latency_ms = latency.count();
    return {std::move(reply), true, std::nullopt};
  }

  const HttpConfig cfg_;
  std::counting_semaphore<> in_flight_slots_;  // one slot per allowed in-flight request
};

}  // namespace

Result<std::unique_ptr<Backend>> make_http_backend(const json& config, const std::string& where) {
  Result<HttpConfig> cfg = parse_config(config, where);
  R1B_RETURN_IF_ERROR(cfg);
  return std::unique_ptr<Backend>(std::make_unique<HttpBackend>(std::move(cfg).value()));
}

}  // namespace r1b::harness
