#include "harness/engine_generator.h"

#include <algorithm>
#include <chrono>

#include "model/sampler.h"

namespace r1b::harness {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";
constexpr int64_t kDefaultContextCap = 8192;

// Bytes of `text` that can be shown now: not a trailing partial character (decoded as U+FFFD) and
// not a tail that may still grow into a stop string.
std::size_t stable_prefix(std::string_view text, const std::vector<std::string>& stop) {
  std::size_t end = text.size();
  if (text.ends_with(kReplacementChar)) end -= kReplacementChar.size();
  for (const std::string& s : stop) {
    for (std::size_t len = std::min(s.size() - 1, end); len > 0; --len) {
      if (text.substr(0, end).ends_with(std::string_view(s).substr(0, len))) {
        end -= len;
        break;
      }
    }
  }
  return end;
}

}  // namespace

// One caller's request while it waits in the queue or runs.
struct EngineGenerator::Pending {
  const TextRequest* request = nullptr;
  const DeltaCallback* on_delta = nullptr;
  model::GenerationRequest engine_request;
  std::vector<std::vector<int32_t>> streamed_tokens;  // per sample, for deltas
  std::vector<std::size_t> streamed_bytes;            // per sample: text already sent
  Result<TextResult> result = Status::internal("not run");
  bool done = false;
};

Result<std::unique_ptr<EngineGenerator>> EngineGenerator::load(const fs::path& dir,
                                                               const EngineGeneratorOptions& options) {
  std::unique_ptr<EngineGenerator> gen(new EngineGenerator());
  gen->name_ = fs::path(dir).lexically_normal().filename().string();
  if (gen->name_.empty()) gen->name_ = fs::absolute(dir).parent_path().filename().string();
  const fs::path tokenizer_json = dir / "tokenizer.json";
  auto tokenizer = model::Tokenizer::load(tokenizer_json);
  R1B_RETURN_IF_ERROR(tokenizer.status());
  gen->tokenizer_ = std::make_unique<model::Tokenizer>(std::move(*tokenizer));
  auto format = options.chat_format.empty() ? model::select_chat_format(*gen->tokenizer_)
                                            : model::chat_format_by_name(*gen->tokenizer_, options.chat_format);
  if (!format.is_ok()) return Status::invalid_input(dir.string() + ": " + format.status().message());
  gen->chat_format_ = std::move(*format);
  gen->backend_ = std::make_unique<model::CpuBackend>(options.threads);
  auto lm = model::load_causal_lm(dir, *gen->backend_);
  R1B_RETURN_IF_ERROR(lm.status());
  gen->model_ = std::move(*lm);
  const model::ModelInfo& info = gen->model_->info();
  if (info.vocab_size < gen->tokenizer_->vocab_size()) {
    return Status::invalid_input(dir.string() + ": tokenizer.json has " + std::to_string(gen->tokenizer_->vocab_size()) +
                                 " tokens but config.json's vocab_size is " + std::to_string(info.vocab_size));
  }
  gen->max_context_ = options.max_context > 0 ? options.max_context
                                              : std::min<int64_t>(info.max_position_embeddings > 0
                                                                      ? info.max_position_embeddings
                                                                      : kDefaultContextCap,
                                                                  kDefaultContextCap);
  model::EngineOptions engine_options;
  engine_options.block_size = 16;
  const int64_t blocks_per_seq = (gen->max_context_ + engine_options.block_size - 1) / engine_options.block_size;
  engine_options.num_kv_blocks = std::max<int64_t>(1, options.max_num_seqs) * blocks_per_seq;
  engine_options.scheduler.max_num_seqs = std::max<int64_t>(1, options.max_num_seqs);
  const model::Tokenizer* tok = gen->tokenizer_.get();
  engine_options.detokenize = [tok](std::span<const int32_t> ids) { return tok->decode(ids); };
  EngineGenerator* raw = gen.get();
  engine_options.on_token = [raw](int64_t request_index, int64_t sample_index, int32_t token) {
    raw->on_token(request_index, sample_index, token);
  };
  gen->engine_ = std::make_unique<model::Engine>(*gen->model_, *gen->backend_, std::move(engine_options));
  return gen;
}

EngineGenerator::~EngineGenerator() = default;

Result<std::string> EngineGenerator::render_chat(const std::vector<ChatMessage>& messages) const {
  model::ChatTurns turns;
  std::size_t i = 0;
  if (i < messages.size() && messages[i].role == "system") turns.system = messages[i++].content;
  if (i + 1 != messages.size() || messages[i].role != "user") {
    return Status::invalid_input("the in-tree engine takes an optional system message and then one user message");
  }
  turns.user = messages[i].content;
  return model::render_chat_prompt(chat_format_, turns);
}

EngineThroughput EngineGenerator::throughput() const {
  std::lock_guard lock(mu_);
  return throughput_;
}

Status EngineGenerator::prepare(const TextRequest& request, Pending& pending) const {
  std::vector<int32_t> prompt = tokenizer_->encode(request.prompt, /*parse_special=*/true);
  const auto bos = tokenizer_->bos_id();
  if (tokenizer_->add_bos_token() && bos && (prompt.empty() || prompt.front() != *bos)) {
    prompt.insert(prompt.begin(), *bos);
  }
  const auto prompt_len = static_cast<int64_t>(prompt.size());
  if (prompt_len == 0) return Status::invalid_input("prompt: empty after tokenization");
  if (prompt_len >= max_context_) {
    return Status::invalid_input("prompt: " + std::to_string(prompt_len) + " tokens do not fit the context of " +
                                 std::to_string(max_context_) + " tokens");
  }
  pending.request = &request;
  model::GenerationRequest& er = pending.engine_request;
  er.prompt = std::move(prompt);
  er.num_samples = request.n;
  er.first_sample_index = request.first_sample;
  er.params.sampling.temperature = static_cast<float>(request.temperature);
  er.params.sampling.top_p = static_cast<float>(request.top_p);
  er.params.sampling.top_k = request.top_k;
  er.params.sampling.seed = request.seed;
  er.params.max_tokens = std::min<int64_t>(request.max_tokens.value_or(max_context_), max_context_ - prompt_len);
  er.params.stop_token_ids = chat_format_.stop_ids;
  if (const auto eos = tokenizer_->eos_id()) er.params.stop_token_ids.push_back(*eos);
  for (int32_t id : model_->info().eos_token_ids) er.params.stop_token_ids.push_back(id);
  er.params.stop_strings = request.stop;
  pending.streamed_tokens.resize(static_cast<std::size_t>(request.n));
  pending.streamed_bytes.assign(static_cast<std::size_t>(request.n), 0);
  return Status::ok();
}

void EngineGenerator::run_until_done(std::span<Pending> pendings) {
  std::unique_lock lock(mu_);
  for (Pending& p : pendings) queue_.push_back(&p);
  auto all_done = [&] { return std::all_of(pendings.begin(), pendings.end(), [](const Pending& p) { return p.done; }); };
  while (!all_done()) {
    if (engine_busy_ || queue_.empty()) {
      done_cv_.wait(lock);
      continue;
    }
    engine_busy_ = true;
    std::deque<Pending*> batch;
    batch.swap(queue_);
    lock.unlock();
    run_batch(batch);
    lock.lock();
    engine_busy_ = false;
    done_cv_.notify_all();
  }
}

Result<TextResult> EngineGenerator::generate(const TextRequest& request, const DeltaCallback& on_delta) {
  Pending pending;
  R1B_RETURN_IF_ERROR(prepare(request, pending));
  pending.on_delta = on_delta ? &on_delta : nullptr;
  run_until_done(std::span<Pending>(&pending, 1));
  return std::move(pending.result);
}

Result<std::vector<TextResult>> EngineGenerator::generate_all(std::span<const TextRequest> requests) {
  std::vector<Pending> pendings(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) R1B_RETURN_IF_ERROR(prepare(requests[i], pendings[i]));
  run_until_done(pendings);
  std::vector<TextResult> out;
  for (Pending& p : pendings) {
    R1B_RETURN_IF_ERROR(p.result.status());
    out.push_back(std::move(*p.result));
  }
  return out;
}

void EngineGenerator::run_batch(std::deque<Pending*>& batch) {
  std::vector<model::GenerationRequest> requests;
  for (Pending* p : batch) requests.push_back(p->engine_request);
  const model::EngineStats before = engine_->stats();
  const auto start = std::chrono::steady_clock::now();
  running_ = &batch;
  auto outputs = engine_->generate(requests);
  running_ = nullptr;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const model::EngineStats& after = engine_->stats();

  int64_t generated_tokens = 0;  // every sampled token (decode_tokens leaves out each prefill's first)
  for (std::size_t r = 0; r < batch.size(); ++r) {
    Pending& p = *batch[r];
    if (!outputs.is_ok()) {
      p.result = outputs.status();
      continue;
    }
    TextResult result;
    for (std::size_t i = 0; i < (*outputs)[r].size(); ++i) {
      const model::SampleOutput& out = (*outputs)[r][i];
      result.prompt_tokens = out.prompt_tokens;
      generated_tokens += out.completion_tokens;
      std::vector<int32_t> tokens = out.tokens;
      if (out.finish_reason == model::FinishReason::kStopToken && !tokens.empty()) tokens.pop_back();
      std::string text = tokenizer_->decode(tokens);
      if (out.finish_reason == model::FinishReason::kStopString) {
        std::size_t cut = text.size();
        for (const std::string& s : p.request->stop) cut = std::min(cut, text.find(s));
        text.resize(cut);
      }
      if (p.on_delta != nullptr && p.streamed_bytes[i] < text.size()) {
        (*p.on_delta)(static_cast<int>(i), std::string_view(text).substr(p.streamed_bytes[i]));
      }
      result.choices.push_back(
          {std::move(text), out.finish_reason == model::FinishReason::kLength ? "length" : "stop", out.completion_tokens});
    }
    p.result = std::move(result);
  }
  std::lock_guard lock(mu_);
  for (Pending* p : batch) p->done = true;
  throughput_.prompt_tokens += after.prefill_tokens - before.prefill_tokens;
  throughput_.generated_tokens += generated_tokens;
  throughput_.busy_seconds += seconds;
  throughput_.flops += after.cost.flops() - before.cost.flops();
  throughput_.bytes += after.cost.bytes() - before.cost.bytes();
}

void EngineGenerator::on_token(int64_t request_index, int64_t sample_index, int32_t token) {
  if (running_ == nullptr || request_index < 0 || request_index >= static_cast<int64_t>(running_->size())) return;
  Pending& p = *(*running_)[static_cast<std::size_t>(request_index)];
  if (p.on_delta == nullptr) return;
  const auto i = static_cast<std::size_t>(sample_index);
  const auto& stop_ids = p.engine_request.params.stop_token_ids;
  if (std::find(stop_ids.begin(), stop_ids.end(), token) != stop_ids.end()) return;
  p.streamed_tokens[i].push_back(token);
  const std::string text = tokenizer_->decode(p.streamed_tokens[i]);
  const std::size_t end = stable_prefix(text, p.request->stop);
  if (end > p.streamed_bytes[i]) {
    (*p.on_delta)(static_cast<int>(i), std::string_view(text).substr(p.streamed_bytes[i], end - p.streamed_bytes[i]));
    p.streamed_bytes[i] = end;
  }
}

}  // namespace r1b::harness
