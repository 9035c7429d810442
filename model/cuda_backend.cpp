#include "model/cuda_backend.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>
#include <memory>
#include <utility>

#include "kernels/dispatch.h"
#include "model/dtype.h"

namespace r1b::model {

namespace {

kernels::ElementType element_type(const Tensor& tensor) {
  R1B_CHECK(tensor.dtype() == DType::kF32 || tensor.dtype() == DType::kBF16);
  return tensor.dtype() == DType::kBF16 ? kernels::ElementType::kBF16 : kernels::ElementType::kF32;
}

int64_t bytes_of(const Tensor& tensor) { return tensor.numel() * static_cast<int64_t>(dtype_size(tensor.dtype())); }

// Staged parts start at multiples of this (ample for any element type, coalescing-friendly).
constexpr int64_t kStageAlign = 256;
// Smallest staging half: a whole decode step's index data (~1 KB per op, over a thousand ops for
// a 28-layer model) fits, so queuing a step never waits for the GPU to drain the other half.
constexpr int64_t kMinStagingHalfBytes = int64_t{8} << 20;

int64_t stage_span(size_t bytes) {
  const auto size = static_cast<int64_t>(bytes < 1 ? 1 : bytes);
  return (size + kStageAlign - 1) / kStageAlign * kStageAlign;
}

// The rotation of `table` over columns [rot_offset, rot_offset + 2·half) of the heads of x [T, H, Dh].
kernels::RopeShape rope_shape(const Tensor& x, const RopeTable& table, int64_t rot_offset) {
  kernels::RopeShape shape;
  shape.tokens = x.dim(0);
  shape.heads = x.dim(1);
  shape.head_dim = x.dim(2);
  shape.rot_offset = rot_offset;
  shape.half = static_cast<int64_t>(table.inv_freq.size());
  shape.attention_factor = table.attention_factor;
  shape.interleaved = table.interleaved;
  R1B_CHECK(rot_offset + 2 * shape.half <= shape.head_dim);
  return shape;
}

// MLA's W_UK product (absorb_query): head h's first N columns of the query — rows x_row_stride
// apart, heads N + Rd apart — times w_uk[h]ᵀ into the first L columns of q_latent[:, h].
kernels::GemmShape absorb_product(const AbsorbedQueryShape& sizes, int64_t x_row_stride) {
  const int64_t latent = sizes.lora + sizes.rope_dim;
  kernels::GemmShape product;
  product.rows = sizes.tokens;
  product.in = sizes.nope;
  product.outs = sizes.lora;
  product.batch = sizes.heads;
  product.x_row_stride = x_row_stride;
  product.x_batch_stride = sizes.nope + sizes.rope_dim;
  product.w_batch_stride = sizes.lora * sizes.nope;
  product.out_row_stride = sizes.heads * latent;
  product.out_batch_stride = latent;
  return product;
}

}  // namespace

Result<std::unique_ptr<CudaBackend>> CudaBackend::create(CudaBackendOptions options) {
  if (options.weight_dtype != DType::kBF16 && options.weight_dtype != DType::kF32) {
    return Status::invalid_input("cuda backend: weight dtype " + std::string(dtype_name(options.weight_dtype)) +
                                 " is not supported; use BF16 or F32");
  }
  if (options.kv_cache_dtype != DType::kBF16 && options.kv_cache_dtype != DType::kF32) {
    return Status::invalid_input("cuda backend: KV cache dtype " + std::string(dtype_name(options.kv_cache_dtype)) +
                                 " is not supported; use BF16 or F32");
  }
  if (!device_available()) {
    return Status::unavailable("cuda backend: no CUDA device is visible (check the driver and CUDA_VISIBLE_DEVICES), "
                               "or use the cpu backend");
  }
  if (options.device < 0 || options.device >= kernels::device_count()) {
    return Status::unavailable("cuda backend: device " + std::to_string(options.device) + " is not visible (" +
                               std::to_string(kernels::device_count()) + " visible; check CUDA_VISIBLE_DEVICES)");
  }
  kernels::set_device(options.device);
  kernels::Stream stream = kernels::create_stream();
  kernels::BlasHandle blas = kernels::create_blas(stream);
  return std::unique_ptr<CudaBackend>(new CudaBackend(options, stream, blas));
}

CudaBackend::CudaBackend(CudaBackendOptions options, kernels::Stream stream, kernels::BlasHandle blas)
    : options_(options), stream_(stream), blas_(blas) {
  for (kernels::Event& event : staging_done_) event = kernels::create_event();
  step_done_ = kernels::create_event();
  if (options_.comm != nullptr) {
    rank_ = kernels::comm_rank(options_.comm);
    world_ = kernels::comm_world(options_.comm);
  }
}

CudaBackend::~CudaBackend() {
  kernels::synchronize(stream_);
  kernels::release(index_scratch_);
  kernels::release(work_scratch_);
  for (auto& [key, step] : recorded_) {
    if (step.graph != nullptr) kernels::destroy_graph(step.graph);
  }
  kernels::release(step_index_scratch_);
  kernels::release(step_work_scratch_);
  if (arena_ != nullptr) kernels::device_free(arena_);
  if (step_staging_ != nullptr) kernels::host_free_pinned(step_staging_);
  kernels::destroy_event(step_done_);
  if (staging_ != nullptr) kernels::host_free_pinned(staging_);
  for (kernels::Event event : staging_done_) kernels::destroy_event(event);
  kernels::destroy_blas(blas_);
  kernels::destroy_stream(stream_);
  if (options_.comm != nullptr) kernels::destroy_comm(options_.comm);
}

bool CudaBackend::device_available() { return kernels::device_count() > 0; }

Result<RankBackendFactory> CudaBackend::rank_backends(int world, CudaBackendOptions options) {
  const int visible = kernels::device_count();
  if (world < 1 || world > visible) {
    return Status::unavailable("tensor-parallel size " + std::to_string(world) + " needs " + std::to_string(world) +
                               " GPUs; " + std::to_string(visible) +
                               " visible (check nvidia-smi and CUDA_VISIBLE_DEVICES)");
  }
  // The communicators not yet handed to a backend; destroyed with the factory.
  struct Comms {
    std::vector<kernels::Comm> unclaimed;
    ~Comms() {
      for (kernels::Comm comm : unclaimed) {
        if (comm != nullptr) kernels::destroy_comm(comm);
      }
    }
  };
  auto comms = std::make_shared<Comms>();
  comms->unclaimed = kernels::create_comms(world);
  return RankBackendFactory([comms, options](int rank) -> Result<std::unique_ptr<Backend>> {
    CudaBackendOptions rank_options = options;
    rank_options.device = rank;
    rank_options.comm = std::exchange(comms->unclaimed.at(rank), nullptr);
    Result<std::unique_ptr<CudaBackend>> backend = create(rank_options);
    if (!backend.is_ok()) {
      kernels::destroy_comm(rank_options.comm);
      return backend.status();
    }
    return std::unique_ptr<Backend>(std::move(*backend));
  });
}

void CudaBackend::all_reduce_sum(Tensor& x) {
  R1B_CHECK(x.dtype() == DType::kF32);
  if (options_.comm == nullptr || replaying()) return;
  kernels::all_reduce_sum(x.data_as<float>(), x.numel(), options_.comm, stream_);
}

std::string CudaBackend::device_name() const { return kernels::device_name(); }

int64_t CudaBackend::free_memory_bytes() const { return kernels::memory_info().free_bytes; }

double CudaBackend::measure_copy_bandwidth() {
  constexpr int kWarmup = 2, kTimed = 10;
  const int64_t bytes = std::min<int64_t>(int64_t{1} << 30, free_memory_bytes() / 4);
  if (bytes <= 0) return 0;
  void* src = kernels::device_alloc(bytes, stream_);
  void* dst = kernels::device_alloc(bytes, stream_);
  for (int i = 0; i < kWarmup; ++i) kernels::copy_on_device(dst, src, bytes, stream_);
  kernels::synchronize(stream_);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kTimed; ++i) kernels::copy_on_device(dst, src, bytes, stream_);
  kernels::synchronize(stream_);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  kernels::device_free(src);
  kernels::device_free(dst);
  return 2.0 * static_cast<double>(bytes) * kTimed / seconds;
}

bool CudaBackend::supports(const OpQuery& query) const {
  if (query.op == OpKind::kMoeRoute && query.shape.size() == 2 && query.shape[1] > kernels::kMaxRouterExperts) {
    return false;
  }
  if (query.dtype == DType::kF32 || query.dtype == DType::kI32) return true;
  if (query.dtype != DType::kBF16) return false;
  switch (query.op) {
    case OpKind::kEmbedding:
    case OpKind::kMatmul:
    case OpKind::kHeadMatmul:
    case OpKind::kMoeExperts:
    case OpKind::kWriteKv:
    case OpKind::kRopeWriteQkv:
    case OpKind::kCopyKvRows:
    case OpKind::kAttention:
      return true;
    default:
      return false;
  }
}

Tensor CudaBackend::alloc(std::vector<int64_t> shape, DType dtype) {
  int64_t count = 1;
  for (int64_t extent : shape) count *= extent;
  const int64_t bytes = count * static_cast<int64_t>(dtype_size(dtype));
  if (step_mode_ != StepMode::kNone) {
    fingerprint_.push_back(bytes);
    const int64_t span = stage_span(static_cast<size_t>(bytes));
    if (step_mode_ != StepMode::kFirst) {
      R1B_CHECK(arena_used_ + span <= arena_bytes_);
      void* data = static_cast<std::byte*>(arena_) + arena_used_;
      arena_used_ += span;
      return Tensor(std::shared_ptr<void>(data, [](void*) {}), data, std::move(shape), dtype);
    }
    arena_needed_ += span;
  }
  void* data = kernels::device_alloc(bytes, stream_);
  std::shared_ptr<void> storage(data, [](void* ptr) { kernels::device_free(ptr); });
  return Tensor(std::move(storage), data, std::move(shape), dtype);
}

void CudaBackend::begin_decode_step(int64_t rows, int64_t max_context) {
  R1B_CHECK(step_mode_ == StepMode::kNone && rows > 0 && max_context > 0);
  if (!options_.cuda_graphs) return;
  step_context_ = std::max<int64_t>(256, std::bit_ceil(static_cast<uint64_t>(max_context)));
  step_ = &recorded_[{rows, step_context_}];
  fingerprint_.clear();
  arena_needed_ = 0;
  staging_needed_ = 0;
  arena_used_ = 0;
  step_staging_used_ = 0;
  scratch_before_ = {step_index_scratch_.data, step_work_scratch_.data};
  decode_step_plan_.reset();  // its step tensor belongs to the previous step
  step_uploads_.clear();      // so do these
  kernels::wait_event(step_done_);  // the last recorded step has read the staged data we overwrite
  if (step_->graph != nullptr) {
    step_mode_ = StepMode::kReplay;
    return;
  }
  if (!step_->seen) {
    step_mode_ = StepMode::kFirst;
    return;
  }
  // Second sighting: make room for the step's tensors and index data, then record it.
  if (arena_bytes_ < step_->arena_bytes || step_staging_bytes_ < step_->staging_bytes) {
    drop_graphs();
    if (arena_bytes_ < step_->arena_bytes) {
      if (arena_ != nullptr) kernels::device_free(arena_);
      arena_bytes_ = step_->arena_bytes;
      arena_ = kernels::device_alloc(arena_bytes_, stream_);
    }
    if (step_staging_bytes_ < step_->staging_bytes) {
      if (step_staging_ != nullptr) kernels::host_free_pinned(step_staging_);
      step_staging_bytes_ = step_->staging_bytes;
      step_staging_ = static_cast<std::byte*>(kernels::host_alloc_pinned(step_staging_bytes_));
    }
  }
  step_mode_ = StepMode::kCapture;
  kernels::begin_capture(stream_);
}

void CudaBackend::end_decode_step() {
  if (step_mode_ == StepMode::kNone) return;  // graphs disabled
  const bool scratch_moved =
      scratch_before_ != std::array<void*, 2>{step_index_scratch_.data, step_work_scratch_.data};
  switch (step_mode_) {
    case StepMode::kFirst:
      step_->seen = true;
      step_->arena_bytes = arena_needed_;
      step_->staging_bytes = staging_needed_;
      if (scratch_moved) drop_graphs();  // their temporaries lived in the old buffers
      break;
    case StepMode::kCapture:
      step_->graph = kernels::end_capture(stream_);
      // The eager run of this shape sized the scratch buffers; recording must not have moved them.
      R1B_CHECK(!scratch_moved);
      step_->fingerprint = fingerprint_;
      kernels::launch_graph(step_->graph, stream_);
      break;
    case StepMode::kReplay:
      // The same shape must queue the same ops: otherwise the model graph is not a function of
      // (rows, context bucket) and replaying would compute something else.
      R1B_CHECK(fingerprint_ == step_->fingerprint);
      kernels::launch_graph(step_->graph, stream_);
      break;
    case StepMode::kNone:
      break;
  }
  kernels::record_event(step_done_, stream_);
  step_mode_ = StepMode::kNone;
  step_ = nullptr;
  step_context_ = 0;
}

std::vector<int32_t> CudaBackend::sample_tokens(const Tensor& logits, std::span<const SampleRequest> rows) {
  R1B_CHECK(step_mode_ == StepMode::kNone && logits.dtype() == DType::kF32);
  std::vector<kernels::SampleRow> device_rows(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    R1B_CHECK(rows[i].logits_row >= 0 && rows[i].logits_row < logits.dim(0));
    device_rows[i] = {rows[i].logits_row, rows[i].temperature, rows[i].top_p, rows[i].top_k, rows[i].uniform};
  }
  const auto [staged] = stage(std::array{std::as_bytes(std::span<const kernels::SampleRow>(device_rows))});
  Tensor tokens = alloc({static_cast<int64_t>(rows.size())}, DType::kI32);
  kernels::sample_rows(logits.data_as<float>(), logits.row_size(), reinterpret_cast<const kernels::SampleRow*>(staged),
                       static_cast<int64_t>(rows.size()), tokens.data_as<int32_t>(), stream_);
  std::vector<int32_t> ids(rows.size());
  kernels::copy_to_host(ids.data(), tokens.data_as<void>(), static_cast<int64_t>(ids.size() * sizeof(int32_t)), stream_);
  return ids;
}

void CudaBackend::drop_graphs() {
  kernels::synchronize(stream_);
  for (auto& [key, step] : recorded_) {
    if (step.graph != nullptr) kernels::destroy_graph(step.graph);
    step.graph = nullptr;
  }
}

std::byte* CudaBackend::staging_area(int64_t bytes) {
  if (staging_used_ + bytes > staging_half_bytes_) {
    if (bytes > staging_half_bytes_) {
      // Both halves may still feed queued copies: wait for them before replacing the area.
      kernels::synchronize(stream_);
      if (staging_ != nullptr) kernels::host_free_pinned(staging_);
      staging_half_bytes_ = std::max({bytes, 2 * staging_half_bytes_, kMinStagingHalfBytes});
      staging_ = static_cast<std::byte*>(kernels::host_alloc_pinned(2 * staging_half_bytes_));
      staging_half_ = 0;
    } else {
      kernels::record_event(staging_done_[staging_half_], stream_);
      staging_half_ ^= 1;
      kernels::wait_event(staging_done_[staging_half_]);
    }
    staging_used_ = 0;
  }
  std::byte* area = staging_ + staging_half_ * staging_half_bytes_ + staging_used_;
  staging_used_ += bytes;
  return area;
}

template <size_t N>
std::array<const std::byte*, N> CudaBackend::stage(const std::array<std::span<const std::byte>, N>& parts) {
  std::array<int64_t, N> offsets{};
  int64_t total = 0;
  for (size_t i = 0; i < N; ++i) {
    offsets[i] = total;
    total += stage_span(parts[i].size());
  }
  std::byte* host = nullptr;
  if (step_mode_ == StepMode::kCapture || step_mode_ == StepMode::kReplay) {
    // The same offsets on every replay: the recorded copy reads them again.
    R1B_CHECK(step_staging_used_ + total <= step_staging_bytes_);
    host = step_staging_ + step_staging_used_;
    step_staging_used_ += total;
  } else {
    host = staging_area(total);
  }
  if (step_mode_ != StepMode::kNone) {
    fingerprint_.push_back(-total);
    staging_needed_ += total;
  }
  for (size_t i = 0; i < N; ++i) {
    if (!parts[i].empty()) std::memcpy(host + offsets[i], parts[i].data(), parts[i].size());
  }
  kernels::Scratch& scratch = step_mode_ == StepMode::kNone ? index_scratch_ : step_index_scratch_;
  auto* device = static_cast<std::byte*>(kernels::reserve(scratch, total, stream_));
  if (!replaying()) kernels::copy_to_device_async(device, host, total, stream_);
  std::array<const std::byte*, N> pointers{};
  for (size_t i = 0; i < N; ++i) pointers[i] = device + offsets[i];
  return pointers;
}

void CudaBackend::upload(std::span<const float> values, Tensor& dst) {
  R1B_CHECK(static_cast<int64_t>(values.size()) == dst.numel());
  if (dst.shape().size() < 2 || options_.weight_dtype == DType::kF32) {
    upload_activation(values, dst);
    return;
  }
  R1B_CHECK(step_mode_ == StepMode::kNone);
  Tensor weight = alloc(dst.shape(), DType::kBF16);
  // Converted in pieces into the pinned staging halves, each copied while the next is converted.
  constexpr auto kPiece = static_cast<size_t>(kMinStagingHalfBytes / sizeof(uint16_t));
  auto* device = weight.data_as<uint16_t>();
  for (size_t begin = 0; begin < values.size(); begin += kPiece) {
    const std::span<const float> piece = values.subspan(begin, std::min(kPiece, values.size() - begin));
    auto* host = reinterpret_cast<uint16_t*>(staging_area(static_cast<int64_t>(piece.size_bytes() / 2)));
    float_to_bf16(piece, host);
    kernels::copy_to_device_async(device + begin, host, static_cast<int64_t>(piece.size_bytes() / 2), stream_);
  }
  dst = weight;
}

void CudaBackend::upload_activation(std::span<const float> values, Tensor& dst) {
  R1B_CHECK(dst.dtype() == DType::kF32 && static_cast<int64_t>(values.size()) == dst.numel());
  kernels::copy_to_device(dst.data_as<void>(), values.data(), bytes_of(dst), stream_);
}

std::vector<float> CudaBackend::download(const Tensor& src) {
  R1B_CHECK(step_mode_ == StepMode::kNone);  // results are read after end_decode_step()
  std::vector<float> values(src.numel());
  if (src.dtype() == DType::kBF16) {
    std::vector<uint16_t> bits(src.numel());
    kernels::copy_to_host(bits.data(), src.data_as<void>(), bytes_of(src), stream_);
    for (size_t i = 0; i < bits.size(); ++i) values[i] = bf16_to_float(bits[i]);
    return values;
  }
  if (src.dtype() == DType::kI32) {
    std::vector<int32_t> ids(src.numel());
    kernels::copy_to_host(ids.data(), src.data_as<void>(), bytes_of(src), stream_);
    for (size_t i = 0; i < ids.size(); ++i) values[i] = static_cast<float>(ids[i]);
    return values;
  }
  R1B_CHECK(src.dtype() == DType::kF32);
  kernels::copy_to_host(values.data(), src.data_as<void>(), bytes_of(src), stream_);
  return values;
}

void CudaBackend::embedding(const Tensor& table, std::span<const int32_t> token_ids, Tensor& out) {
  const int64_t width = table.dim(1);
  R1B_CHECK(out.dim(0) == static_cast<int64_t>(token_ids.size()) && out.row_size() == width);
  for (int32_t id : token_ids) R1B_CHECK(id >= 0 && id < table.dim(0));
  const auto [ids] = stage(std::array{std::as_bytes(token_ids)});
  if (replaying()) return;
  kernels::gather_rows(table.data_as<void>(), element_type(table), width, reinterpret_cast<const int32_t*>(ids),
                       static_cast<int64_t>(token_ids.size()), out.data_as<float>(), stream_);
}

DType CudaBackend::product_input_dtype(const Tensor& weight, int64_t rows) const {
  const bool rounded = weight.dtype() == DType::kBF16 && !split_x() && rows > kernels::kGemvMaxRows;
  return rounded ? DType::kBF16 : DType::kF32;
}

void CudaBackend::matmul(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& out) {
  const int64_t rows = x.dim(0);
  const int64_t in = x.row_size();
  const int64_t outs = weight.dim(0);
  R1B_CHECK(x.dtype() == DType::kF32 || (x.dtype() == DType::kBF16 && weight.dtype() == DType::kBF16));
  R1B_CHECK(weight.row_size() == in && out.dim(0) == rows && out.row_size() == outs);
  R1B_CHECK(bias.empty() || (bias.numel() == outs && bias.dtype() == DType::kF32));
  kernels::GemmShape shape;
  shape.rows = rows;
  shape.in = in;
  shape.outs = outs;
  shape.x_row_stride = in;
  shape.out_row_stride = outs;
  shape.w_batch_stride = outs * in;
  shape.x_batch_stride = rows * in;
  shape.out_batch_stride = rows * outs;
  if (replaying()) return;
  kernels::gemm_xwt(blas_, x.data_as<void>(), element_type(x), weight.data_as<void>(), element_type(weight), split_x(),
                    shape, bias.empty() ? nullptr : bias.data_as<float>(), out.data_as<float>(), work_scratch(), stream_);
}

void CudaBackend::head_matmul(const Tensor& x, const Tensor& weight, Tensor& out) {
  const int64_t tokens = x.dim(0);
  const int64_t heads = x.dim(1);
  const int64_t in = x.dim(2);
  const int64_t outs = weight.dim(1);
  R1B_CHECK(x.dtype() == DType::kF32 && weight.dim(0) == heads && weight.dim(2) == in);
  R1B_CHECK(out.dim(0) == tokens && out.dim(1) == heads && out.dim(2) == outs);
  // Head h: rows t of x[:, h, :] (stride H·I) times weight[h]ᵀ into out[:, h, :] (stride H·O).
  kernels::GemmShape shape;
  shape.rows = tokens;
  shape.in = in;
  shape.outs = outs;
  shape.batch = heads;
  shape.x_row_stride = heads * in;
  shape.x_batch_stride = in;
  shape.w_batch_stride = outs * in;
  shape.out_row_stride = heads * outs;
  shape.out_batch_stride = outs;
  if (replaying()) return;
  kernels::gemm_xwt(blas_, x.data_as<void>(), kernels::ElementType::kF32, weight.data_as<void>(), element_type(weight),
                    split_x(), shape, /*bias=*/nullptr, out.data_as<float>(), work_scratch(), stream_);
}

void CudaBackend::rmsnorm(const Tensor& x, const Tensor& weight, float eps, Tensor& out) {
  const int64_t width = weight.numel();
  R1B_CHECK(weight.dtype() == DType::kF32 && x.dtype() == DType::kF32 && x.numel() % width == 0 &&
            out.numel() == x.numel());
  R1B_CHECK(out.dtype() == DType::kF32 || out.data_as<void>() != x.data_as<void>());
  if (replaying()) return;
  kernels::rmsnorm(x.data_as<float>(), weight.data_as<float>(), eps, x.numel() / width, width, out.data_as<void>(),
                   element_type(out), stream_);
}

void CudaBackend::add_rmsnorm(Tensor& x, const Tensor& delta, const Tensor& weight, float eps, Tensor& out) {
  const int64_t width = weight.numel();
  R1B_CHECK(weight.dtype() == DType::kF32 && x.numel() % width == 0 && delta.numel() == x.numel() &&
            out.numel() == x.numel());
  R1B_CHECK(x.dtype() == DType::kF32 && delta.dtype() == DType::kF32);
  if (replaying()) return;
  kernels::add_rmsnorm(x.data_as<float>(), delta.data_as<float>(), weight.data_as<float>(), eps, x.numel() / width,
                       width, out.data_as<void>(), element_type(out), stream_);
}

template <size_t N>
std::array<const std::byte*, N> CudaBackend::stage_until_step_end(
    const std::array<std::span<const std::byte>, N>& parts, Tensor& holder) {
  const std::array<const std::byte*, N> staged = stage(parts);
  if (step_mode_ == StepMode::kNone) return staged;
  // stage() packs the parts into one range of 256-byte aligned spans.
  const int64_t bytes = (staged[N - 1] - staged[0]) + stage_span(parts[N - 1].size());
  holder = alloc({bytes / 4}, DType::kI32);
  if (!replaying()) kernels::copy_on_device(holder.data_as<void>(), staged[0], bytes, stream_);
  std::array<const std::byte*, N> pointers{};
  for (size_t i = 0; i < N; ++i) pointers[i] = holder.data_as<std::byte>() + (staged[i] - staged[0]);
  return pointers;
}

template <size_t N>
std::array<const std::byte*, N> CudaBackend::stage_for_step(const std::array<std::span<const std::byte>, N>& parts) {
  if (step_mode_ == StepMode::kNone) return stage(parts);
  std::vector<int64_t> key;
  for (const std::span<const std::byte>& part : parts) {
    key.insert(key.end(), {std::bit_cast<int64_t>(part.data()), static_cast<int64_t>(part.size())});
  }
  auto upload = std::find_if(step_uploads_.begin(), step_uploads_.end(),
                             [&](const StepUpload& earlier) { return earlier.key == key; });
  if (upload == step_uploads_.end()) {
    StepUpload next{std::move(key), Tensor(), {}};
    const std::array<const std::byte*, N> copies = stage_until_step_end(parts, next.device);
    next.parts.assign(copies.begin(), copies.end());
    step_uploads_.push_back(std::move(next));
    upload = std::prev(step_uploads_.end());
  }
  std::array<const std::byte*, N> pointers{};
  std::copy_n(upload->parts.begin(), N, pointers.begin());
  return pointers;
}

void CudaBackend::rope(Tensor& x, std::span<const int32_t> positions, const RopeTable& table, int64_t rot_offset) {
  const kernels::RopeShape shape = rope_shape(x, table, rot_offset);
  R1B_CHECK(static_cast<int64_t>(positions.size()) == shape.tokens);
  const auto [device_positions, inv_freq] =
      stage_for_step(std::array{std::as_bytes(positions), std::as_bytes(std::span<const float>(table.inv_freq))});
  if (replaying()) return;
  kernels::rope(x.data_as<float>(), reinterpret_cast<const int32_t*>(device_positions),
                reinterpret_cast<const float*>(inv_freq), shape, stream_);
}

void CudaBackend::add(const Tensor& a, const Tensor& b, Tensor& out) {
  R1B_CHECK(a.numel() == b.numel() && a.numel() == out.numel());
  if (replaying()) return;
  kernels::add(a.data_as<float>(), b.data_as<float>(), out.data_as<float>(), a.numel(), stream_);
}

void CudaBackend::swiglu(const Tensor& gate_up, Tensor& out) {
  R1B_CHECK(gate_up.dim(0) == out.dim(0) && gate_up.row_size() == 2 * out.row_size());
  if (replaying()) return;
  kernels::swiglu(gate_up.data_as<float>(), out.data_as<float>(), out.dim(0), out.row_size(), stream_);
}

void CudaBackend::swiglu_mlp(const Tensor& x, const Tensor& gate_up, const Tensor& gate_up_bias, const Tensor& down,
                             const Tensor& down_bias, Tensor& out) {
  kernels::MlpShape shape;
  shape.rows = x.dim(0);
  shape.in = x.row_size();
  shape.ffn = gate_up.dim(0) / 2;
  shape.outs = down.dim(0);
  R1B_CHECK(x.dtype() == DType::kF32 || (x.dtype() == DType::kBF16 && gate_up.dtype() == DType::kBF16));
  R1B_CHECK(gate_up.row_size() == shape.in && gate_up.dim(0) == 2 * shape.ffn);
  R1B_CHECK(down.row_size() == shape.ffn && out.dim(0) == shape.rows && out.row_size() == shape.outs);
  R1B_CHECK(gate_up_bias.empty() || (gate_up_bias.numel() == 2 * shape.ffn && gate_up_bias.dtype() == DType::kF32));
  R1B_CHECK(down_bias.empty() || (down_bias.numel() == shape.outs && down_bias.dtype() == DType::kF32));
  if (gate_up.dtype() != down.dtype() || !kernels::swiglu_mlp_fits(shape, element_type(gate_up), split_x())) {
    Backend::swiglu_mlp(x, gate_up, gate_up_bias, down, down_bias, out);
    return;
  }
  if (replaying()) return;
  kernels::swiglu_mlp(blas_, x.data_as<void>(), element_type(x), gate_up.data_as<void>(),
                      gate_up_bias.empty() ? nullptr : gate_up_bias.data_as<float>(), down.data_as<void>(),
                      down_bias.empty() ? nullptr : down_bias.data_as<float>(), shape, out.data_as<float>(),
                      work_scratch(), stream_);
}

void CudaBackend::copy_columns(const Tensor& src, int64_t src_col, Tensor& dst, int64_t dst_col, int64_t width) {
  const int64_t rows = src.dim(0);
  const int64_t src_cols = src.row_size();
  const int64_t dst_cols = dst.row_size();
  R1B_CHECK(dst.dim(0) == rows && src_col + width <= src_cols && dst_col + width <= dst_cols);
  if (replaying()) return;
  kernels::copy_columns(src.data_as<float>() + src_col, src_cols, dst.data_as<float>() + dst_col, dst_cols, rows, width,
                        stream_);
}

void CudaBackend::write_kv(const Tensor& rows, std::span<const int32_t> slots, Tensor& cache) {
  const int64_t width = rows.row_size();
  R1B_CHECK(cache.row_size() == width && rows.dim(0) == static_cast<int64_t>(slots.size()));
  for (int32_t slot : slots) R1B_CHECK(slot >= 0 && slot < cache.dim(0));
  const auto [device_slots] = stage_for_step(std::array{std::as_bytes(slots)});
  if (replaying()) return;
  kernels::scatter_rows(rows.data_as<float>(), width, reinterpret_cast<const int32_t*>(device_slots),
                        static_cast<int64_t>(slots.size()), cache.data_as<void>(), element_type(cache), stream_);
}

void CudaBackend::rope_write_qkv(const Tensor& qkv, const Tensor& bias, std::span<const int32_t> positions,
                                 const RopeTable& table, std::span<const int32_t> slots, Tensor& q_out,
                                 Tensor& k_cache, Tensor& v_cache) {
  kernels::RopeShape shape;
  shape.tokens = q_out.dim(0);
  shape.heads = q_out.dim(1);
  shape.head_dim = q_out.dim(2);
  shape.half = static_cast<int64_t>(table.inv_freq.size());
  shape.attention_factor = table.attention_factor;
  shape.interleaved = table.interleaved;
  const int64_t kv_width = k_cache.row_size();
  R1B_CHECK(kv_width % shape.head_dim == 0 && v_cache.row_size() == kv_width && v_cache.dtype() == k_cache.dtype());
  R1B_CHECK(qkv.dim(0) == shape.tokens && qkv.row_size() == q_out.row_size() + 2 * kv_width);
  R1B_CHECK(bias.empty() || (bias.numel() == qkv.row_size() && bias.dtype() == DType::kF32));
  R1B_CHECK(static_cast<int64_t>(positions.size()) == shape.tokens && static_cast<int64_t>(slots.size()) == shape.tokens);
  R1B_CHECK(shape.head_dim % 2 == 0 && 2 * shape.half <= shape.head_dim);
  for (int32_t slot : slots) R1B_CHECK(slot >= 0 && slot < k_cache.dim(0));
  const auto [device_positions, inv_freq, device_slots] =
      stage_for_step(std::array{std::as_bytes(positions), std::as_bytes(std::span<const float>(table.inv_freq)),
                       std::as_bytes(slots)});
  if (replaying()) return;
  kernels::rope_write_qkv(qkv.data_as<float>(), bias.empty() ? nullptr : bias.data_as<float>(),
                          reinterpret_cast<const int32_t*>(device_positions),
                          reinterpret_cast<const float*>(inv_freq), shape, kv_width / shape.head_dim,
                          reinterpret_cast<const int32_t*>(device_slots), q_out.data_as<float>(),
                          k_cache.data_as<void>(), v_cache.data_as<void>(), element_type(k_cache), stream_);
}

void CudaBackend::split_mla_projection(const Tensor& proj, const Tensor& q_norm, const Tensor& kv_norm, float eps,
                                       std::span<const int32_t> positions, const RopeTable& table,
                                       std::span<const int32_t> slots, Tensor& cache, Tensor& q) {
  const int64_t tokens = proj.dim(0);
  const int64_t q_width = q.row_size();
  const int64_t latent = proj.row_size() - q_width;
  const int64_t lora = kv_norm.numel();
  R1B_CHECK(cache.row_size() == latent);
  kernels::RopeShape shape = rope_shape(cache.view({cache.dim(0), 1, latent}), table, lora);  // a latent head a row
  shape.tokens = tokens;
  R1B_CHECK(proj.dtype() == DType::kF32 && q.dtype() == DType::kF32 && kv_norm.dtype() == DType::kF32);
  R1B_CHECK(q.dim(0) == tokens && lora + 2 * shape.half == latent);
  R1B_CHECK(q_norm.empty() || (q_norm.numel() == q_width && q_norm.dtype() == DType::kF32));
  R1B_CHECK(static_cast<int64_t>(positions.size()) == tokens && static_cast<int64_t>(slots.size()) == tokens);
  for (int32_t slot : slots) R1B_CHECK(slot >= 0 && slot < cache.dim(0));
  const auto [device_positions, inv_freq, device_slots] =
      stage_for_step(std::array{std::as_bytes(positions), std::as_bytes(std::span<const float>(table.inv_freq)),
                                std::as_bytes(slots)});
  if (replaying()) return;
  kernels::split_mla_projection(proj.data_as<float>(), q_width, q_norm.empty() ? nullptr : q_norm.data_as<float>(),
                                kv_norm.data_as<float>(), eps, reinterpret_cast<const int32_t*>(device_positions),
                                reinterpret_cast<const float*>(inv_freq), shape,
                                reinterpret_cast<const int32_t*>(device_slots), cache.data_as<void>(),
                                element_type(cache), q.data_as<float>(), stream_);
}

void CudaBackend::absorb_query(const Tensor& q, const Tensor& w_uk, std::span<const int32_t> positions,
                               const RopeTable& table, Tensor& q_latent) {
  const AbsorbedQueryShape sizes = absorbed_query_shape(q, w_uk, q_latent);
  const auto [tokens, heads, nope, lora, rope_dim] = sizes;
  const kernels::RopeShape shape = rope_shape(q, table, nope);
  const int64_t latent = lora + rope_dim;
  R1B_CHECK(q.dtype() == DType::kF32 && rope_dim == 2 * shape.half && static_cast<int64_t>(positions.size()) == tokens);
  // The product may write all of q_latent's rows (gemm_xwt's contract), so the rotation, which
  // fills the rest of each head, comes after it.
  const kernels::GemmShape product = absorb_product(sizes, heads * q.dim(2));
  const auto [device_positions, inv_freq] =
      stage_for_step(std::array{std::as_bytes(positions), std::as_bytes(std::span<const float>(table.inv_freq))});
  if (replaying()) return;
  kernels::gemm_xwt(blas_, q.data_as<void>(), kernels::ElementType::kF32, w_uk.data_as<void>(), element_type(w_uk),
                    split_x(), product, /*bias=*/nullptr, q_latent.data_as<float>(), work_scratch(), stream_);
  kernels::rope_into(q.data_as<float>(), reinterpret_cast<const int32_t*>(device_positions),
                     reinterpret_cast<const float*>(inv_freq), shape, q_latent.data_as<float>(), latent, lora,
                     stream_);
}

void CudaBackend::absorb_mla_projection(const Tensor& proj, const Tensor& kv_norm, float eps, const Tensor& w_uk,
                                        std::span<const int32_t> positions, const RopeTable& table,
                                        std::span<const int32_t> slots, Tensor& cache, Tensor& q_latent) {
  const int64_t tokens = proj.dim(0);
  const int64_t latent = cache.row_size();
  const int64_t lora = kv_norm.numel();
  const int64_t q_width = proj.row_size() - latent;
  const AbsorbedQueryShape sizes{tokens, q_latent.dim(1), w_uk.dim(2), w_uk.dim(1), q_latent.dim(2) - w_uk.dim(1)};
  R1B_CHECK(q_width == sizes.heads * (sizes.nope + sizes.rope_dim) && w_uk.dim(0) == sizes.heads);
  R1B_CHECK(q_latent.dim(0) == tokens && sizes.lora == lora && lora + sizes.rope_dim == latent);
  R1B_CHECK(proj.dtype() == DType::kF32 && q_latent.dtype() == DType::kF32 && kv_norm.dtype() == DType::kF32);
  R1B_CHECK(static_cast<int64_t>(positions.size()) == tokens && static_cast<int64_t>(slots.size()) == tokens);
  for (int32_t slot : slots) R1B_CHECK(slot >= 0 && slot < cache.dim(0));
  kernels::RopeShape shape = rope_shape(cache.view({cache.dim(0), 1, latent}), table, lora);  // a latent head a row
  shape.tokens = tokens;
  kernels::RopeShape q_shape = shape;  // the query heads inside proj's rows
  q_shape.heads = sizes.heads;
  q_shape.head_dim = sizes.nope + sizes.rope_dim;
  q_shape.rot_offset = sizes.nope;
  R1B_CHECK(2 * shape.half == sizes.rope_dim);
  const auto [device_positions, inv_freq, device_slots] =
      stage_for_step(std::array{std::as_bytes(positions), std::as_bytes(std::span<const float>(table.inv_freq)),
                                std::as_bytes(slots)});
  if (replaying()) return;
  // A decode step's few rows: the W_UK product runs in the rotation's pass; otherwise before it.
  kernels::QueryAbsorption absorb{w_uk.data_as<void>(), lora};
  if (!kernels::query_absorption_fits(proj.data_as<float>(), proj.row_size(), q_shape, absorb, element_type(w_uk))) {
    absorb = kernels::QueryAbsorption{};
    kernels::gemm_xwt(blas_, proj.data_as<void>(), kernels::ElementType::kF32, w_uk.data_as<void>(),
                      element_type(w_uk), split_x(), absorb_product(sizes, proj.row_size()), /*bias=*/nullptr,
                      q_latent.data_as<float>(), work_scratch(), stream_);
  }
  kernels::rope_query_write_latent(proj.data_as<float>(), q_shape, kv_norm.data_as<float>(), eps,
                                   reinterpret_cast<const int32_t*>(device_positions),
                                   reinterpret_cast<const float*>(inv_freq), shape,
                                   reinterpret_cast<const int32_t*>(device_slots), cache.data_as<void>(),
                                   element_type(cache), q_latent.data_as<float>(), latent, lora, absorb, stream_);
}

void CudaBackend::copy_kv_rows(Tensor& cache, int64_t src_slot, int64_t dst_slot, int64_t count) {
  const int64_t width = cache.row_size();
  R1B_CHECK(src_slot + count <= cache.dim(0) && dst_slot + count <= cache.dim(0));
  if (src_slot == dst_slot) return;
  // Copy-on-write moves whole blocks between distinct blocks; overlapping ranges never occur.
  R1B_CHECK(src_slot + count <= dst_slot || dst_slot + count <= src_slot);
  if (replaying()) return;
  const auto row_bytes = width * static_cast<int64_t>(dtype_size(cache.dtype()));
  auto* base = cache.data_as<std::byte>();
  kernels::copy_on_device(base + dst_slot * row_bytes, base + src_slot * row_bytes, count * row_bytes, stream_);
}

void CudaBackend::attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                            std::span<const AttentionSeq> seqs, const AttentionParams& params, Tensor& out) {
  R1B_CHECK(out.row_size() == params.num_heads * params.v_dim);
  queue_attention(q, k_cache, v_cache, seqs, params, attention_shape(params), kernels::HeadProjection{}, out);
}

void CudaBackend::mla_attention(const Tensor& q_latent, const Tensor& cache, std::span<const AttentionSeq> seqs,
                                const AttentionParams& params, const Tensor& w_uv, Tensor& out) {
  const kernels::AttentionShape shape = attention_shape(params);
  const int64_t outs = w_uv.dim(1);
  R1B_CHECK(params.v_in_k && w_uv.dim(0) == params.num_heads && w_uv.dim(2) == params.v_dim);
  R1B_CHECK(out.dim(0) == q_latent.dim(0) && out.row_size() == params.num_heads * outs);
  if (w_uv.dtype() != DType::kBF16 ||
      !kernels::attention_projects(shape, element_type(cache), q_latent.dim(0), outs)) {
    Backend::mla_attention(q_latent, cache, seqs, params, w_uv, out);
    return;
  }
  queue_attention(q_latent, cache, Tensor(), seqs, params, shape, kernels::HeadProjection{w_uv.data_as<void>(), outs},
                  out);
}

kernels::AttentionShape CudaBackend::attention_shape(const AttentionParams& params) const {
  kernels::AttentionShape shape;
  shape.heads = params.num_heads;
  shape.kv_heads = params.num_kv_heads;
  shape.k_dim = params.k_dim;
  shape.v_dim = params.v_dim;
  shape.k_row = params.num_kv_heads * params.k_dim;
  shape.v_row = params.v_in_k ? shape.k_row : params.num_kv_heads * params.v_dim;
  shape.v_head_stride = params.v_in_k ? params.k_dim : params.v_dim;
  shape.v_in_k = params.v_in_k;
  shape.block_size = params.block_size;
  shape.scale = params.scale;
  shape.tensor_cores = !split_x();  // bf16 activations: q and p may be rounded like GEMM inputs
  return shape;
}

void CudaBackend::queue_attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                                  std::span<const AttentionSeq> seqs, const AttentionParams& params,
                                  const kernels::AttentionShape& shape, const kernels::HeadProjection& projection,
                                  Tensor& out) {
  R1B_CHECK(params.num_kv_heads > 0 && shape.heads % shape.kv_heads == 0 && q.row_size() == shape.heads * shape.k_dim);
  R1B_CHECK(k_cache.row_size() == shape.k_row);
  R1B_CHECK(params.v_in_k ? params.v_dim <= params.k_dim : v_cache.row_size() == shape.v_row);

  int64_t max_rows = 0;
  int64_t max_visible = 0;
  for (const AttentionSeq& seq : seqs) {
    R1B_CHECK(static_cast<int64_t>(seq.block_table.size()) * params.block_size >= seq.context_len);
    R1B_CHECK(seq.q_begin >= 0 && seq.q_begin + seq.num_q <= q.dim(0) && seq.num_q <= seq.context_len);
    max_rows = std::max(max_rows, seq.num_q);
    max_visible = std::max(max_visible, seq.context_len);
  }
  // Inside a recorded decode step the plan depends on the context bucket only: every block table
  // is padded to the bucket's block count and the split plan is made for the bucket.
  int64_t table_stride = 0;
  if (step_mode_ != StepMode::kNone) {
    R1B_CHECK(max_visible <= step_context_);
    max_visible = step_context_;
    table_stride = (step_context_ + params.block_size - 1) / params.block_size;
  }
  if (max_rows <= 1 && projection.w == nullptr && kernels::decode_attention_fits(shape, element_type(k_cache))) {
    decode_attention(q, k_cache, v_cache, seqs, shape, table_stride, out);
    return;
  }
  // tiles [num_tiles, 4]: first row, rows, visible positions of the first row, block table offset.
  const int64_t rows_per_tile = kernels::attention_rows_per_tile(shape, element_type(k_cache), max_rows);
  std::vector<int32_t> tiles, tables;
  for (const AttentionSeq& seq : seqs) {
    for (int64_t i = 0; i < seq.num_q; i += rows_per_tile) {
      tiles.insert(tiles.end(), {static_cast<int32_t>(seq.q_begin + i),
                                 static_cast<int32_t>(std::min(rows_per_tile, seq.num_q - i)),
                                 static_cast<int32_t>(seq.context_len - seq.num_q + i + 1),
                                 static_cast<int32_t>(tables.size())});
    }
    tables.insert(tables.end(), seq.block_table.begin(), seq.block_table.end());
    if (table_stride > 0) tables.resize(tiles.size() / 4 * table_stride, 0);
  }
  if (tables.empty()) tables.push_back(0);
  const auto [device_tiles, device_tables] = stage(
      std::array{std::as_bytes(std::span<const int32_t>(tiles)), std::as_bytes(std::span<const int32_t>(tables))});
  R1B_CHECK(params.v_in_k || v_cache.dtype() == k_cache.dtype());
  const void* keys = k_cache.data_as<void>();
  if (replaying()) return;
  kernels::attention(q.data_as<float>(), q.dim(0), keys, params.v_in_k ? keys : v_cache.data_as<void>(),
                     element_type(k_cache), reinterpret_cast<const int32_t*>(device_tiles), static_cast<int64_t>(tiles.size() / 4),
                     rows_per_tile, max_visible, reinterpret_cast<const int32_t*>(device_tables), shape,
                     out.data_as<float>(), work_scratch(), stream_, projection);
}

void CudaBackend::decode_attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                                   std::span<const AttentionSeq> seqs, const kernels::AttentionShape& shape,
                                   int64_t table_stride, Tensor& out) {
  // What the plan is made of; block tables by address and length (a step's layers share them).
  std::vector<int64_t> key = {static_cast<int64_t>(seqs.size()), table_stride, q.dim(0), shape.heads,
                              shape.kv_heads, shape.block_size};
  for (const AttentionSeq& seq : seqs) {
    key.insert(key.end(), {seq.q_begin, seq.num_q, seq.context_len, std::bit_cast<int64_t>(seq.block_table.data()),
                           static_cast<int64_t>(seq.block_table.size())});
  }
  // Inside a decode step the first layer's plan serves the others: its arrays stay in a step tensor.
  const bool reuse = step_mode_ != StepMode::kNone && decode_step_plan_.has_value() && decode_step_plan_->key == key;
  if (!reuse) {
    std::vector<int32_t> tables;
    std::vector<kernels::DecodeRow> rows;
    rows.reserve(seqs.size());
    for (const AttentionSeq& seq : seqs) {
      if (seq.num_q == 0) continue;
      const auto offset = static_cast<int64_t>(tables.size());
      rows.push_back({seq.q_begin, seq.context_len, seq.block_table.data(),
                      static_cast<int64_t>(seq.block_table.size()), offset});
      tables.insert(tables.end(), seq.block_table.begin(), seq.block_table.end());
      if (table_stride > 0) tables.resize(offset + table_stride, 0);
    }
    if (tables.empty()) tables.push_back(0);
    // A recorded step has one row per sequence, so the plan's sizes follow the step's row count.
    DecodeStepPlan next{std::move(key),
                        kernels::plan_decode_attention(rows.data(), static_cast<int64_t>(rows.size()), q.dim(0), shape),
                        Tensor(), {}};
    const std::array<const std::vector<int32_t>*, 5> parts = {&tables, &next.plan.suffix_items, &next.plan.prefix_items,
                                                              &next.plan.prefix_tiles, &next.plan.entry_offsets};
    std::vector<int32_t> packed;
    for (size_t i = 0; i < parts.size(); ++i) {
      next.offsets[i] = static_cast<int64_t>(packed.size());
      packed.insert(packed.end(), parts[i]->begin(), parts[i]->end());
    }
    const auto [staged] =
        stage_until_step_end(std::array{std::as_bytes(std::span<const int32_t>(packed))}, next.device);
    next.device_data = reinterpret_cast<const int32_t*>(staged);
    decode_step_plan_ = std::move(next);
  }
  if (replaying()) return;
  const DecodeStepPlan& step_plan = *decode_step_plan_;
  const int32_t* data = step_plan.device_data;
  const kernels::DecodePlanOnDevice on_device{data + step_plan.offsets[1], data + step_plan.offsets[2],
                                              data + step_plan.offsets[3], data + step_plan.offsets[4]};
  kernels::decode_attention(q.data_as<float>(), k_cache.data_as<void>(), v_cache.data_as<void>(), step_plan.plan,
                            on_device, data + step_plan.offsets[0], shape, out.data_as<float>(), work_scratch(),
                            stream_);
}

void CudaBackend::moe_route(const Tensor& router_logits, const Tensor& correction_bias, const RouterParams& params,
                            Tensor& expert_ids, Tensor& expert_weights) {
  kernels::RouteShape shape;
  shape.tokens = router_logits.dim(0);
  shape.experts = router_logits.dim(1);
  shape.sigmoid = params.scoring == RouterScoring::kSigmoid;
  shape.top_k = params.top_k;
  shape.num_groups = params.num_groups;
  shape.top_groups = params.top_groups;
  shape.group_top = params.group_score == GroupScore::kNone ? 0 : (params.group_score == GroupScore::kMax ? 1 : 2);
  shape.normalize = params.normalize;
  shape.scaling_factor = params.scaling_factor;
  R1B_CHECK(shape.experts % shape.num_groups == 0 && expert_ids.dtype() == DType::kI32);
  R1B_CHECK(params.top_k >= 1 && params.top_k <= shape.experts && shape.experts <= kernels::kMaxRouterExperts);
  R1B_CHECK(expert_ids.numel() == shape.tokens * params.top_k && expert_weights.numel() == shape.tokens * params.top_k);
  R1B_CHECK(correction_bias.empty() || (correction_bias.numel() == shape.experts && correction_bias.dtype() == DType::kF32));
  if (replaying()) return;
  kernels::moe_route(router_logits.data_as<float>(), correction_bias.empty() ? nullptr : correction_bias.data_as<float>(),
                     shape, expert_ids.data_as<int32_t>(), expert_weights.data_as<float>(), stream_);
}

void CudaBackend::moe_experts(const Tensor& x, const Tensor& expert_ids, const Tensor& expert_weights,
                              const ExpertWeights& experts, Tensor& out) {
  kernels::ExpertShape shape;
  shape.tokens = x.dim(0);
  shape.hidden = x.row_size();
  shape.top_k = shape.tokens == 0 ? 0 : expert_ids.numel() / shape.tokens;
  shape.experts = experts.gate.dim(0);
  shape.first_expert = experts.first_expert;
  shape.ffn = experts.gate.dim(1);
  shape.weight_type = element_type(experts.gate);
  shape.bf16_activations = !split_x();
  R1B_CHECK(shape.experts <= kernels::kMaxRouterExperts && experts.gate.dim(2) == shape.hidden && experts.down.dim(1) == shape.hidden && experts.down.dim(2) == shape.ffn);
  R1B_CHECK(experts.up.dtype() == experts.gate.dtype() && experts.down.dtype() == experts.gate.dtype());
  R1B_CHECK(expert_ids.dtype() == DType::kI32 && out.numel() == x.numel());
  const bool shared = !experts.shared_gate_up.empty();
  const int64_t shared_ffn = shared ? experts.shared_down.dim(1) : 0;
  // The shared experts ride in the routed experts' passes where the kernels can take them (few
  // tokens), else they run as a SwiGLU MLP added after.
  const bool together = shared && experts.shared_gate_up.dtype() == experts.gate.dtype() &&
                        experts.shared_down.dtype() == experts.gate.dtype() &&
                        kernels::moe_experts_add_shared(shape, shared_ffn);
  if (together) {
    R1B_CHECK(experts.shared_gate_up.dim(0) == 2 * shared_ffn && experts.shared_gate_up.dim(1) == shape.hidden &&
              experts.shared_down.dim(0) == shape.hidden);
    shape.shared_ffn = shared_ffn;
  }
  if (!replaying()) {
    kernels::ExpertMatrices matrices;
    matrices.gate = experts.gate.data_as<void>();
    matrices.up = experts.up.data_as<void>();
    matrices.down = experts.down.data_as<void>();
    if (together) {
      matrices.shared_gate_up = experts.shared_gate_up.data_as<void>();
      matrices.shared_down = experts.shared_down.data_as<void>();
    }
    kernels::moe_experts(x.data_as<float>(), expert_ids.data_as<int32_t>(), expert_weights.data_as<float>(), matrices,
                         shape, out.data_as<float>(), work_scratch(), stream_);
  }
  if (!together) add_shared_experts(x, experts, out);
}

}  // namespace r1b::model
