#include "model/engine.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>

namespace r1b::model {

std::string_view finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kNone: return "none";
    case FinishReason::kStopToken: return "stop_token";
    case FinishReason::kStopString: return "stop_string";
    case FinishReason::kLength: return "length";
  }
  return "none";
}

Engine::Engine(CausalLm& model, Backend& backend, EngineOptions options)
    : model_(model),
      options_(std::move(options)),
      allocator_(options_.num_kv_blocks, options_.block_size),
      runner_(model, backend, options_.num_kv_blocks, options_.block_size) {}

Status Engine::validate(std::span<const GenerationRequest> requests, int64_t first_index) const {
  if (options_.scheduler.max_batch_tokens < 1 || options_.scheduler.max_num_seqs < 1) {
    return Status::invalid_input("EngineOptions::scheduler: max_batch_tokens and max_num_seqs must be at least 1");
  }
  const int64_t vocab = model_.info().vocab_size;
  const int64_t capacity = allocator_.num_blocks() * allocator_.block_size();
  for (size_t r = 0; r < requests.size(); ++r) {
    const GenerationRequest& request = requests[r];
    const std::string where = "generation request " + std::to_string(first_index + static_cast<int64_t>(r)) + ": ";
    if (request.prompt.empty()) return Status::invalid_input(where + "the prompt is empty");
    for (int32_t token : request.prompt) {
      if (token < 0 || token >= vocab) {
        return Status::invalid_input(where + "token id " + std::to_string(token) + " is outside the vocabulary [0, " +
                                     std::to_string(vocab) + ")");
      }
    }
    if (request.num_samples < 1) return Status::invalid_input(where + "num_samples must be at least 1");
    if (request.params.max_tokens < 1) return Status::invalid_input(where + "max_tokens must be at least 1");
    if (!request.params.stop_strings.empty() && !options_.detokenize) {
      return Status::invalid_input(where + "stop strings need EngineOptions::detokenize");
    }
    // The last sampled token is never written to the cache.
    const int64_t needed = static_cast<int64_t>(request.prompt.size()) + request.params.max_tokens - 1;
    if (needed > capacity) {
      return Status::invalid_input(where + "a sample needs " + std::to_string(needed) + " KV cache slots (" +
                                   std::to_string(request.prompt.size()) + " prompt tokens + max_tokens " +
                                   std::to_string(request.params.max_tokens) + " - 1), the cache holds " +
                                   std::to_string(capacity) + " (num_kv_blocks " +
                                   std::to_string(allocator_.num_blocks()) + " x block_size " +
                                   std::to_string(allocator_.block_size()) +
                                   "); lower max_tokens or raise num_kv_blocks");
    }
  }
  return Status::ok();
}

void Engine::append_token(Sequence& seq, int32_t token) const {
  seq.tokens.push_back(token);
  const GenerationParams& params = *seq.params;
  if (std::find(params.stop_token_ids.begin(), params.stop_token_ids.end(), token) != params.stop_token_ids.end()) {
    seq.finish_reason = FinishReason::kStopToken;
    return;
  }
  if (!params.stop_strings.empty() && reached_stop_string(seq)) {
    seq.finish_reason = FinishReason::kStopString;
    return;
  }
  if (seq.num_generated() >= params.max_tokens) seq.finish_reason = FinishReason::kLength;
}

bool Engine::reached_stop_string(Sequence& seq) const {
  StopStringScan& scan = seq.stop_scan;
  const PendingText pending = scan.text.next(
      options_.detokenize, std::span<const int32_t>(seq.tokens).subspan(static_cast<size_t>(seq.num_prompt_tokens)));
  const std::string window = scan.tail + pending.text;
  size_t longest = 0;
  for (const std::string& stop : seq.params->stop_strings) {
    if (!stop.empty() && window.find(stop) != std::string::npos) return true;
    longest = std::max(longest, stop.size());
  }
  if (pending.settled) {
    const size_t keep = std::min(window.size(), longest > 0 ? longest - 1 : 0);
    scan.tail = window.substr(window.size() - keep);
  }
  return false;
}

Result<std::vector<std::vector<SampleOutput>>> Engine::generate(std::span<const GenerationRequest> requests) {
  R1B_RETURN_IF_ERROR(validate(requests));
  std::vector<std::vector<SampleOutput>> results(requests.size());
  bool taken = false;
  RequestStream stream;
  stream.take = [&] {
    if (taken) return std::vector<GenerationRequest>();
    taken = true;
    return std::vector<GenerationRequest>(requests.begin(), requests.end());
  };
  stream.finished = [&](int64_t index, Result<std::vector<SampleOutput>> outputs) {
    if (outputs.is_ok()) results[static_cast<size_t>(index)] = std::move(*outputs);
  };
  R1B_RETURN_IF_ERROR(run(stream));
  return results;
}

Status Engine::run(const RequestStream& stream) {
  // A request of the run and its samples; a deque keeps each request where its sequences'
  // params point.
  struct Entry {
    GenerationRequest request;
    std::vector<std::unique_ptr<Sequence>> samples;
    int64_t unfinished = 0;
  };
  std::deque<Entry> entries;
  int64_t next_sequence_id = 0;
  Scheduler scheduler(allocator_, options_.scheduler);
  const auto admit = [&] {
    for (GenerationRequest& incoming : stream.take()) {
      const auto index = static_cast<int64_t>(entries.size());
      Entry& entry = entries.emplace_back();
      entry.request = std::move(incoming);
      if (Status valid = validate(std::span<const GenerationRequest>(&entry.request, 1), index); !valid.is_ok()) {
        stream.finished(index, valid);
        continue;
      }
      std::vector<Sequence*> group;
      for (int64_t i = 0; i < entry.request.num_samples; ++i) {
        auto seq = std::make_unique<Sequence>();
        seq->id = next_sequence_id++;
        seq->request_index = index;
        seq->sample_index = entry.request.first_sample_index + i;
        seq->params = &entry.request.params;
        seq->tokens = entry.request.prompt;
        seq->num_prompt_tokens = static_cast<int64_t>(entry.request.prompt.size());
        seq->rng = SampleRng(sample_seed(entry.request.params.sampling.seed, seq->sample_index));
        group.push_back(seq.get());
        entry.samples.push_back(std::move(seq));
      }
      entry.unfinished = entry.request.num_samples;
      scheduler.add_group(std::move(group));
    }
  };
  // Hands a request's samples back once its last one has finished, and lets them go.
  const auto finish = [&](Sequence& seq) {
    scheduler.finish(&seq);
    const int64_t index = seq.request_index;  // `seq` goes with its request's samples below
    Entry& entry = entries[static_cast<size_t>(index)];
    if (--entry.unfinished > 0) return;
    std::vector<SampleOutput> outputs;
    for (const std::unique_ptr<Sequence>& sample : entry.samples) {
      SampleOutput output;
      output.tokens.assign(sample->tokens.begin() + sample->num_prompt_tokens, sample->tokens.end());
      output.finish_reason = sample->finish_reason;
      output.prompt_tokens = sample->num_prompt_tokens;
      output.completion_tokens = sample->num_generated();
      outputs.push_back(std::move(output));
    }
    entry.samples.clear();
    stream.finished(index, std::move(outputs));
  };

  Status failure;
  for (admit(); scheduler.has_work(); admit()) {
    Result<StepPlan> plan = scheduler.schedule();
    if (!plan.is_ok()) {
      failure = plan.status();
      break;
    }
    std::vector<SeqWork> work;
    for (const ScheduledSeq& entry : plan->seqs) {
      work.push_back(SeqWork{entry.num_new_tokens, entry.seq->num_cached + entry.num_new_tokens});
      if (entry.is_prefill && entry.seq->num_generated() > 0) stats_.recomputed_tokens += entry.num_new_tokens;
    }
    const ForwardCost cost = model_.cost(work, CostOptions{});
    stats_.cost.matmul_flops += cost.matmul_flops;
    stats_.cost.attention_flops += cost.attention_flops;
    stats_.cost.weight_bytes += cost.weight_bytes;
    stats_.cost.kv_read_bytes += cost.kv_read_bytes;
    stats_.cost.kv_write_bytes += cost.kv_write_bytes;
    const int64_t prefill_tokens = plan->num_prefill_tokens();
    const int64_t decode_tokens = plan->num_decode_tokens();
    stats_.prefill_tokens += prefill_tokens;
    stats_.decode_tokens += decode_tokens;

    const auto start = std::chrono::steady_clock::now();
    const std::vector<SampledToken> sampled = runner_.run(*plan);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (prefill_tokens > 0) {
      stats_.prefill_steps += 1;
      stats_.mixed_steps += decode_tokens > 0 ? 1 : 0;
      stats_.prefill_seconds += seconds;
    } else {
      stats_.decode_steps += 1;
      stats_.decode_seconds += seconds;
    }
    scheduler.complete(*plan);
    for (const SampledToken& next : sampled) {
      append_token(*next.seq, next.token);
      if (options_.on_token) {
        const Sequence& seq = *next.seq;
        const GenerationRequest& request = entries[static_cast<size_t>(seq.request_index)].request;
        options_.on_token(seq.request_index, seq.sample_index - request.first_sample_index, next.token);
      }
      if (next.seq->finished()) finish(*next.seq);
    }
  }
  stats_.preemptions += scheduler.num_preemptions();
  if (failure.is_ok()) return failure;
  for (size_t index = 0; index < entries.size(); ++index) {
    Entry& entry = entries[index];
    if (entry.unfinished == 0) continue;
    for (const std::unique_ptr<Sequence>& seq : entry.samples) {
      if (!seq->block_table.empty()) scheduler.finish(seq.get());
    }
    entry.samples.clear();
    stream.finished(static_cast<int64_t>(index), failure);
  }
  return failure;
}

}  // namespace r1b::model
