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
#include <vector>

namespace r1b::kernels {

using Stream = void*;      // cudaStream_t
using BlasHandle = void*;  // cublasHandle_t

// Element type of a stored operand: weights, the KV cache, and the activations that only feed a
// product (a norm's output; other activations are fp32).
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
// out[r, f] = silu(gate_up[r, f]) · gate_up[r, ffn + f]; gate_up [rows, 2·ffn], out [rows, ffn]
// (not aliasing gate_up).
void swiglu(const float* gate_up, float* out, int64_t rows, int64_t ffn, Stream stream);

// ---- normalisation (norm.cu) ----

// Per row of x [rows, width]: out = weight ⊙ (x · rsqrt(mean(x²) + eps)), stored as out_type (bf16:
// rounded to nearest even). An fp32 out may alias x.
void rmsnorm(const float* x, const float* weight, float eps, int64_t rows, int64_t width, void* out,
             ElementType out_type, Stream stream);
// x += delta (written back), then out = rmsnorm(x) as above. out must not alias x or delta.
void add_rmsnorm(float* x, const float* delta, const float* weight, float eps, int64_t rows, int64_t width, void* out,
                 ElementType out_type, Stream stream);

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
// rope() out of place: the rotated pairs of each head of x (read only) go to the same columns of
// the heads of out [tokens, heads, out_head_dim], counted from out_offset instead of
// shape.rot_offset. Other columns of out are not written.
void rope_into(const float* x, const int32_t* positions, const float* inv_freq, const RopeShape& shape, float* out,
               int64_t out_head_dim, int64_t out_offset, Stream stream);
// MLA's inputs from the fused [query ; kv_a] product, as model/backend.h's split_mla_projection:
// proj [tokens, q_width + shape.head_dim] (shape.heads 1, shape.rot_offset = lora). Row t's last
// shape.head_dim columns — the RMSNorm of their first lora (as rmsnorm() with kv_norm [lora]),
// then their last 2·shape.half rotated as rope() rotates them — are stored to the cache row
// slots[t] (of `cache_type`, rounded to nearest-even when bf16); its first q_width columns to
// q [tokens, q_width], rms-normed by q_norm [q_width] when it is not null. proj is not written.
void split_mla_projection(const float* proj, int64_t q_width, const float* q_norm, const float* kv_norm, float eps,
                          const int32_t* positions, const float* inv_freq, const RopeShape& shape,
                          const int32_t* slots, void* cache, ElementType cache_type, float* q, Stream stream);
// The latent rows as split_mla_projection() stores them, and beside them the query's rotation
// of the absorbed form without q_lora: proj [tokens, q_shape.heads · q_shape.head_dim +
// shape.head_dim], its first columns the query heads; their rope pairs (from column
// q_shape.rot_offset of each head, q_shape.half of them, rotated as rope() rotates) go to the
// heads of q_latent [tokens, q_shape.heads, out_head_dim] from column out_offset, as rope_into()
// writes them; other columns of q_latent are not written, except, given absorb.w_uk, the product
// below. proj is not written.
struct QueryAbsorption {
  const void* w_uk = nullptr;  // bf16 [q_shape.heads, lora, nope] with nope = q_shape.rot_offset; or null
  int64_t lora = 0;
};
// With absorb.w_uk the same pass also writes columns [0, lora) of q_latent's heads: q_latent[t, h,
// c] = Σ_{i < nope} proj[t, h · q_shape.head_dim + i] · w_uk[h, c, i], summed in the order of the
// small-batch product (gemv.cuh) when it gives each row one warp, as it does for heads · lora ≥
// 4096 rows (V2-Lite's and V3's): there the values equal gemm_xwt()'s. Only where
// query_absorption_fits(): bf16 w_uk, 1 to kGemvMaxRows tokens, nope a multiple of 8 up to 256,
// lora a multiple of 32, proj's rows (proj_row floats) and heads and w_uk 16-byte aligned.
bool query_absorption_fits(const float* proj, int64_t proj_row, const RopeShape& q_shape,
                           const QueryAbsorption& absorb, ElementType w_type);
void rope_query_write_latent(const float* proj, const RopeShape& q_shape, const float* kv_norm, float eps,
                             const int32_t* positions, const float* inv_freq, const RopeShape& shape,
                             const int32_t* slots, void* cache, ElementType cache_type, float* q_latent,
                             int64_t out_head_dim, int64_t out_offset, const QueryAbsorption& absorb, Stream stream);
// The fused q|k|v rows qkv [tokens, (heads + 2·kv_heads)·head_dim] plus bias [(heads + 2·kv_heads)·
// head_dim] (or null) added to every row first: q heads rotated into q_out
// [tokens, heads, head_dim], k heads rotated and v heads copied into the caches' rows slots[t]
// (kv_heads·head_dim wide, of `cache_type`, rounded to nearest-even when bf16). shape.heads is the
// q head count, shape.rot_offset must be 0, head_dim even and 2·shape.half ≤ head_dim.
void rope_write_qkv(const float* qkv, const float* bias, const int32_t* positions, const float* inv_freq,
                    const RopeShape& shape, int64_t kv_heads, const int32_t* slots, float* q_out, void* k_cache,
                    void* v_cache, ElementType cache_type, Stream stream);

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
  // May run q·k and p·v on bf16 tensor cores (prefill tiles of dense width-128 heads; MLA's latent
  // shape over a bf16 cache, prefill and decode): q and the softmax probabilities are then rounded
  // to bf16, sums stay fp32. Off: fp32 throughout.
  bool tensor_cores = false;
};
// Query rows of one sequence a query tile may hold (≥ 1, ≤ max_rows_per_seq) for attention() over a
// cache of `cache_type`: the caller cuts each sequence's new tokens into tiles of this many rows.
int64_t attention_rows_per_tile(const AttentionShape& shape, ElementType cache_type, int64_t max_rows_per_seq);
// Causal attention over paged keys/values. `tiles` is int32 [num_tiles, 4]: first query row
// (token) t0, rows n (1 ≤ n ≤ rows_per_tile), visible positions v0 of row t0, and the offset of
// the tile's sequence's block table in `block_tables`. Row t0 + i sees positions p < v0 + i; the
// key/value rows of position p live at slot table[p / block_size] × block_size + p % block_size.
// For every tiled row t and head h: out[t, h] = softmax_p(q[t, h] · key(p) × scale) · value(p).
// q [q_rows, heads, k_dim], out [q_rows, heads, v_dim]; keys and values of `cache_type`;
// max_visible ≥ every row's visible count. Long contexts with few rows are split over the GPU;
// the partial results use `scratch`.
//
// With `projection` (w not null; only where attention_projects()), each head's output row goes
// through that head's matrix before it is written: out[t, h, o] = Σ_c w[h, o, c] · a[t, h, c] for
// the attention output a above, w bf16 [heads, outs, v_dim]; out is then [q_rows, heads, outs].
struct HeadProjection {
  const void* w = nullptr;
  int64_t outs = 0;
};
void attention(const float* q, int64_t q_rows, const void* keys, const void* values, ElementType cache_type,
               const int32_t* tiles, int64_t num_tiles, int64_t rows_per_tile, int64_t max_visible,
               const int32_t* block_tables, const AttentionShape& shape, float* out, Scratch& scratch, Stream stream,
               const HeadProjection& projection = {});
// Whether attention() takes a HeadProjection of `outs` rows for q_rows query rows: MLA's latent
// shape over a bf16 cache (the kernel of attention_mla.cu applies it where it merges the splits),
// at most kGemvMaxRows rows (a decode step's few tokens: the products run on the CUDA cores, each
// row's weights read by its own blocks) and outs a multiple of 16.
bool attention_projects(const AttentionShape& shape, ElementType cache_type, int64_t q_rows, int64_t outs);

// ---- decode attention on the tensor cores, shared prefixes once per group (attention_decode.cu) ----
//
// A decode step (one query row per sequence) of dense width-128 heads over a bf16 cache, planned on
// the host by plan_decode_attention() and run by decode_attention(). Rows whose block tables start
// with the same whole blocks (the samples of one prompt) form a group: the group's rows × the GQA
// group's heads attend the shared prefix together (one query tile, so each prefix K/V byte is read
// once per tile), then every row attends its own suffix; the partial softmaxes are merged per row
// by the row's last suffix work item.
// The plan's array sizes and the kernels' launch shapes depend only on (rows, q_rows, shape), never
// on the contexts or the groups, so a recorded decode step replays with new plan data.

// Most query rows one prefix work item holds.
inline constexpr int64_t kMaxDecodeTileTokens = 16;

// Whether decode_attention() takes this shape and cache: tensor cores allowed, k_dim = v_dim = 128,
// separate values, ≤ 16 query heads per KV head, bf16 cache, cache rows and value heads of whole
// 64-column panels, pages (block_size) of a multiple of 8 positions.
bool decode_attention_fits(const AttentionShape& shape, ElementType cache_type);

// One decode row: its query row, its context (positions p < context_len are visible) and its
// block table (host memory, `table_blocks` ids, borrowed for the call), which the device copy of
// the tables holds at `table_offset`.
struct DecodeRow {
  int64_t q_row = 0;
  int64_t context_len = 0;
  const int32_t* block_table_host = nullptr;
  int64_t table_blocks = 0;
  int64_t table_offset = 0;
};

// Host arrays of one decode step's plan (int32), to copy to the device as they are.
struct DecodePlan {
  // [capacity, 6]: q row, first key, end key, entry, table offset, arrivals (0: the only entry;
  // -1: a merge kernel merges the row)
  std::vector<int32_t> suffix_items;
  std::vector<int32_t> prefix_items;   // [capacity, 4]: tile, chunk, first key, end key
  std::vector<int32_t> prefix_tiles;   // [capacity, 2 + kMaxDecodeTileTokens]: rows, table offset, q rows
  // [q_rows + 1]: the partial results of q row r; then [q_rows, kv_heads] zeros: arrival counters
  // that decode_attention() counts in and leaves zero again
  std::vector<int32_t> entry_offsets;
  int64_t entry_capacity = 0;  // partial results the scratch holds
  int64_t q_rows = 0;
  // A step of few rows merges in a kernel of its own, one block per (row, head), rather than in each
  // row's last suffix item (one block reading all of a long row's entries). Depends on num_rows only.
  bool separate_merge = false;
};
// Plans rows[0, num_rows) (each q_row < q_rows, each context ≥ 1): groups rows by their first
// block, takes the group's longest common run of whole blocks short of each member's last position
// (every row keeps a suffix) as its shared prefix when it is ≥ 256 positions, and cuts prefixes and
// suffixes into work items of balanced length that fill the GPU. Array sizes depend only on
// (num_rows, q_rows, shape).
DecodePlan plan_decode_attention(const DecodeRow* rows, int64_t num_rows, int64_t q_rows, const AttentionShape& shape);

// Device copies of a DecodePlan's four arrays; entry_offsets' copy must be writable (its counters).
struct DecodePlanOnDevice {
  const int32_t* suffix_items = nullptr;
  const int32_t* prefix_items = nullptr;
  const int32_t* prefix_tiles = nullptr;
  const int32_t* entry_offsets = nullptr;
};
// out[r, h] = softmax_p(q[r, h] · key(p) × scale) · value(p) over each planned row's positions,
// keys and values bf16 (decode_attention_fits()), q / out [q_rows, heads, 128]; rows without
// work are left unwritten. `plan` gives the launch shapes, `on_device` its arrays; the partial
// results use `scratch`. q and the probabilities are rounded to bf16, every sum is fp32.
void decode_attention(const float* q, const void* keys, const void* values, const DecodePlan& plan,
                      const DecodePlanOnDevice& on_device, const int32_t* block_tables, const AttentionShape& shape,
                      float* out, Scratch& scratch, Stream stream);

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
  int64_t experts = 0;       // E held here (≤ kMaxRouterExperts)
  int64_t first_expert = 0;  // ids are global: expert e's weights are row e − first_expert
  int64_t hidden = 0;   // D
  int64_t ffn = 0;      // F
  ElementType weight_type = ElementType::kBF16;
  // Round x, and the SwiGLU activation between the two products, to bf16 (as bf16 GEMM
  // activations, gemm_xwt's split_x false) so the experts run as grouped GEMMs on tensor cores.
  // Taken only for bf16 weights with D and F multiples of 8, and more than kGemvMaxRows tokens;
  // otherwise (and when false) fp32 activations and fp32 dot products: up to kGemvMaxRows tokens
  // (bf16 weights, D and F multiples of 8) as small-batch products, else the exact path.
  bool bf16_activations = false;
  // Width Fs of the shared experts moe_experts() adds (0: none); only where moe_experts_add_shared().
  int64_t shared_ffn = 0;
};
// The experts' matrices: routed gate, up [E, F, D] and down [E, D, F]; with shape.shared_ffn the
// shared experts as one SwiGLU MLP, shared_gate_up [2·Fs, D] (gate rows, then up rows) and
// shared_down [D, Fs], bf16.
struct ExpertMatrices {
  const void* gate = nullptr;
  const void* up = nullptr;
  const void* down = nullptr;
  const void* shared_gate_up = nullptr;
  const void* shared_down = nullptr;
};
// Whether moe_experts() can add shared experts of width `shared_ffn` to `shape`'s routed ones in
// the same passes: the few-token path (bf16 weights, at most kGemvMaxRows tokens) with Fs a
// multiple of F, each F-wide part of the shared MLP run as one more pair of its token.
bool moe_experts_add_shared(const ExpertShape& shape, int64_t shared_ffn);
// out[t] = Σ_k weights[t, k] · down_e(silu(gate_e · x[t]) ⊙ up_e · x[t]), e = ids[t, k], k in
// order, over the k with first_expert ≤ e < first_expert + experts (the others add nothing), plus
// with shape.shared_ffn shared_down · (silu(gate_s · x[t]) ⊙ up_s · x[t]); x, out [tokens, D];
// overwrites out. Launch shapes depend on the sizes only, never on which experts are chosen (the
// per-expert grouping happens on the device), so a recorded CUDA graph stays valid for any routing.
// Results do not depend on the routing of other tokens. Temporaries come from `scratch`.
void moe_experts(const float* x, const int32_t* expert_ids, const float* expert_weights,
                 const ExpertMatrices& matrices, const ExpertShape& shape, float* out, Scratch& scratch,
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
// tokens[r] for r < count (see model::Backend::sample_tokens for the rule; weights below 2^-40 of
// the top token's count as zero). `rows` in device memory; vocab < 2^24.
void sample_rows(const float* logits, int64_t vocab, const SampleRow* rows, int64_t count, int32_t* tokens,
                 Stream stream);

// ---- collectives (collective.cu, NCCL) ----

// Makes `device` the calling thread's current CUDA device (later calls of the thread run there).
void set_device(int device);
using Comm = void*;  // ncclComm_t
// One NCCL communicator per device 0 .. devices−1 of this process (ncclCommInitAll): comms[r] is
// rank r of a group of `devices`, for use on device r. destroy_comm() each after its last use.
std::vector<Comm> create_comms(int devices);
void destroy_comm(Comm comm);
int comm_rank(Comm comm);
int comm_world(Comm comm);
// x[i] ← Σ over the group's ranks of their x[i], i < n, in place, queued on `stream` (which must be
// on the communicator's device). Every rank must queue it, in the same order relative to its other
// collectives. May be captured in a CUDA graph (NCCL supports stream capture).
void all_reduce_sum(float* x, int64_t n, Comm comm, Stream stream);

// ---- matrix products (gemm.cu, cuBLAS) ----

// A cuBLAS handle bound to `stream`; destroy_blas() after its last use.
BlasHandle create_blas(Stream stream);
void destroy_blas(BlasHandle handle);

// Most rows a product with bf16 weights runs through the small-batch kernel, which reads fp32 x
// as it is (gemm_xwt, swiglu_mlp).
inline constexpr int64_t kGemvMaxRows = 4;

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
// For b < batch: out_b[r, o] = Σ_i x_b[r, i] · w_b[o, i] with x of `x_type`, w [O, I] of `w_type`,
// out fp32, fp32 accumulation. A bf16 x (already rounded, e.g. by a norm) needs bf16 weights and
// goes to the tensor cores as it is. bf16 weights take an fp32 x as bf16: rounded once (split_x false), or split into
// hi + lo parts (x ≈ hi + lo to ~2^-17 relative) that go through the tensor cores as one product
// of 2·rows rows (the weights are read once), so activations keep ~fp32 precision (split_x true).
// x must be contiguous over [rows, x_row_stride] (strides describe views into it) and out over
// [rows, out_row_stride]. The bf16 copies and partial products live in `scratch`. Products of at
// most kGemvMaxRows rows each with bf16 weights (a small decode batch; also batched, e.g. MLA's
// per-head products at B=1) take x in fp32 as it is whatever split_x says, where x's rows and
// batch entries start 16-byte aligned (gemv.cuh). bias [O] (or null) is added to every row; it
// needs batch == 1.
void gemm_xwt(BlasHandle handle, const void* x, ElementType x_type, const void* w, ElementType w_type, bool split_x,
              const GemmShape& shape, const float* bias, float* out, Scratch& scratch, Stream stream);
// A SwiGLU MLP with bf16 weights: out = act · downᵀ (+ down_bias), act = silu(g) ⊙ u, [g | u] =
// x · gate_upᵀ (+ gate_up_bias); gate_up [2F, I], down [O, F], x [R, I] of x_type, out [R, O].
// Where it fits (swiglu_mlp_fits: bf16 weights, I and F multiples of 8, and either ≤ 4 rows or
// activations rounded to bf16 rather than split) it runs as
//   ≤ 4 rows, fp32 x: the small-batch product with the SwiGLU in its epilogue, then the
//             small-batch down product (fp32 x and act as they are);
//   otherwise: x rounded to bf16 (unless it is bf16), [g | u] = one cuBLAS product written as
//             bf16, act = swiglu of it written as bf16 (gate_up_bias added first), then the down
//             product into fp32 out: g, u and act are each rounded to bf16 once, as a bf16 model
//             computes them.
// Elsewhere callers use gemm_xwt() and swiglu().
struct MlpShape {
  int64_t rows = 0;  // R
  int64_t in = 0;    // I
  int64_t ffn = 0;   // F
  int64_t outs = 0;  // O
};
bool swiglu_mlp_fits(const MlpShape& shape, ElementType w_type, bool split_x);
void swiglu_mlp(BlasHandle handle, const void* x, ElementType x_type, const void* gate_up, const float* gate_up_bias,
                const void* down, const float* down_bias, const MlpShape& shape, float* out, Scratch& scratch,
                Stream stream);
// rounded[i] = bf16(x[i]) (round to nearest even) for i < n; `rounded` holds n bf16 values.
void round_to_bf16(const float* x, void* rounded, int64_t n, Stream stream);

}  // namespace r1b::kernels
