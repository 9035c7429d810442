#include "harness/backend.h"

#include "harness/engine_backend.h"
#include "harness/http_backend.h"
#include "harness/replay_backend.h"

namespace r1b::harness {

Result<std::unique_ptr<Backend>> make_backend(const nlohmann::json& config, const std::string& where) {
  if (!config.is_object() || !config.contains("type") || !config["type"].is_string()) {
    return Status::invalid_input(where + ": \"backend\" must be an object with a \"type\" (replay, openai or engine)");
  }
  const std::string type = config["type"];
  if (type == "replay") return make_replay_backend(config, where);
  if (type == "openai") return make_http_backend(config, where);
  if (type == "engine") return make_engine_backend(config, where);
  return Status::invalid_input(where + ": backend type \"" + type + "\" is unknown (use replay, openai or engine)");
}

namespace {
uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
uint64_t fnv1a(const std::string& s, uint64_t h) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}
}  // namespace

uint64_t sample_seed(uint64_t run_seed, const std::string& pack, const std::string& task_id, int sample_idx) {
  uint64_t h = fnv1a(pack, 0xcbf29ce484222325ULL);
  h = fnv1a(std::string(1, '\0') + task_id, h);
  // Keep it within 2^31 so every OpenAI-compatible server accepts it as "seed".
  return splitmix64(splitmix64(run_seed ^ h) + static_cast<uint64_t>(sample_idx)) & 0x7fffffffULL;
}

}  // namespace r1b::harness
