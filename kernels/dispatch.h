// The one header through which plain C++ (model/cuda_backend.cpp) reaches the CUDA kernels and
// cuBLAS: functions over device pointers, int64 sizes and opaque stream / cuBLAS handles, so no
// caller ever includes a CUDA header (STYLE rule 7). Start here; kernels/README.md lists the files.
//
// Conventions: every pointer argument is device memory unless its name ends in `_host`; every op
// is asynchronous on `stream` (a cudaStream_t, nullptr for the legacy default stream); an op that
// needs temporaries takes them from a caller's grow-only Scratch used only on that stream.
// Activations are fp32, row-major; weights and the KV cache are fp32 or bf16 (ElementType); all
// arithmetic accumulates in fp32. Sizes are element counts. Each op's semantics mirror model::CpuBackend's op of the same
// name (model/cpu_backend.cpp is the spec).
//
// Errors: a failed CUDA or cuBLAS call is a broken invariant here (bad launch, device fault, out
// of device memory): it prints the call, its error string and file:line, then aborts. Callers
// check shapes before calling. device_count() is the exception: it never aborts and answers 0
// without a driver or GPU.
//
// Thread-safety: functions are thread-safe as CUDA is; a stream or cuBLAS handle must be used by
// one thread at a time.
#pragma once

#include <cstdint>
#include <string>

namespace r1b::kernels {

using Stream = void*;      // cudaStream_t
using BlasHandle = void*;  // cublasHandle_t

// Element type of a stored operand: weights and the KV cache (activations are always fp32).
enum class ElementType { kF32, kBF16 };

// ---- devices, streams, memory (memory.cu) ----

// Visible CUDA devices; 0 when there is no driver or GPU (never aborts).
int device_count();
// A new blocking stream on the current device; destroy_stream() after its last use. Also makes
// the device's memory pool keep freed memory for reuse (see memory.cu).
Stream create_stream();
void destroy_stream(Stream stream);
// Free and total bytes of the current device's memory.
struct MemoryInfo {
  int64_t free_bytes = 0;
  int64_t total_bytes = 0;
};
MemoryInfo memory_info();
// The current device's name (e.g. "NVIDIA H100 80GB HBM3").
std::string device_name();
// Waits until all work queued on `stream` has finished.
void synchronize(Stream stream);
// `bytes` (≥ 1 allocated) of uninitialised device memory, allocated stream-ordered on `stream`.
void* device_alloc(int64_t bytes, Stream stream);
// Frees memory from device_alloc() ordered after all earlier work of every blocking stream
// (stream-ordered on the legacy default stream), so it is safe from any owner's destructor.
// (Measured on an H100: freeing on the allocating stream instead made queuing a decode step ~60%
// slower on the host.)
void device_free(void* ptr);
// Host → device; the host buffer may be reused as soon as the call returns.
void copy_to_device(void* dst, const void* src_host, int64_t bytes, Stream stream);
// Host → device without waiting: `src_host` (pinned, from host_alloc_pinned()) must stay
// unchanged until `stream` has run the copy (record_event() after it, wait_event() before reuse).
void copy_to_device_async(void* dst, const void* src_host, int64_t bytes, Stream stream);
// Device → host; returns once the bytes are on the host (synchronizes `stream`).
void copy_to_host(void* dst_host, const void* src, int64_t bytes, Stream stream);
// Device → device; the two ranges must not overlap.
void copy_on_device(void* dst, const void* src, int64_t bytes, Stream stream);
// `bytes` (≥ 1 allocated) of page-locked host memory, so copies from it run asynchronously;
// host_free_pinned() after the last copy that reads it has run.
void* host_alloc_pinned(int64_t bytes);
void host_free_pinned(void* ptr);

using Event = void*;  // cudaEvent_t (timing disabled)
Event create_event();
void destroy_event(Event event);
// Marks the point in `stream` reached by all work queued on it so far.
void record_event(Event event, Stream stream);
// Waits on the host until the work before the event's last record_event() has run (at once if
// never recorded).
void wait_event(Event event);

// CUDA graphs: record the work queued on a stream once, replay it with one launch.
using Graph = void*;  // cudaGraphExec_t
// From now until end_capture(), work queued on `stream` is recorded, not run (host-side calls
// such as cudaMalloc stay allowed: relaxed capture mode).
void begin_capture(Stream stream);
// Ends the recording and instantiates it; destroy_graph() after its last launch.
Graph end_capture(Stream stream);
// Queues the recorded work on `stream`, with the argument values and pointers it was recorded with.
void launch_graph(Graph graph, Stream stream);
void destroy_graph(Graph graph);

// A grow-only device buffer for temporaries or uploaded index data, used on one stream only: ops
// queued on that stream reuse it in stream order, so it is allocated only when it must grow.
struct Scratch {
  void* data = nullptr;
  int64_t bytes = 0;
};
// scratch.data with room for at least `bytes`; growing frees the old buffer stream-ordered on
// `stream` (after the ops queued before that still read it) and allocates a larger one.
void* reserve(Scratch& scratch, int64_t bytes, Stream stream);
// Frees the buffer after all earlier work (see device_free()); scratch is empty afterwards.
void release(Scratch& scratch);

// ---- elementwise and row movement (elementwise.cu) ----

// out[t, :] = table[ids[t], :] for t < count; table [V, width] of `table_type`, out fp32.
void gather_rows(const void* table, ElementType table_type, int64_t width, const int32_t* ids, int64_t count,
                 float* out, Stream stream);
// cache[slots[t], :] = rows[t, :] for t < count; both of `width` columns; the fp32 rows are
// rounded to nearest-even when the cache is bf16.
void scatter_rows(const float* rows, int64_t width, const int32_t* slots, int64_t count, void* cache,
                  ElementType cache_type, Stream stream);
// dst[r · dst_stride + j] = src[r · src_stride + j] for r < rows, j < width (pointers already at
// the first column). The two regions must not overlap.
void copy_columns(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows, int64_t width,
                  Stream stream);
// out = a + b over n elements (out may alias a or b).
void add(const float* a, const float* b, float* out, int64_t n, Stream stream);
// out = silu(gate) ⊙ up over n elements (out may alias gate or up).
void silu_mul(const float* gate, const float* up, float* out, int64_t n, Stream stream);

// ---- normalisation (norm.cu) ----

// Per row of x [rows, width]: out = weight ⊙ (x · rsqrt(mean(x²) + eps)). out may alias x.
void rmsnorm(const float* x, const float* weight, float eps, int64_t rows, int64_t width, float* out, Stream stream);

// ---- rotary embedding (rope.cu) ----

struct RopeShape {
  int64_t tokens = 0;
  int64_t heads = 0;
  int64_t head_dim = 0;
  int64_t rot_offset = 0;        // first rotated column of each head
  int64_t half = 0;              // rotated pairs (inv_freq entries)
  float attention_factor = 1.0f;
  bool interleaved = false;      // pairs (2i, 2i+1) instead of (i, i + half)
};
// Rotates x [tokens, heads, head_dim] in place; token t at positions[t]; inv_freq [half].
void rope(float* x, const int32_t* positions, const float* inv_freq, const RopeShape& shape, Stream stream);

// ---- paged causal attention (attention.cu) ----

struct AttentionShape {
  int64_t heads = 0;
  int64_t kv_heads = 0;       // heads must be a multiple
  int64_t k_dim = 0;
  int64_t v_dim = 0;
  int64_t k_row = 0;          // key cache row width (kv_heads · k_dim)
  int64_t v_row = 0;          // value cache row width
  int64_t v_head_stride = 0;  // columns between kv heads in a value row
  bool v_in_k = false;        // values are the first v_dim columns of each key row (`values` unused)
  int64_t block_size = 0;
  float scale = 1.0f;
  // May run q·k and p·v on bf16 tensor cores (prefill tiles of dense width-128 heads): q and the
  // softmax probabilities are then rounded to bf16, sums stay fp32. Off: fp32 throughout.
  bool tensor_cores = false;
};
// Query rows of one sequence a query tile may hold (≥ 1, ≤ max_rows_per_seq): the caller cuts
// each sequence's new tokens into tiles of this many rows.
int64_t attention_rows_per_tile(const AttentionShape& shape, int64_t max_rows_per_seq);
// Causal attention over paged keys/values. `tiles` is int32 [num_tiles, 4]: first query row
// (token) t0, rows n (1 ≤ n ≤ rows_per_tile), visible positions v0 of row t0, and the offset of
// the tile's sequence's block table in `block_tables`. Row t0 + i sees positions p < v0 + i; the
// key/value rows of position p live at slot table[p / block_size] × block_size + p % block_size.
// For every tiled row t and head h: out[t, h] = softmax_p(q[t, h] · key(p) × scale) · value(p).
// q [q_rows, heads, k_dim], out [q_rows, heads, v_dim]; keys and values of `cache_type`;
// max_visible ≥ every row's visible count. Long contexts with few rows are split over the GPU;
// the partial results use `scratch`.
void attention(const float* q, int64_t q_rows, const void* keys, const void* values, ElementType cache_type,
               const int32_t* tiles, int64_t num_tiles, int64_t rows_per_tile, int64_t max_visible,
               const int32_t* block_tables, const AttentionShape& shape, float* out, Scratch& scratch, Stream stream);

// ---- mixture of experts (moe.cu) ----

// Experts one router row may have (its working arrays live in shared memory).
inline constexpr int64_t kMaxRouterExperts = 512;

struct RouteShape {
  int64_t tokens = 0;
  int64_t experts = 0;
  bool sigmoid = false;       // scores: sigmoid(logit), else softmax over experts
  int64_t top_k = 1;
  int64_t num_groups = 1;
  int64_t top_groups = 1;
  int group_top = 0;          // 0: no group limit; 1: group score = its max; 2: sum of its top 2
  bool normalize = false;
  float scaling_factor = 1.0f;
};
// router logits [tokens, experts] (+ correction_bias [experts] or nullptr, for the choice only)
// → expert_ids int32 and expert_weights fp32, both [tokens, top_k] (see CpuBackend::moe_route).
// experts ≤ kMaxRouterExperts.
void moe_route(const float* logits, const float* correction_bias, const RouteShape& shape, int32_t* expert_ids,
               float* expert_weights, Stream stream);

struct ExpertShape {
  int64_t tokens = 0;
  int64_t top_k = 0;
  int64_t hidden = 0;  // D
  int64_t ffn = 0;     // F
  ElementType weight_type = ElementType::kBF16;
};
// out[t] = Σ_k weights[t, k] · down_e(silu(gate_e · x[t]) ⊙ up_e · x[t]), e = ids[t, k], k in
// order; gate, up [E, F, D], down [E, D, F]; x, out [tokens, D]; overwrites out.
// Its activation temporaries come from `scratch`.
void moe_experts(const float* x, const int32_t* expert_ids, const float* expert_weights, const void* gate,
                 const void* up, const void* down, const ExpertShape& shape, float* out, Scratch& scratch,
                 Stream stream);

// ---- sampling (sampling.cu) ----

// One token to draw from row `logits_row` of a [rows, vocab] logits array.
struct SampleRow {
  int32_t logits_row = 0;
  float temperature = 0.0f;  // ≤ 0: greedy (the first argmax)
  float top_p = 1.0f;        // 1: off
  int32_t top_k = 0;         // 0: off
  float uniform = 0.0f;      // the draw, in [0, 1)
};
// tokens[r] for r < count (see model::Backend::sample_tokens for the rule). `rows` in device memory.
void sample_rows(const float* logits, int64_t vocab, const SampleRow* rows, int64_t count, int32_t* tokens,
                 Stream stream);

// ---- matrix products (gemm.cu, cuBLAS) ----

// A cuBLAS handle bound to `stream`; destroy_blas() after its last use.
BlasHandle create_blas(Stream stream);
void destroy_blas(BlasHandle handle);

struct GemmShape {
  int64_t rows = 0;           // R
  int64_t in = 0;             // I
  int64_t outs = 0;           // O
  int64_t batch = 1;          // independent products (heads)
  int64_t x_row_stride = 0;   // elements between rows of x
  int64_t x_batch_stride = 0;
  int64_t w_batch_stride = 0;
  int64_t out_row_stride = 0;
  int64_t out_batch_stride = 0;
};
// For b < batch: out_b[r, o] = Σ_i x_b[r, i] · w_b[o, i] with x fp32, w [O, I] of `w_type`, out
// fp32, fp32 accumulation. bf16 weights take x as bf16: rounded once (split_x false), or split into
// hi + lo parts (x ≈ hi + lo to ~2^-17 relative) that go through the tensor cores as one product
// of 2·rows rows (the weights are read once), so activations keep ~fp32 precision (split_x true).
// x must be contiguous over [rows, x_row_stride] (strides describe views into it) and out over
// [rows, out_row_stride]. The bf16 copies and partial products live in `scratch`. A product of at
// most a few dense rows with bf16 weights (a small decode batch) takes x in fp32 as it is whatever
// split_x says (gemv.cuh). bias [O] (or null) is added to every row; it needs batch == 1.
void gemm_xwt(BlasHandle handle, const float* x, const void* w, ElementType w_type, bool split_x, const GemmShape& shape,
              const float* bias, float* out, Scratch& scratch, Stream stream);

}  // namespace r1b::kernels
