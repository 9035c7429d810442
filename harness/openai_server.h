// OpenAI-compatible HTTP server: POST /v1/completions and /v1/chat/completions (plus GET /v1/models
// and GET /health) over a TextGenerator — in r1bench the in-tree engine (`r1bench serve`), so the
// harness's HTTP backend, curl and any OpenAI client can use it.
//
// Requests (JSON bodies; the fields OpenAI and vLLM define, the rest ignored):
//   completions:      "prompt" (a string, or an array holding exactly one string)
//   chat/completions: "messages" [{"role": "system"|"user"|"assistant", "content": string}], rendered
//                     by TextGenerator::render_chat and continued as an assistant turn
//   both:             "model" (optional; any value is accepted and echoed), "n" (1..kMaxN, default 1),
//                     "temperature" (0..2, default 1; 0 is greedy), "top_p" (0 < p <= 1, default 1),
//                     "top_k" (vLLM extension; 0 or -1 = off), "max_tokens" (>= 1, default 16 for
//                     completions, the generator's context limit for chat; "max_completion_tokens" is
//                     an alias), "stop" (string or up to 4 strings), "seed" (integer: sample i draws
//                     from model::sample_seed(seed, i); absent: a fresh seed per request), "stream" (bool: server-sent events
//                     "data: {chunk}\n\n", one per generated piece, then "data: [DONE]").
// Responses follow OpenAI's shapes ("text_completion" / "chat.completion", "chat.completion.chunk"
// for streams) with "usage" {prompt_tokens, completion_tokens, total_tokens}.
// Errors: a bad request gets HTTP 400 with {"error": {"message", "type": "invalid_request_error",
// "param", "code": null}} naming the field; an unknown path 404; a generator failure 500 with type
// "server_error". No request can stop the server: every handler catches everything.
//
// Thread-safety: handlers run on the server's worker threads (ServeOptions::threads); the generator
// must be thread-safe (the engine queues concurrent requests into one continuous batch).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace r1b::harness {

inline constexpr int kMaxN = 128;

struct ChatMessage {
  std::string role;      // "system" | "user" | "assistant"
  std::string content;
};

// One validated request, as the generator sees it: the prompt is final text (chat already rendered).
struct TextRequest {
  std::string prompt;
  int n = 1;
  double temperature = 1.0;
  double top_p = 1.0;
  int top_k = 0;                       // 0: no top-k
  std::optional<int> max_tokens;       // absent: up to the generator's context limit
  std::vector<std::string> stop;
  uint64_t seed = 0;                   // sample i draws from model::sample_seed(seed, first_sample + i)
  int64_t first_sample = 0;            // index of the first sample (the engine backend resumes mid-task)
};

struct TextChoice {
  std::string text;
  std::string finish_reason;           // "stop" | "length"
  int64_t completion_tokens = 0;
};

struct TextResult {
  int64_t prompt_tokens = 0;
  std::vector<TextChoice> choices;     // exactly request.n, index order
};

// Called as text is produced: (choice index, new text). Pieces of one choice arrive in order;
// pieces of different choices may interleave. Called from the thread that called generate().
using DeltaCallback = std::function<void(int choice, std::string_view text)>;

class TextGenerator {
 public:
  virtual ~TextGenerator() = default;
  virtual std::string model_name() const = 0;
  // The chat prompt of `messages`, ending where the assistant's answer starts. InvalidInput for a
  // conversation the format cannot express (the message names the problem).
  virtual Result<std::string> render_chat(const std::vector<ChatMessage>& messages) const = 0;
  // Generates request.n continuations of request.prompt. on_delta may be empty (no streaming).
  virtual Result<TextResult> generate(const TextRequest& request, const DeltaCallback& on_delta) = 0;
};

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8000;                     // 0: any free port (see OpenAIServer::port)
  int threads = 8;                     // HTTP worker threads (concurrent requests)
};

// The running server. start() binds and serves on a background thread; stop() (or destruction)
// closes the socket and joins it. The generator is borrowed and must outlive the server.
class OpenAIServer {
 public:
  static Result<std::unique_ptr<OpenAIServer>> start(TextGenerator& generator, const ServeOptions& options);
  ~OpenAIServer();
  OpenAIServer(const OpenAIServer&) = delete;
  OpenAIServer& operator=(const OpenAIServer&) = delete;

  int port() const;                    // the bound port
  void stop();
  void wait();                         // blocks until stop() is called from elsewhere

 private:
  struct Impl;
  explicit OpenAIServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Request parsing, exposed for tests: body → TextRequest (chat rendered through `generator`);
// InvalidInput names the offending field ("n: must be between 1 and 128").
Result<TextRequest> parse_completion_request(std::string_view body, bool is_chat, const TextGenerator& generator);

}  // namespace r1b::harness
