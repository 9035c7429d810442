// Scheduler: picks which sequences run in the next step (STYLE rule 5). It plans and keeps block
// bookkeeping through the BlockAllocator; it never touches device memory — KV block copies it
// needs are listed in the plan for the ModelRunner to perform.
//
// Policy: a step is either a prefill or a decode. Waiting prompt groups are admitted first, in
// arrival order, while the step holds at most max_batch_tokens prompt tokens (always at least one
// group) and their blocks can be allocated; otherwise every running sequence decodes one token
// (at most max_num_seqs). A group is the samples of one prompt: its first sequence prefills once
// and the step's logits are sampled for every member; afterwards the members share the prompt's
// blocks by reference count, and a member about to write into a shared, partly filled block gets a
// private copy first (copy-on-write). Full prompt blocks are registered as prefix blocks once
// computed; a later prompt starting with the same blocks reuses them and prefills only the rest
// (at least its last token, whose logits are needed).
//
// Errors: schedule() fails (Unavailable, saying how many blocks were needed and how many exist)
// when a prompt can never fit or running sequences need a block none can free; there is no
// preemption. Not thread-safe; borrows the allocator and the sequences.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "base/status.h"
#include "model/block_allocator.h"
#include "model/sequence.h"

namespace r1b::model {

struct SchedulerOptions {
  int64_t max_batch_tokens = 4096;  // prompt tokens per prefill step
  int64_t max_num_seqs = 256;       // sequences per decode step
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
  std::vector<Sequence*> samplers;   // sequences that take a token from this row's logits
};

struct StepPlan {
  bool is_prefill = false;
  std::vector<ScheduledSeq> seqs;
  std::vector<BlockCopy> copies;     // performed before the forward pass
  bool empty() const { return seqs.empty(); }
};

class Scheduler {
 public:
  Scheduler(BlockAllocator& allocator, SchedulerOptions options) : allocator_(allocator), options_(options) {}

  // Queues the samples of one prompt (same tokens); group[0] runs the shared prefill.
  void add_group(std::vector<Sequence*> group);
  bool has_work() const { return !waiting_.empty() || !running_.empty(); }
  // The next step (empty when there is no work).
  Result<StepPlan> schedule();
  // Records that `plan` ran: advances num_cached and, after a prefill, shares the prompt's blocks
  // with the other members of each group and moves them all to running.
  void complete(const StepPlan& plan);
  // Drops a finished sequence: releases its blocks and removes it from running.
  void finish(Sequence* seq);

 private:
  Result<StepPlan> schedule_decode();

  BlockAllocator& allocator_;
  SchedulerOptions options_;
  std::deque<std::vector<Sequence*>> waiting_;
  std::vector<std::vector<Sequence*>> prefilling_;  // groups in the current prefill plan
  std::vector<Sequence*> running_;
};

}  // namespace r1b::model
