#include "harness/openai_server.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <random>
#include <thread>

namespace r1b::harness {
namespace {

using nlohmann::json;

Status field_error(const std::string& field, const std::string& what) {
  return Status::invalid_input(field + ": " + what);
}

json error_body(const std::string& message, const std::string& type, const std::string& param) {
  return {{"error", {{"message", message}, {"type", type}, {"param", param.empty() ? json(nullptr) : json(param)},
                     {"code", nullptr}}}};
}

// The field a parse error names: the text before the first ':' of the message.
std::string param_of(const Status& status) {
  const std::string& m = status.message();
  const auto colon = m.find(':');
  return colon == std::string::npos ? "" : m.substr(0, colon);
}

Result<double> number_in(const json& body, const char* key, double fallback, double lo, double hi, bool lo_open) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  if (!body[key].is_number()) return field_error(key, "must be a number");
  const double v = body[key].get<double>();
  if (v > hi || v < lo || (lo_open && v == lo)) {
    return field_error(key, "must be " + std::string(lo_open ? "> " : ">= ") + json(lo).dump() + " and <= " +
                                json(hi).dump() + " (got " + json(v).dump() + ")");
  }
  return v;
}

Result<std::optional<int64_t>> integer_in(const json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) return std::optional<int64_t>();
  if (!body[key].is_number_integer()) return field_error(key, "must be an integer");
  return std::optional<int64_t>(body[key].get<int64_t>());
}

Result<std::vector<ChatMessage>> messages_in(const json& body) {
  if (!body.contains("messages")) return field_error("messages", "required for chat completions");
  const json& list = body["messages"];
  if (!list.is_array() || list.empty()) return field_error("messages", "must be a non-empty array");
  std::vector<ChatMessage> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string where = "messages[" + std::to_string(i) + "]";
    const json& m = list[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
      return field_error(where, "must be an object with a string \"role\"");
    }
    ChatMessage msg{m["role"].get<std::string>(), ""};
    if (msg.role != "system" && msg.role != "user" && msg.role != "assistant") {
      return field_error(where + ".role", "must be system, user or assistant (got \"" + msg.role + "\")");
    }
    const json content = m.value("content", json(nullptr));
    if (content.is_string()) {
      msg.content = content.get<std::string>();
    } else if (content.is_array()) {  // [{"type": "text", "text": ...}]
      for (const json& part : content) {
        if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") || !part["text"].is_string()) {
          return field_error(where + ".content", "only text parts are supported");
        }
        msg.content += part["text"].get<std::string>();
      }
    } else {
      return field_error(where + ".content", "must be a string or an array of text parts");
    }
    out.push_back(std::move(msg));
  }
  return out;
}

Result<std::vector<std::string>> stop_in(const json& body) {
  std::vector<std::string> out;
  if (!body.contains("stop") || body["stop"].is_null()) return out;
  const json& stop = body["stop"];
  if (stop.is_string()) {
    out.push_back(stop.get<std::string>());
  } else if (stop.is_array() && stop.size() <= 4) {
    for (const json& s : stop) {
      if (!s.is_string()) return field_error("stop", "must be a string or an array of up to 4 strings");
      out.push_back(s.get<std::string>());
    }
  } else {
    return field_error("stop", "must be a string or an array of up to 4 strings");
  }
  for (const std::string& s : out) {
    if (s.empty()) return field_error("stop", "stop strings must not be empty");
  }
  return out;
}

std::string new_id(const char* prefix) {
  static std::atomic<uint64_t> counter{0};
  return std::string(prefix) + std::to_string(std::chrono::system_clock::now().time_since_epoch().count()) + "-" +
         std::to_string(counter.fetch_add(1));
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// One response's envelope: ids and names shared by its body or chunks.
struct Envelope {
  bool is_chat = false;
  std::string id;
  std::string model;
  int64_t created = 0;

  json base(bool chunk) const {
    return {{"id", id},
            {"object", is_chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion"},
            {"created", created},
            {"model", model}};
  }
  json chunk(int index, std::string_view text, const json& finish_reason) const {
    json out = base(true);
    json choice = {{"index", index}, {"finish_reason", finish_reason}};
    if (is_chat) {
      choice["delta"] = text.empty() ? json::object() : json{{"role", "assistant"}, {"content", std::string(text)}};
    } else {
      choice["text"] = std::string(text);
      choice["logprobs"] = nullptr;
    }
    out["choices"] = json::array({choice});
    return out;
  }
  json body(const TextResult& result) const {
    json out = base(false);
    json choices = json::array();
    int64_t completion_tokens = 0;
    for (std::size_t i = 0; i < result.choices.size(); ++i) {
      const TextChoice& c = result.choices[i];
      json choice = {{"index", i}, {"finish_reason", c.finish_reason}};
      if (is_chat) {
        choice["message"] = {{"role", "assistant"}, {"content", c.text}};
      } else {
        choice["text"] = c.text;
        choice["logprobs"] = nullptr;
      }
      choices.push_back(std::move(choice));
      completion_tokens += c.completion_tokens;
    }
    out["choices"] = std::move(choices);
    out["usage"] = {{"prompt_tokens", result.prompt_tokens},
                    {"completion_tokens", completion_tokens},
                    {"total_tokens", result.prompt_tokens + completion_tokens}};
    return out;
  }
};

void send_error(httplib::Response& res, int http_status, const std::string& message, const std::string& type,
                const std::string& param) {
  res.status = http_status;
  res.set_content(error_body(message, type, param).dump(), "application/json");
}

}  // namespace

Result<TextRequest> parse_completion_request(std::string_view body_text, bool is_chat, const TextGenerator& generator) {
  json body = json::parse(body_text.begin(), body_text.end(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return Status::invalid_input("body: not valid JSON");
  if (!body.is_object()) return Status::invalid_input("body: must be a JSON object");
  TextRequest request;
  if (is_chat) {
    auto messages = messages_in(body);
    R1B_RETURN_IF_ERROR(messages.status());
    auto prompt = generator.render_chat(*messages);
    if (!prompt.is_ok()) return field_error("messages", prompt.status().message());
    request.prompt = std::move(*prompt);
  } else {
    if (!body.contains("prompt")) return field_error("prompt", "required");
    const json& prompt = body["prompt"];
    if (prompt.is_string()) {
      request.prompt = prompt.get<std::string>();
    } else if (prompt.is_array() && prompt.size() == 1 && prompt[0].is_string()) {
      request.prompt = prompt[0].get<std::string>();
    } else {
      return field_error("prompt", "must be a string or an array of one string (token-id prompts are not supported)");
    }
  }
  auto n = integer_in(body, "n");
  R1B_RETURN_IF_ERROR(n.status());
  request.n = static_cast<int>(n->value_or(1));
  if (n->value_or(1) < 1 || n->value_or(1) > kMaxN) {
    return field_error("n", "must be between 1 and " + std::to_string(kMaxN));
  }
  auto temperature = number_in(body, "temperature", 1.0, 0.0, 2.0, false);
  R1B_RETURN_IF_ERROR(temperature.status());
  request.temperature = *temperature;
  auto top_p = number_in(body, "top_p", 1.0, 0.0, 1.0, true);
  R1B_RETURN_IF_ERROR(top_p.status());
  request.top_p = *top_p;
  auto top_k = integer_in(body, "top_k");
  R1B_RETURN_IF_ERROR(top_k.status());
  if (top_k->value_or(0) < -1) return field_error("top_k", "must be -1, 0 (off) or a positive integer");
  request.top_k = static_cast<int>(std::max<int64_t>(0, top_k->value_or(0)));
  const char* max_key = body.contains("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
  auto max_tokens = integer_in(body, max_key);
  R1B_RETURN_IF_ERROR(max_tokens.status());
  if (max_tokens->has_value()) {
    if (**max_tokens < 1) return field_error(max_key, "must be at least 1");
    request.max_tokens = static_cast<int>(std::min<int64_t>(**max_tokens, 1 << 30));
  } else if (!is_chat) {
    request.max_tokens = 16;  // OpenAI's default for completions
  }
  auto stop = stop_in(body);
  R1B_RETURN_IF_ERROR(stop.status());
  request.stop = std::move(*stop);
  auto seed = integer_in(body, "seed");
  R1B_RETURN_IF_ERROR(seed.status());
  request.seed = seed->has_value() ? static_cast<uint64_t>(**seed) : std::random_device{}();
  if (body.contains("stream") && !body["stream"].is_boolean() && !body["stream"].is_null()) {
    return field_error("stream", "must be a boolean");
  }
  return request;
}

struct OpenAIServer::Impl {
  TextGenerator* generator = nullptr;
  httplib::Server server;
  std::thread thread;
  int port = 0;

  void handle(const httplib::Request& req, httplib::Response& res, bool is_chat) {
    try {
      auto request = parse_completion_request(req.body, is_chat, *generator);
      if (!request.is_ok()) {
        send_error(res, 400, request.status().message(), "invalid_request_error", param_of(request.status()));
        return;
      }
      const json body = json::parse(req.body);
      Envelope envelope{is_chat, new_id(is_chat ? "chatcmpl-" : "cmpl-"),
                        body.value("model", json(generator->model_name())).is_string()
                            ? body.value("model", generator->model_name())
                            : generator->model_name(),
                        unix_now()};
      if (body.value("stream", false)) {
        stream(res, std::move(*request), std::move(envelope));
        return;
      }
      auto result = generator->generate(*request, DeltaCallback());
      if (!result.is_ok()) {
        send_error(res, 500, result.status().message(), "server_error", "");
        return;
      }
      res.set_content(envelope.body(*result).dump(), "application/json");
    } catch (const std::exception& e) {
      send_error(res, 500, std::string("internal error: ") + e.what(), "server_error", "");
    }
  }

  // Server-sent events: the generation runs inside the content provider, writing each piece as it
  // comes; a client that disconnects makes the writes fail and the rest is dropped.
  void stream(httplib::Response& res, TextRequest request, Envelope envelope) {
    res.set_chunked_content_provider(
        "text/event-stream", [this, request = std::move(request), envelope = std::move(envelope)](
                                 std::size_t, httplib::DataSink& sink) {
          auto send = [&sink](const json& event) {
            const std::string line = "data: " + event.dump() + "\n\n";
            if (sink.is_writable()) sink.write(line.data(), line.size());
          };
          try {
            auto result = generator->generate(
                request, [&](int choice, std::string_view text) { send(envelope.chunk(choice, text, nullptr)); });
            if (result.is_ok()) {
              for (std::size_t i = 0; i < result->choices.size(); ++i) {
                send(envelope.chunk(static_cast<int>(i), "", result->choices[i].finish_reason));
              }
            } else {
              send(error_body(result.status().message(), "server_error", ""));
            }
          } catch (const std::exception& e) {
            send(error_body(std::string("internal error: ") + e.what(), "server_error", ""));
          }
          const std::string done = "data: [DONE]\n\n";
          if (sink.is_writable()) sink.write(done.data(), done.size());
          sink.done();
          return true;
        });
  }
};

Result<std::unique_ptr<OpenAIServer>> OpenAIServer::start(TextGenerator& generator, const ServeOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->generator = &generator;
  const int threads = std::max(1, options.threads);
  impl->server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  Impl* raw = impl.get();
  impl->server.Post("/v1/completions",
                    [raw](const httplib::Request& req, httplib::Response& res) { raw->handle(req, res, false); });
  impl->server.Post("/v1/chat/completions",
                    [raw](const httplib::Request& req, httplib::Response& res) { raw->handle(req, res, true); });
  impl->server.Get("/v1/models", [raw](const httplib::Request&, httplib::Response& res) {
    const json body = {{"object", "list"},
                       {"data", json::array({{{"id", raw->generator->model_name()}, {"object", "model"},
                                              {"owned_by", "r1bench"}}})}};
    res.set_content(body.dump(), "application/json");
  });
  impl->server.Get("/health", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
  impl->server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;  // a handler already wrote its error
    const std::string message = res.status == 404 ? "no such endpoint: " + req.method + " " + req.path
                                                  : "request failed with HTTP " + std::to_string(res.status);
    res.set_content(error_body(message, "invalid_request_error", "").dump(), "application/json");
  });
  const int port = options.port == 0 ? impl->server.bind_to_any_port(options.host)
                                     : (impl->server.bind_to_port(options.host, options.port) ? options.port : -1);
  if (port <= 0) {
    return Status::unavailable("serve: cannot listen on " + options.host + ":" + std::to_string(options.port) +
                               " (in use or not permitted; pick another --port)");
  }
  impl->port = port;
  impl->thread = std::thread([raw] { raw->server.listen_after_bind(); });
  return std::unique_ptr<OpenAIServer>(new OpenAIServer(std::move(impl)));
}

OpenAIServer::OpenAIServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

OpenAIServer::~OpenAIServer() { stop(); }

int OpenAIServer::port() const { return impl_->port; }

void OpenAIServer::stop() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void OpenAIServer::wait() {
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace r1b::harness
