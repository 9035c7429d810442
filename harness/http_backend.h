// HTTP backend: completions from an OpenAI-compatible server (vLLM, SGLang, TGI, the OpenAI API).
//
// Config (the suite's "backend" object; unknown keys are InvalidInput errors naming `where` and the key):
//   {"type": "openai",                       // optional; must be "openai" when given
//    "base_url": "http://127.0.0.1:8000/v1", // required, http:// or https://
//    "model": "deepseek-r1",                 // required, sent as the request's "model"
//    "endpoint": "completions",              // "completions": POST {base_url}/completions with
//                                            //   "prompt" = request.prompt;
//                                            // "chat": POST {base_url}/chat/completions with one user
//                                            //   message = request.user_message
//    "api_key_env": "OPENAI_API_KEY",        // when this variable is set (read once, by the factory),
//                                            //   requests carry "Authorization: Bearer <key>"; the key
//                                            //   never appears in names, logs or errors
//    "concurrency": 8,                       // most HTTP requests in flight at once, over all threads
//    "timeout_s": 600,                       // connect / read / write timeout of each attempt
//    "max_retries": 5,                       // further attempts after the first one fails
//    "request_n": 1,                         // samples per HTTP request (see below)
//    "extra_body": {"top_k": 20}}            // merged into every request body; may not set a field the
//                                            //   backend sets itself (model, prompt, messages, n, seed,
//                                            //   temperature, top_p, max_tokens)
//
// Samples: with request_n = 1 every sample is its own request with seed = sample_seed(run seed,
// pack, task id, sample idx), so a sample is reproducible on its own, also after a resume, and gets
// the server's exact token counts. With request_n = k > 1 the samples go k at a time in one request
// ("n": k, seed of the group's first sample): faster on servers that share the prompt's prefill, but
// a sample's randomness then depends on its group, and the server reports one completion_tokens
// total per request, which is split evenly over the group's samples (the remainder goes to the first
// ones). prompt_tokens is the request's prompt count; latency_ms is the duration of the request's
// successful attempt. The requests of one generate() call run in parallel, and the semaphore keeps
// the requests in flight over all calls at `concurrency` or fewer. Chat answers that carry
// "reasoning_content" come back as "<think>\n{reasoning}\n</think>\n{content}" so verifiers see the
// whole output.
//
// Failures: connection errors, timeouts, HTTP 408, 429 and 5xx, malformed JSON and a wrong number of
// choices are retried with exponential backoff and jitter (0.5 s doubling, capped at 30 s, each delay
// drawn from [half, all] of that; a "Retry-After: <seconds>" header on the failed answer is waited
// instead, up to the same cap). After max_retries the call fails: Unavailable for transport and
// server errors, Internal for a malformed answer ("server returned ..."). Any other 4xx fails at once
// with the server's error message (InvalidInput). Every error names the URL and the task id. One
// failed request fails the whole generate() call; no partial result is returned.
//
// Thread-safety: the backend is thread-safe; generate() may be called from any number of threads.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "base/status.h"
#include "harness/backend.h"

namespace r1b::harness {

// Validates `config` and returns the backend; `where` (e.g. "suites/aime.json: backend") prefixes
// every config error. Makes no network call: an unreachable server shows up at the first generate().
Result<std::unique_ptr<Backend>> make_http_backend(const nlohmann::json& config, const std::string& where);

}  // namespace r1b::harness
