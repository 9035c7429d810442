#include "model/scheduler.h"

#include <algorithm>
#include <optional>
#include <span>
#include <string>

namespace r1b::model {

void Scheduler::add_group(std::vector<Sequence*> group) {
  R1B_CHECK(!group.empty());
  waiting_.push_back(std::move(group));
}

Result<StepPlan> Scheduler::schedule() {
  StepPlan plan;
  int64_t tokens = 0;
  while (!waiting_.empty()) {
    Sequence* leader = waiting_.front()[0];
    const int64_t prompt = static_cast<int64_t>(leader->tokens.size());
    const int64_t blocks = allocator_.blocks_for(prompt);
    if (blocks > allocator_.num_blocks()) {
      return Status::unavailable("KV cache too small: a " + std::to_string(prompt) + "-token prompt needs " +
                                 std::to_string(blocks) + " blocks of " + std::to_string(allocator_.block_size()) +
                                 " tokens, the cache has " + std::to_string(allocator_.num_blocks()) +
                                 "; raise num_kv_blocks");
    }
    // Leading full blocks already in the cache (never the block of the last token).
    std::vector<int32_t> hits;
    int64_t hits_free = 0;
    uint64_t hash = 0;
    const int64_t block_size = allocator_.block_size();
    for (int64_t b = 0; (b + 1) * block_size < prompt; ++b) {
      const std::span<const int32_t> block_tokens(leader->tokens.data() + b * block_size, block_size);
      hash = BlockAllocator::prefix_hash(hash, block_tokens);
      const std::optional<int32_t> cached = allocator_.find_cached(hash, block_tokens);
      if (!cached) break;
      hits.push_back(*cached);
      if (allocator_.ref_count(*cached) == 0) ++hits_free;
    }
    const auto num_hits = static_cast<int64_t>(hits.size());
    const int64_t num_new = prompt - num_hits * block_size;
    const bool fits_budget = plan.seqs.empty() || tokens + num_new <= options_.max_batch_tokens;
    if (!fits_budget || !allocator_.can_allocate(blocks - num_hits + hits_free)) break;
    for (int32_t block : hits) {
      allocator_.add_ref(block);
      leader->block_table.push_back(block);
    }
    for (int64_t b = num_hits; b < blocks; ++b) leader->block_table.push_back(allocator_.allocate());
    leader->num_cached = num_hits * block_size;
    std::vector<Sequence*> group = std::move(waiting_.front());
    waiting_.pop_front();
    plan.seqs.push_back(ScheduledSeq{leader, num_new, group});
    prefilling_.push_back(std::move(group));
    tokens += num_new;
  }
  if (!plan.seqs.empty()) {
    plan.is_prefill = true;
    return plan;
  }
  if (running_.empty()) {
    if (waiting_.empty()) return plan;
    return Status::unavailable("KV cache too small: no free block for the next prompt and nothing running "
                               "to free one; raise num_kv_blocks");
  }
  return schedule_decode();
}

Result<StepPlan> Scheduler::schedule_decode() {
  StepPlan plan;
  const int64_t block_size = allocator_.block_size();
  const auto count = std::min<int64_t>(static_cast<int64_t>(running_.size()), options_.max_num_seqs);
  for (int64_t i = 0; i < count; ++i) {
    Sequence* seq = running_[i];
    const int64_t offset = seq->num_cached % block_size;
    const bool needs_block = offset == 0 || allocator_.ref_count(seq->block_table.back()) > 1;
    if (needs_block) {
      if (!allocator_.can_allocate(1)) {
        if (!plan.seqs.empty()) break;  // run what fits; the rest waits for blocks to free up
        return Status::unavailable("KV cache too small: running sequences need a new block and all " +
                                   std::to_string(allocator_.num_blocks()) + " are in use; raise num_kv_blocks");
      }
      const int32_t block = allocator_.allocate();
      if (offset == 0) {
        seq->block_table.push_back(block);
      } else {
        // Copy-on-write of the shared, partly filled last block.
        plan.copies.push_back(BlockCopy{seq->block_table.back(), block, offset});
        allocator_.release(seq->block_table.back());
        seq->block_table.back() = block;
      }
    }
    plan.seqs.push_back(ScheduledSeq{seq, 1, {seq}});
  }
  return plan;
}

void Scheduler::complete(const StepPlan& plan) {
  for (const ScheduledSeq& entry : plan.seqs) entry.seq->num_cached += entry.num_new_tokens;
  if (!plan.is_prefill) return;
  const int64_t block_size = allocator_.block_size();
  for (std::vector<Sequence*>& group : prefilling_) {
    Sequence* leader = group[0];
    uint64_t hash = 0;
    for (int64_t b = 0; (b + 1) * block_size <= leader->num_prompt_tokens; ++b) {
      const std::span<const int32_t> block_tokens(leader->tokens.data() + b * block_size, block_size);
      hash = BlockAllocator::prefix_hash(hash, block_tokens);
      allocator_.register_prefix(leader->block_table[b], hash, block_tokens);
    }
    for (size_t i = 1; i < group.size(); ++i) {
      group[i]->block_table = leader->block_table;
      for (int32_t block : leader->block_table) allocator_.add_ref(block);
      group[i]->num_cached = leader->num_cached;
    }
    running_.insert(running_.end(), group.begin(), group.end());
  }
  prefilling_.clear();
}

void Scheduler::finish(Sequence* seq) {
  for (int32_t block : seq->block_table) allocator_.release(block);
  seq->block_table.clear();
  running_.erase(std::remove(running_.begin(), running_.end(), seq), running_.end());
}

}  // namespace r1b::model
