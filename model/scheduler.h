// Scheduler: picks which sequences run in the next step (STYLE rule 5). It plans and keeps block
// bookkeeping through the BlockAllocator; it never touches device memory — KV block copies it
// needs are listed in the plan for the ModelRunner to perform.
//
// Policy (continuous batching): a step holds at most max_batch_tokens tokens and max_num_seqs
// rows. First every running sequence decodes one token, in admission order. Then the remaining
// token budget goes to prefill chunks: groups whose prefill is under way continue, then waiting
// groups are admitted in queue order while the leader's blocks can be allocated. A prefill longer
// than the budget left runs in chunks over several steps; its logits are sampled only after its
// last chunk. A group is the samples of one prompt: its first sequence prefills once and the last
// chunk's logits are sampled for every member; afterwards the members share the prompt's blocks
// by reference count, and a member about to write into a shared, partly filled block gets a
// private copy first (copy-on-write). A group's blocks are all allocated when it is admitted.
// Full blocks are registered as prefix blocks once computed; a later prompt starting with the
// same blocks reuses them and prefills only the rest (at least its last token, whose logits are
// needed).
//
// Preemption (recompute, as vLLM): when a running sequence needs a block for its decode and none
// is free, the most recently admitted running sequences are preempted, last first (possibly the
// sequence itself): their full blocks are registered as prefix blocks, all their blocks released
// (last block first, so the prefix is evicted last) and they go back to the front of the waiting
// queue, each as a one-sequence group. Its later prefill recomputes prompt + generated tokens
// (mostly prefix-cache hits) and samples its next token from the last row; the Sequence keeps its
// tokens, generator and limits, so its output is what a run without preemption gives. A step that
// preempted admits no new group unless it has nothing else to run.
//
// Errors: schedule() fails (Unavailable, saying how many blocks were needed and how many exist)
// only when nothing can run: a waiting sequence needs more blocks than the whole cache (the Engine
// rejects such requests before scheduling). Not thread-safe; borrows the allocator and the
// sequences, which must outlive the scheduler.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "base/status.h"
#include "model/block_allocator.h"
#include "model/sequence.h"

namespace r1b::model {

struct SchedulerOptions {
  int64_t max_batch_tokens = 4096;  // tokens per step: decode tokens plus prefill chunks (>= 1)
  int64_t max_num_seqs = 256;       // rows per step (>= 1)
};

// Copy the first `num_tokens` slots of block src to block dst (in every layer's cache).
struct BlockCopy {
  int32_t src_block = 0;
  int32_t dst_block = 0;
  int64_t num_tokens = 0;
};

struct ScheduledSeq {
  Sequence* seq = nullptr;
  int64_t num_new_tokens = 0;        // tokens [num_cached, num_cached + num_new_tokens) run now
  bool is_prefill = false;           // a prefill chunk (prompt or recompute), not a decode token
  std::vector<Sequence*> samplers;   // sequences that take a token from this row's logits
                                     // (none for a prefill chunk that is not the last)
};

struct StepPlan {
  std::vector<ScheduledSeq> seqs;    // decode rows first, then prefill chunks
  std::vector<BlockCopy> copies;     // performed before the forward pass
  bool empty() const { return seqs.empty(); }
  int64_t num_prefill_tokens() const;
  int64_t num_decode_tokens() const;
};

class Scheduler {
 public:
  // Checks (R1B_CHECK) that both options are at least 1.
  Scheduler(BlockAllocator& allocator, SchedulerOptions options);

  // Queues the samples of one prompt (same tokens); group[0] runs the shared prefill.
  void add_group(std::vector<Sequence*> group);
  bool has_work() const { return !waiting_.empty() || !prefilling_.empty() || !running_.empty(); }
  // The next step (empty when there is no work); may preempt running sequences (see above).
  Result<StepPlan> schedule();
  // Records that `plan` ran: advances num_cached and, for each group whose prefill is complete,
  // registers its full blocks, shares them with the other members and moves them all to running.
  void complete(const StepPlan& plan);
  // Drops a finished sequence: releases its blocks and removes it from running.
  void finish(Sequence* seq);
  // Sequences preempted so far.
  int64_t num_preemptions() const { return num_preemptions_; }

 private:
  // Makes the slot of `seq`'s next decode token writable (a new block, or a private copy of a
  // shared last block recorded in plan.copies), preempting from the back of running_ while no
  // block is free. False when `seq` itself was preempted.
  bool reserve_decode_slot(Sequence& seq, StepPlan& plan);
  void preempt(Sequence* seq);
  // Acquires the blocks of the front waiting group's leader (prefix hits reused) and moves the
  // group to prefilling_; false (nothing changed) when they cannot be allocated now.
  bool admit_front();
  // Appends the next chunk of `group`'s prefill, at most `budget` tokens, to `plan`.
  static void add_chunk(StepPlan& plan, const std::vector<Sequence*>& group, int64_t& budget);
  // Registers the full blocks among the first `num_tokens` tokens of `seq` as prefix blocks.
  void register_full_blocks(const Sequence& seq, int64_t num_tokens);
  void release_blocks(Sequence& seq);

  BlockAllocator& allocator_;
  SchedulerOptions options_;
  std::deque<std::vector<Sequence*>> waiting_;
  std::vector<std::vector<Sequence*>> prefilling_;  // admitted groups, leader's prefill unfinished
  std::vector<Sequence*> running_;                  // decoding, in admission order
  int64_t num_preemptions_ = 0;
};

}  // namespace r1b::model
