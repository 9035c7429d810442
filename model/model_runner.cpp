#include "model/model_runner.h"

#include <algorithm>
#include <string>

#include "model/thread_pool.h"

namespace r1b::model {

namespace {

// Appends sequence `seq`'s rows [num_cached, num_cached + num_new) to `batch`.
void add_rows(ForwardBatch& batch, const Sequence& seq, int64_t num_new, int64_t block_size) {
  AttentionSeq span;
  span.q_begin = static_cast<int64_t>(batch.token_ids.size());
  span.num_q = num_new;
  span.context_len = seq.num_cached + num_new;
  span.block_table = seq.block_table;
  for (int64_t i = 0; i < num_new; ++i) {
    const int64_t position = seq.num_cached + i;
    batch.token_ids.push_back(seq.tokens[position]);
    batch.positions.push_back(static_cast<int32_t>(position));
    batch.slots.push_back(static_cast<int32_t>(seq.block_table[position / block_size] * block_size +
                                               position % block_size));
  }
  batch.seqs.push_back(std::move(span));
}

}  // namespace

ModelRunner::ModelRunner(CausalLm& model, Backend& backend, int64_t num_blocks, int64_t block_size)
    : model_(model),
      backend_(backend),
      cache_(allocate_kv_cache(backend, model.kv_layout(), num_blocks, block_size)),
      sample_pool_(backend.samples_on_device() ? nullptr : std::make_unique<ThreadPool>(0)) {}

ModelRunner::~ModelRunner() = default;

std::vector<SampledToken> ModelRunner::run(const StepPlan& plan) {
  std::vector<SampledToken> sampled;
  if (plan.empty()) return sampled;
  const int64_t block_size = cache_.block_size;
  for (const BlockCopy& copy : plan.copies) {
    for (size_t l = 0; l < cache_.k.size(); ++l) {
      backend_.copy_kv_rows(cache_.k[l], copy.src_block * block_size, copy.dst_block * block_size, copy.num_tokens);
      if (!cache_.v[l].empty()) {
        backend_.copy_kv_rows(cache_.v[l], copy.src_block * block_size, copy.dst_block * block_size, copy.num_tokens);
      }
    }
  }
  ForwardBatch batch;
  bool decode_only = true;
  int64_t max_context = 0;
  for (const ScheduledSeq& entry : plan.seqs) {
    add_rows(batch, *entry.seq, entry.num_new_tokens, block_size);
    batch.logit_rows.push_back(static_cast<int32_t>(batch.token_ids.size() - 1));
    decode_only = decode_only && entry.num_new_tokens == 1;
    max_context = std::max(max_context, entry.seq->num_cached + entry.num_new_tokens);
  }
  const auto rows = static_cast<int64_t>(plan.seqs.size());
  if (decode_only) backend_.begin_decode_step(rows, max_context);
  const Tensor logits_tensor = model_.forward(batch, cache_);
  if (decode_only) backend_.end_decode_step();

  std::vector<size_t> rows_of;  // the logits row of each sampled token
  for (size_t row = 0; row < plan.seqs.size(); ++row) {
    for (Sequence* seq : plan.seqs[row].samplers) {
      sampled.push_back(SampledToken{seq, 0});
      rows_of.push_back(row);
    }
  }
  if (backend_.samples_on_device()) {
    // The draw comes from the sample's own generator, as on the host (greedy draws nothing).
    std::vector<Backend::SampleRequest> requests(sampled.size());
    for (size_t i = 0; i < sampled.size(); ++i) {
      const SamplingParams& params = sampled[i].seq->params->sampling;
      requests[i] = {static_cast<int32_t>(rows_of[i]), params.temperature, params.top_p,
                     static_cast<int32_t>(params.top_k),
                     params.temperature > 0.0f ? static_cast<float>(sampled[i].seq->rng.next_uniform()) : 0.0f};
    }
    const std::vector<int32_t> tokens = backend_.sample_tokens(logits_tensor, requests);
    for (size_t i = 0; i < sampled.size(); ++i) sampled[i].token = tokens[i];
    return sampled;
  }
  const std::vector<float> logits = backend_.download(logits_tensor);
  const int64_t vocab = model_.info().vocab_size;
  // Each sample draws from its own generator, so samples are independent work.
  sample_pool_->parallel_for(static_cast<int64_t>(sampled.size()), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const std::span<const float> row_logits(logits.data() + rows_of[i] * vocab, vocab);
      Sequence& seq = *sampled[i].seq;
      sampled[i].token = sample_token(row_logits, seq.params->sampling, seq.rng);
    }
  });
  return sampled;
}

Result<std::vector<float>> prompt_logits(CausalLm& model, Backend& backend, std::span<const int32_t> tokens) {
  if (tokens.empty()) return Status::invalid_input("prompt_logits: the prompt is empty");
  const int64_t vocab = model.info().vocab_size;
  for (int32_t token : tokens) {
    if (token < 0 || token >= vocab) {
      return Status::invalid_input("prompt_logits: token id " + std::to_string(token) + " is outside the vocabulary [0, " +
                                   std::to_string(vocab) + ")");
    }
  }
  const auto num_tokens = static_cast<int64_t>(tokens.size());
  KvCache cache = allocate_kv_cache(backend, model.kv_layout(), 1, num_tokens);
  Sequence seq;
  seq.tokens.assign(tokens.begin(), tokens.end());
  seq.block_table = {0};
  ForwardBatch batch;
  add_rows(batch, seq, num_tokens, num_tokens);
  for (int64_t row = 0; row < num_tokens; ++row) batch.logit_rows.push_back(static_cast<int32_t>(row));
  return backend.download(model.forward(batch, cache));
}

}  // namespace r1b::model
