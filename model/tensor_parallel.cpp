#include "model/tensor_parallel.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "model/cpu_backend.h"

namespace r1b::model {

RankBackendFactory cpu_rank_backends(int world, int threads_per_rank) {
  auto group = std::make_shared<CpuGroup>(world);
  return [group, threads_per_rank](int rank) -> Result<std::unique_ptr<Backend>> {
    return std::unique_ptr<Backend>(std::make_unique<CpuBackend>(threads_per_rank, group, rank));
  };
}

// One thread per rank, each running the work given to its rank; plus the ranks' backends and models,
// created and destroyed on their own threads.
class TensorParallelLm::Ranks {
 public:
  explicit Ranks(int world) : backends(world), models(world) {
    for (int rank = 0; rank < world; ++rank) threads_.emplace_back([this, rank] { loop(rank); });
  }

  ~Ranks() {
    run([this](int rank) {
      models[rank].reset();
      backends[rank].reset();
    });
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    work_ready_.notify_all();
    for (std::thread& thread : threads_) thread.join();
  }

  int world() const { return static_cast<int>(threads_.size()); }

  // Runs body(rank) on every rank's thread; returns when all have finished.
  void run(const std::function<void(int)>& body) {
    std::unique_lock lock(mutex_);
    body_ = &body;
    pending_ = world();
    ++generation_;
    work_ready_.notify_all();
    work_done_.wait(lock, [this] { return pending_ == 0; });
    body_ = nullptr;
  }

  std::vector<std::unique_ptr<Backend>> backends;  // [rank]; used on the rank's thread
  std::vector<std::unique_ptr<CausalLm>> models;   // [rank]; used on the rank's thread

 private:
  void loop(int rank) {
    uint64_t seen = 0;
    std::unique_lock lock(mutex_);
    while (true) {
      work_ready_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      const std::function<void(int)>* body = body_;
      lock.unlock();
      (*body)(rank);
      lock.lock();
      if (--pending_ == 0) work_done_.notify_all();
    }
  }

  std::vector<std::thread> threads_;
  std::mutex mutex_;                                 // guards everything below
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  const std::function<void(int)>* body_ = nullptr;   // guarded by mutex_
  uint64_t generation_ = 0;                          // guarded by mutex_
  int pending_ = 0;                                  // guarded by mutex_: ranks still running body_
  bool stopping_ = false;                            // guarded by mutex_
};

// Rank 0's backend as the engine sees it (see the header).
class TensorParallelLm::FrontBackend final : public Backend {
 public:
  explicit FrontBackend(Ranks& ranks) : ranks_(ranks) {}

  // The tensors of every rank that `tensor` (from alloc()) stands for, [rank].
  const std::vector<Tensor>& mirrors(const Tensor& tensor) {
    std::lock_guard lock(mutex_);
    auto found = mirrors_.find(tensor.data_as<void>());
    std::shared_ptr<Mirrors> live = found == mirrors_.end() ? nullptr : found->second.lock();
    R1B_CHECK(live != nullptr);  // the tensor was not allocated on backend()
    return live->tensors;
  }

  std::string name() const override { return zero().name(); }
  bool supports(const OpQuery& query) const override { return zero().supports(query); }
  std::string device_name() const override { return zero().device_name(); }
  // The least any rank has (each asked on its own thread: its device).
  int64_t free_memory_bytes() const override {
    std::vector<int64_t> free_bytes(ranks_.world());
    ranks_.run([&](int rank) { free_bytes[rank] = ranks_.backends[rank]->free_memory_bytes(); });
    return *std::min_element(free_bytes.begin(), free_bytes.end());
  }
  double measure_copy_bandwidth() override { return zero().measure_copy_bandwidth(); }
  DType kv_cache_dtype() const override { return zero().kv_cache_dtype(); }
  DType product_input_dtype(const Tensor& weight, int64_t rows) const override {
    return zero().product_input_dtype(weight, rows);
  }
  void begin_decode_step(int64_t rows, int64_t max_context) override {
    ranks_.run([&](int rank) { ranks_.backends[rank]->begin_decode_step(rows, max_context); });
  }
  void end_decode_step() override {
    ranks_.run([&](int rank) { ranks_.backends[rank]->end_decode_step(); });
  }
  bool samples_on_device() const override { return zero().samples_on_device(); }
  std::vector<int32_t> sample_tokens(const Tensor& logits, std::span<const SampleRequest> rows) override {
    return zero().sample_tokens(logits, rows);
  }

  Tensor alloc(std::vector<int64_t> shape, DType dtype) override {
    auto bundle = std::make_shared<Mirrors>();
    bundle->tensors.resize(ranks_.world());
    ranks_.run([&](int rank) { bundle->tensors[rank] = ranks_.backends[rank]->alloc(shape, dtype); });
    void* data = bundle->tensors[0].data_as<void>();
    std::lock_guard lock(mutex_);
    std::erase_if(mirrors_, [](const auto& entry) { return entry.second.expired(); });
    mirrors_[data] = bundle;
    return Tensor(std::shared_ptr<void>(bundle), data, std::move(shape), dtype);
  }
  void upload(std::span<const float> values, Tensor& dst) override { zero().upload(values, dst); }
  std::vector<float> download(const Tensor& src) override { return zero().download(src); }

  void embedding(const Tensor& table, std::span<const int32_t> token_ids, Tensor& out) override {
    zero().embedding(table, token_ids, out);
  }
  void matmul(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& out) override {
    zero().matmul(x, weight, bias, out);
  }
  void head_matmul(const Tensor& x, const Tensor& weight, Tensor& out) override { zero().head_matmul(x, weight, out); }
  void rmsnorm(const Tensor& x, const Tensor& weight, float eps, Tensor& out) override {
    zero().rmsnorm(x, weight, eps, out);
  }
  void rope(Tensor& x, std::span<const int32_t> positions, const RopeTable& table, int64_t rot_offset) override {
    zero().rope(x, positions, table, rot_offset);
  }
  void add(const Tensor& a, const Tensor& b, Tensor& out) override { zero().add(a, b, out); }
  void add_rmsnorm(Tensor& x, const Tensor& delta, const Tensor& weight, float eps, Tensor& out) override {
    zero().add_rmsnorm(x, delta, weight, eps, out);
  }
  void swiglu(const Tensor& gate_up, Tensor& out) override { zero().swiglu(gate_up, out); }
  void swiglu_mlp(const Tensor& x, const Tensor& gate_up, const Tensor& gate_up_bias, const Tensor& down,
                  const Tensor& down_bias, Tensor& out) override {
    zero().swiglu_mlp(x, gate_up, gate_up_bias, down, down_bias, out);
  }
  void copy_columns(const Tensor& src, int64_t src_col, Tensor& dst, int64_t dst_col, int64_t width) override {
    zero().copy_columns(src, src_col, dst, dst_col, width);
  }
  void write_kv(const Tensor& rows, std::span<const int32_t> slots, Tensor& cache) override {
    zero().write_kv(rows, slots, cache);
  }
  void rope_write_qkv(const Tensor& qkv, const Tensor& bias, std::span<const int32_t> positions, const RopeTable& table,
                      std::span<const int32_t> slots, Tensor& q_out, Tensor& k_cache, Tensor& v_cache) override {
    zero().rope_write_qkv(qkv, bias, positions, table, slots, q_out, k_cache, v_cache);
  }
  void copy_kv_rows(Tensor& cache, int64_t src_slot, int64_t dst_slot, int64_t count) override {
    const std::vector<Tensor>& tensors = mirrors(cache);
    ranks_.run([&](int rank) {
      Tensor target = tensors[rank];
      ranks_.backends[rank]->copy_kv_rows(target, src_slot, dst_slot, count);
    });
  }
  void attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache, std::span<const AttentionSeq> seqs,
                 const AttentionParams& params, Tensor& out) override {
    zero().attention(q, k_cache, v_cache, seqs, params, out);
  }
  void moe_route(const Tensor& router_logits, const Tensor& correction_bias, const RouterParams& params,
                 Tensor& expert_ids, Tensor& expert_weights) override {
    zero().moe_route(router_logits, correction_bias, params, expert_ids, expert_weights);
  }
  void moe_experts(const Tensor& x, const Tensor& expert_ids, const Tensor& expert_weights,
                   const ExpertWeights& experts, Tensor& out) override {
    zero().moe_experts(x, expert_ids, expert_weights, experts, out);
  }

 private:
  struct Mirrors {
    std::vector<Tensor> tensors;  // [rank]
  };

  Backend& zero() const { return *ranks_.backends[0]; }

  Ranks& ranks_;
  std::mutex mutex_;                                         // guards mirrors_
  std::map<const void*, std::weak_ptr<Mirrors>> mirrors_;    // by rank 0's data pointer
};

TensorParallelLm::TensorParallelLm() = default;

TensorParallelLm::~TensorParallelLm() {
  front_.reset();
  ranks_.reset();
}

Result<std::unique_ptr<TensorParallelLm>> TensorParallelLm::load(const std::filesystem::path& dir, int world,
                                                                 const RankBackendFactory& make_backend) {
  if (world < 1) return Status::invalid_input("tensor-parallel size " + std::to_string(world) + " must be at least 1");
  std::unique_ptr<TensorParallelLm> lm(new TensorParallelLm());
  lm->ranks_ = std::make_unique<Ranks>(world);
  Ranks& ranks = *lm->ranks_;
  std::vector<Status> statuses(world);
  ranks.run([&](int rank) {
    Result<std::unique_ptr<Backend>> backend = make_backend(rank);
    if (!backend.is_ok()) {
      statuses[rank] = backend.status();
      return;
    }
    ranks.backends[rank] = std::move(*backend);
    const Backend& made = *ranks.backends[rank];
    if (made.rank() != rank || made.world() != world) {
      statuses[rank] = Status::internal("tensor parallelism: the backend made for rank " + std::to_string(rank) + " of " +
                                        std::to_string(world) + " is rank " + std::to_string(made.rank()) + " of " +
                                        std::to_string(made.world()));
      return;
    }
    Result<std::unique_ptr<CausalLm>> model = load_causal_lm(dir, *ranks.backends[rank]);
    if (!model.is_ok()) {
      statuses[rank] = model.status();
      return;
    }
    ranks.models[rank] = std::move(*model);
  });
  for (const Status& status : statuses) R1B_RETURN_IF_ERROR(status);
  lm->front_ = std::make_unique<FrontBackend>(ranks);
  return lm;
}

int TensorParallelLm::world() const { return ranks_->world(); }

Backend& TensorParallelLm::backend() { return *front_; }

const ModelInfo& TensorParallelLm::info() const { return ranks_->models[0]->info(); }

KvLayout TensorParallelLm::kv_layout() const { return ranks_->models[0]->kv_layout(); }

ForwardCost TensorParallelLm::cost(std::span<const SeqWork> batch, const CostOptions& options) const {
  return ranks_->models[0]->cost(batch, options);
}

Tensor TensorParallelLm::forward(const ForwardBatch& batch, KvCache& cache) {
  const int world = ranks_->world();
  // Every rank's cache: the mirrors of the engine's (rank 0's) tensors.
  std::vector<KvCache> caches(world, KvCache{cache.block_size, cache.num_blocks, {}, {}});
  for (size_t l = 0; l < cache.k.size(); ++l) {
    const std::vector<Tensor>& k = front_->mirrors(cache.k[l]);
    for (int rank = 0; rank < world; ++rank) {
      caches[rank].k.push_back(k[rank]);
      caches[rank].v.push_back(cache.v[l].empty() ? Tensor() : front_->mirrors(cache.v[l])[rank]);
    }
  }
  ForwardBatch quiet = batch;  // the other ranks' view: no observer (rank 0 reports the activations)
  quiet.observer = nullptr;
  Tensor logits;
  ranks_->run([&](int rank) {
    Tensor out = ranks_->models[rank]->forward(rank == 0 ? batch : quiet, caches[rank]);
    if (rank == 0) logits = out;
  });
  return logits;
}

}  // namespace r1b::model
