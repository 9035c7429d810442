#include "model/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "model/thread_pool.h"

namespace r1b::model {

namespace {

double dot(const float* a, const float* b, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(a[i]) * b[i];
  return sum;
}

float silu(float value) { return value / (1.0f + std::exp(-value)); }

// Indices of the `k` largest values, largest first; ties go to the lower index.
std::vector<int64_t> top_k_indices(std::span<const float> values, int64_t k) {
  std::vector<int64_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return values[a] > values[b]; });
  order.resize(std::min<int64_t>(k, static_cast<int64_t>(order.size())));
  return order;
}

}  // namespace

CpuGroup::CpuGroup(int world) : barrier_(world), buffers_(world) { R1B_CHECK(world >= 1); }

void CpuGroup::all_reduce_sum(int rank, std::span<float> values) {
  buffers_[rank] = values;
  barrier_.arrive_and_wait();  // every rank's buffer is published
  std::vector<double> sum(values.size(), 0.0);
  for (const std::span<float>& buffer : buffers_) {
    R1B_CHECK(buffer.size() == values.size());
    for (size_t i = 0; i < values.size(); ++i) sum[i] += buffer[i];
  }
  barrier_.arrive_and_wait();  // nobody reads the buffers any more
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(sum[i]);
}

CpuBackend::CpuBackend(int num_threads, std::shared_ptr<CpuGroup> group, int rank)
    : pool_(std::make_unique<ThreadPool>(num_threads)), group_(std::move(group)), rank_(rank) {
  R1B_CHECK(rank_ >= 0 && rank_ < world());
}
CpuBackend::~CpuBackend() = default;

void CpuBackend::all_reduce_sum(Tensor& x) {
  R1B_CHECK(x.dtype() == DType::kF32);
  if (group_) group_->all_reduce_sum(rank_, std::span<float>(x.data_as<float>(), x.numel()));
}

bool CpuBackend::supports(const OpQuery& query) const {
  return query.dtype == DType::kF32 || query.dtype == DType::kI32;
}

Tensor CpuBackend::alloc(std::vector<int64_t> shape, DType dtype) {
  int64_t count = 1;
  for (int64_t extent : shape) count *= extent;
  const size_t bytes = std::max<size_t>(1, count * dtype_size(dtype));
  std::shared_ptr<void> storage(std::calloc(bytes, 1), std::free);
  R1B_CHECK(storage != nullptr);
  void* data = storage.get();
  return Tensor(std::move(storage), data, std::move(shape), dtype);
}

void CpuBackend::upload(std::span<const float> values, Tensor& dst) {
  R1B_CHECK(dst.dtype() == DType::kF32 && static_cast<int64_t>(values.size()) == dst.numel());
  std::memcpy(dst.data_as<float>(), values.data(), values.size() * sizeof(float));
}

std::vector<float> CpuBackend::download(const Tensor& src) {
  R1B_CHECK(src.dtype() == DType::kF32);
  const float* data = src.data_as<float>();
  return std::vector<float>(data, data + src.numel());
}

void CpuBackend::embedding(const Tensor& table, std::span<const int32_t> token_ids, Tensor& out) {
  const int64_t width = table.dim(1);
  R1B_CHECK(out.dim(0) == static_cast<int64_t>(token_ids.size()) && out.row_size() == width);
  for (size_t t = 0; t < token_ids.size(); ++t) {
    R1B_CHECK(token_ids[t] >= 0 && token_ids[t] < table.dim(0));
    std::memcpy(out.data_as<float>() + t * width, table.data_as<float>() + token_ids[t] * width, width * sizeof(float));
  }
}

void CpuBackend::matmul(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& out) {
  const int64_t rows = x.dim(0);
  const int64_t in = x.row_size();
  const int64_t outs = weight.dim(0);
  R1B_CHECK(weight.row_size() == in && out.dim(0) == rows && out.row_size() == outs);
  R1B_CHECK(bias.empty() || bias.numel() == outs);
  const float* xs = x.data_as<float>();
  const float* ws = weight.data_as<float>();
  const float* bs = bias.empty() ? nullptr : bias.data_as<float>();
  float* ys = out.data_as<float>();
  // Parallel over output features: each weight row is read once per step for all token rows.
  pool_->parallel_for(outs, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      const float* w_row = ws + o * in;
      for (int64_t r = 0; r < rows; ++r) {
        double sum = dot(xs + r * in, w_row, in);
        if (bs != nullptr) sum += bs[o];
        ys[r * outs + o] = static_cast<float>(sum);
      }
    }
  });
}

void CpuBackend::head_matmul(const Tensor& x, const Tensor& weight, Tensor& out) {
  const int64_t tokens = x.dim(0);
  const int64_t heads = x.dim(1);
  const int64_t in = x.dim(2);
  const int64_t outs = weight.dim(1);
  R1B_CHECK(weight.dim(0) == heads && weight.dim(2) == in);
  R1B_CHECK(out.dim(0) == tokens && out.dim(1) == heads && out.dim(2) == outs);
  const float* xs = x.data_as<float>();
  const float* ws = weight.data_as<float>();
  float* ys = out.data_as<float>();
  pool_->parallel_for(heads * outs, [&](int64_t begin, int64_t end) {
    for (int64_t index = begin; index < end; ++index) {
      const int64_t h = index / outs;
      const int64_t o = index % outs;
      const float* w_row = ws + (h * outs + o) * in;
      for (int64_t t = 0; t < tokens; ++t) {
        ys[(t * heads + h) * outs + o] = static_cast<float>(dot(xs + (t * heads + h) * in, w_row, in));
      }
    }
  });
}

void CpuBackend::rmsnorm(const Tensor& x, const Tensor& weight, float eps, Tensor& out) {
  const int64_t width = weight.numel();
  R1B_CHECK(x.numel() % width == 0 && out.numel() == x.numel());
  const int64_t rows = x.numel() / width;
  const float* xs = x.data_as<float>();
  const float* ws = weight.data_as<float>();
  float* ys = out.data_as<float>();
  pool_->parallel_for(rows, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* row = xs + r * width;
      const double mean_square = dot(row, row, width) / static_cast<double>(width);
      // As transformers: x · rsqrt(mean(x²) + eps) in fp32, then × weight.
      const float inv_rms = static_cast<float>(1.0 / std::sqrt(mean_square + eps));
      for (int64_t i = 0; i < width; ++i) ys[r * width + i] = ws[i] * (row[i] * inv_rms);
    }
  });
}

void CpuBackend::add_rmsnorm(Tensor& x, const Tensor& delta, const Tensor& weight, float eps, Tensor& out) {
  add(x, delta, x);
  rmsnorm(x, weight, eps, out);
}

void CpuBackend::rope(Tensor& x, std::span<const int32_t> positions, const RopeTable& table, int64_t rot_offset) {
  const int64_t tokens = x.dim(0);
  const int64_t heads = x.dim(1);
  const int64_t head_dim = x.dim(2);
  const auto half = static_cast<int64_t>(table.inv_freq.size());
  R1B_CHECK(static_cast<int64_t>(positions.size()) == tokens && rot_offset + 2 * half <= head_dim);
  float* xs = x.data_as<float>();
  pool_->parallel_for(tokens, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      for (int64_t i = 0; i < half; ++i) {
        // fp32 angle as transformers computes it (inv_freq · position in fp32).
        const float angle = table.inv_freq[i] * static_cast<float>(positions[t]);
        const float cos_value = std::cos(angle) * table.attention_factor;
        const float sin_value = std::sin(angle) * table.attention_factor;
        for (int64_t h = 0; h < heads; ++h) {
          float* head = xs + (t * heads + h) * head_dim + rot_offset;
          float* first = table.interleaved ? head + 2 * i : head + i;
          float* second = table.interleaved ? head + 2 * i + 1 : head + i + half;
          const float a = *first;
          const float b = *second;
          *first = a * cos_value - b * sin_value;
          *second = b * cos_value + a * sin_value;
        }
      }
    }
  });
}

void CpuBackend::add(const Tensor& a, const Tensor& b, Tensor& out) {
  R1B_CHECK(a.numel() == b.numel() && a.numel() == out.numel());
  const float* as = a.data_as<float>();
  const float* bs = b.data_as<float>();
  float* ys = out.data_as<float>();
  for (int64_t i = 0; i < a.numel(); ++i) ys[i] = as[i] + bs[i];
}

void CpuBackend::swiglu(const Tensor& gate_up, Tensor& out) {
  const int64_t rows = out.dim(0);
  const int64_t ffn = out.row_size();
  R1B_CHECK(gate_up.dim(0) == rows && gate_up.row_size() == 2 * ffn);
  const float* gs = gate_up.data_as<float>();
  float* ys = out.data_as<float>();
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t f = 0; f < ffn; ++f) ys[r * ffn + f] = silu(gs[r * 2 * ffn + f]) * gs[r * 2 * ffn + ffn + f];
  }
}

void CpuBackend::copy_columns(const Tensor& src, int64_t src_col, Tensor& dst, int64_t dst_col, int64_t width) {
  const int64_t rows = src.dim(0);
  const int64_t src_cols = src.row_size();
  const int64_t dst_cols = dst.row_size();
  R1B_CHECK(dst.dim(0) == rows && src_col + width <= src_cols && dst_col + width <= dst_cols);
  for (int64_t r = 0; r < rows; ++r) {
    std::memmove(dst.data_as<float>() + r * dst_cols + dst_col, src.data_as<float>() + r * src_cols + src_col,
                 width * sizeof(float));
  }
}

void CpuBackend::write_kv(const Tensor& rows, std::span<const int32_t> slots, Tensor& cache) {
  const int64_t width = rows.row_size();
  R1B_CHECK(cache.row_size() == width && rows.dim(0) == static_cast<int64_t>(slots.size()));
  for (size_t t = 0; t < slots.size(); ++t) {
    R1B_CHECK(slots[t] >= 0 && slots[t] < cache.dim(0));
    std::memcpy(cache.data_as<float>() + slots[t] * width, rows.data_as<float>() + t * width, width * sizeof(float));
  }
}

void CpuBackend::rope_write_qkv(const Tensor& qkv, const Tensor& bias, std::span<const int32_t> positions,
                                const RopeTable& table, std::span<const int32_t> slots, Tensor& q_out, Tensor& k_cache,
                                Tensor& v_cache) {
  const int64_t tokens = q_out.dim(0);
  const int64_t q_width = q_out.row_size();
  const int64_t kv_width = k_cache.row_size();
  const int64_t head_dim = q_out.dim(2);
  const int64_t width = q_width + 2 * kv_width;
  R1B_CHECK(qkv.dim(0) == tokens && qkv.row_size() == width && v_cache.row_size() == kv_width);
  R1B_CHECK(bias.empty() || (bias.numel() == width && bias.dtype() == DType::kF32));
  Tensor rows = qkv;
  if (!bias.empty()) {
    rows = alloc({tokens, width}, DType::kF32);
    for (int64_t t = 0; t < tokens; ++t) {
      for (int64_t c = 0; c < width; ++c) {
        rows.data_as<float>()[t * width + c] = qkv.data_as<float>()[t * width + c] + bias.data_as<float>()[c];
      }
    }
  }
  Tensor k = alloc({tokens, kv_width / head_dim, head_dim}, DType::kF32);
  Tensor v = alloc({tokens, kv_width}, DType::kF32);
  copy_columns(rows, 0, q_out, 0, q_width);
  copy_columns(rows, q_width, k, 0, kv_width);
  copy_columns(rows, q_width + kv_width, v, 0, kv_width);
  rope(q_out, positions, table, 0);
  rope(k, positions, table, 0);
  write_kv(k.view({tokens, kv_width}), slots, k_cache);
  write_kv(v, slots, v_cache);
}

void CpuBackend::copy_kv_rows(Tensor& cache, int64_t src_slot, int64_t dst_slot, int64_t count) {
  const int64_t width = cache.row_size();
  R1B_CHECK(src_slot + count <= cache.dim(0) && dst_slot + count <= cache.dim(0));
  std::memmove(cache.data_as<float>() + dst_slot * width, cache.data_as<float>() + src_slot * width,
               count * width * sizeof(float));
}

void CpuBackend::attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                           std::span<const AttentionSeq> seqs, const AttentionParams& params, Tensor& out) {
  const int64_t heads = params.num_heads;
  const int64_t group = heads / params.num_kv_heads;
  const int64_t k_row = params.num_kv_heads * params.k_dim;
  const int64_t v_row = params.v_in_k ? k_row : params.num_kv_heads * params.v_dim;
  const int64_t v_head_stride = params.v_in_k ? params.k_dim : params.v_dim;
  R1B_CHECK(heads % params.num_kv_heads == 0 && q.row_size() == heads * params.k_dim);
  R1B_CHECK(out.row_size() == heads * params.v_dim && k_cache.row_size() == k_row);
  R1B_CHECK(params.v_in_k ? params.v_dim <= params.k_dim : v_cache.row_size() == v_row);
  const float* keys = k_cache.data_as<float>();
  const float* values = params.v_in_k ? keys : v_cache.data_as<float>();

  // Work items: (sequence, new token, head).
  std::vector<std::pair<size_t, int64_t>> rows;  // (sequence, token index within it)
  for (size_t s = 0; s < seqs.size(); ++s) {
    for (int64_t i = 0; i < seqs[s].num_q; ++i) rows.emplace_back(s, i);
  }
  pool_->parallel_for(static_cast<int64_t>(rows.size()) * heads, [&](int64_t begin, int64_t end) {
    std::vector<double> scores;
    std::vector<double> accum(params.v_dim);
    for (int64_t index = begin; index < end; ++index) {
      const auto [s, i] = rows[index / heads];
      const int64_t h = index % heads;
      const int64_t kv_head = h / group;
      const AttentionSeq& seq = seqs[s];
      const int64_t t = seq.q_begin + i;
      const int64_t visible = seq.context_len - seq.num_q + i + 1;  // causal: positions [0, visible)
      const float* q_head = q.data_as<float>() + (t * heads + h) * params.k_dim;
      scores.assign(visible, 0.0);
      double max_score = -std::numeric_limits<double>::infinity();
      for (int64_t p = 0; p < visible; ++p) {
        const int64_t slot = seq.block_table[p / params.block_size] * params.block_size + p % params.block_size;
        scores[p] = dot(q_head, keys + slot * k_row + kv_head * params.k_dim, params.k_dim) * params.scale;
        max_score = std::max(max_score, scores[p]);
      }
      double total = 0.0;
      for (double& score : scores) {
        score = std::exp(score - max_score);
        total += score;
      }
      std::fill(accum.begin(), accum.end(), 0.0);
      for (int64_t p = 0; p < visible; ++p) {
        const int64_t slot = seq.block_table[p / params.block_size] * params.block_size + p % params.block_size;
        const float* v_head = values + slot * v_row + kv_head * v_head_stride;
        const double weight = scores[p] / total;
        for (int64_t d = 0; d < params.v_dim; ++d) accum[d] += weight * v_head[d];
      }
      float* out_head = out.data_as<float>() + (t * heads + h) * params.v_dim;
      for (int64_t d = 0; d < params.v_dim; ++d) out_head[d] = static_cast<float>(accum[d]);
    }
  });
}

void CpuBackend::moe_route(const Tensor& router_logits, const Tensor& correction_bias, const RouterParams& params,
                           Tensor& expert_ids, Tensor& expert_weights) {
  const int64_t tokens = router_logits.dim(0);
  const int64_t experts = router_logits.dim(1);
  const int64_t per_group = experts / params.num_groups;
  R1B_CHECK(experts % params.num_groups == 0 && expert_ids.dtype() == DType::kI32);
  R1B_CHECK(expert_ids.numel() == tokens * params.top_k && expert_weights.numel() == tokens * params.top_k);
  pool_->parallel_for(tokens, [&](int64_t begin, int64_t end) {
    std::vector<float> scores(experts);
    std::vector<float> choice(experts);
    std::vector<float> group_scores(params.num_groups);
    for (int64_t t = begin; t < end; ++t) {
      const float* logits = router_logits.data_as<float>() + t * experts;
      if (params.scoring == RouterScoring::kSigmoid) {
        for (int64_t e = 0; e < experts; ++e) scores[e] = 1.0f / (1.0f + std::exp(-logits[e]));
      } else {
        const float max_logit = *std::max_element(logits, logits + experts);
        double total = 0.0;
        for (int64_t e = 0; e < experts; ++e) total += std::exp(static_cast<double>(logits[e]) - max_logit);
        for (int64_t e = 0; e < experts; ++e) {
          scores[e] = static_cast<float>(std::exp(static_cast<double>(logits[e]) - max_logit) / total);
        }
      }
      for (int64_t e = 0; e < experts; ++e) {
        choice[e] = scores[e] + (correction_bias.empty() ? 0.0f : correction_bias.data_as<float>()[e]);
      }
      if (params.group_score != GroupScore::kNone) {
        for (int64_t g = 0; g < params.num_groups; ++g) {
          std::span<const float> members(choice.data() + g * per_group, per_group);
          const std::vector<int64_t> best = top_k_indices(members, params.group_score == GroupScore::kMax ? 1 : 2);
          group_scores[g] = 0.0f;
          for (int64_t index : best) group_scores[g] += members[index];
        }
        const std::vector<int64_t> kept = top_k_indices(group_scores, params.top_groups);
        for (int64_t g = 0; g < params.num_groups; ++g) {
          if (std::find(kept.begin(), kept.end(), g) != kept.end()) continue;
          // As transformers: experts of dropped groups score 0 (not -inf) for the final top-k.
          std::fill(choice.begin() + g * per_group, choice.begin() + (g + 1) * per_group, 0.0f);
        }
      }
      const std::vector<int64_t> chosen = top_k_indices(choice, params.top_k);
      double total = 0.0;
      for (int64_t e : chosen) total += scores[e];
      for (int64_t k = 0; k < params.top_k; ++k) {
        double weight = scores[chosen[k]];
        if (params.normalize) weight /= total + 1e-20;
        expert_ids.data_as<int32_t>()[t * params.top_k + k] = static_cast<int32_t>(chosen[k]);
        expert_weights.data_as<float>()[t * params.top_k + k] = static_cast<float>(weight * params.scaling_factor);
      }
    }
  });
}

void CpuBackend::moe_experts(const Tensor& x, const Tensor& expert_ids, const Tensor& expert_weights,
                             const ExpertWeights& experts, Tensor& out) {
  const int64_t tokens = x.dim(0);
  const int64_t hidden = x.row_size();
  const int64_t top_k = expert_ids.numel() / tokens;
  const int64_t ffn = experts.gate.dim(1);
  R1B_CHECK(experts.gate.dim(2) == hidden && experts.down.dim(1) == hidden && experts.down.dim(2) == ffn);
  R1B_CHECK(out.numel() == x.numel());
  // Per token: experts in routing order, each contributing weight × its SwiGLU output; accumulated
  // in double so the result is independent of how tokens are batched.
  pool_->parallel_for(tokens, [&](int64_t begin, int64_t end) {
    std::vector<float> act(ffn);
    std::vector<double> accum(hidden);
    for (int64_t t = begin; t < end; ++t) {
      const float* row = x.data_as<float>() + t * hidden;
      std::fill(accum.begin(), accum.end(), 0.0);
      for (int64_t k = 0; k < top_k; ++k) {
        const int64_t e = expert_ids.data_as<int32_t>()[t * top_k + k] - experts.first_expert;
        if (e < 0 || e >= experts.gate.dim(0)) continue;  // another rank's expert
        const float weight = expert_weights.data_as<float>()[t * top_k + k];
        const float* gate = experts.gate.data_as<float>() + e * ffn * hidden;
        const float* up = experts.up.data_as<float>() + e * ffn * hidden;
        const float* down = experts.down.data_as<float>() + e * hidden * ffn;
        for (int64_t f = 0; f < ffn; ++f) {
          act[f] = silu(static_cast<float>(dot(row, gate + f * hidden, hidden))) *
                   static_cast<float>(dot(row, up + f * hidden, hidden));
        }
        for (int64_t d = 0; d < hidden; ++d) {
          accum[d] += static_cast<double>(weight * static_cast<float>(dot(act.data(), down + d * ffn, ffn)));
        }
      }
      float* dst = out.data_as<float>() + t * hidden;
      for (int64_t d = 0; d < hidden; ++d) dst[d] = static_cast<float>(accum[d]);
    }
  });
  add_shared_experts(x, experts, out);
}

}  // namespace r1b::model
