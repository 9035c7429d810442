#include "model/scheduler.h"

#include <algorithm>
#include <optional>
#include <span>
#include <string>

namespace r1b::model {

int64_t StepPlan::num_prefill_tokens() const {
  int64_t total = 0;
  for (const ScheduledSeq& entry : seqs) total += entry.is_prefill ? entry.num_new_tokens : 0;
  return total;
}

int64_t StepPlan::num_decode_tokens() const {
  int64_t total = 0;
  for (const ScheduledSeq& entry : seqs) total += entry.is_prefill ? 0 : entry.num_new_tokens;
  return total;
}

Scheduler::Scheduler(BlockAllocator& allocator, SchedulerOptions options) : allocator_(allocator), options_(options) {
  R1B_CHECK(options_.max_batch_tokens >= 1 && options_.max_num_seqs >= 1);
}

void Scheduler::add_group(std::vector<Sequence*> group) {
  R1B_CHECK(!group.empty());
  waiting_.push_back(std::move(group));
}

Result<StepPlan> Scheduler::schedule() {
  StepPlan plan;
  int64_t budget = options_.max_batch_tokens;
  const int64_t preemptions_before = num_preemptions_;
  const auto rows_left = [&] { return static_cast<int64_t>(plan.seqs.size()) < options_.max_num_seqs; };

  for (size_t i = 0; i < running_.size() && budget > 0 && rows_left(); ++i) {
    Sequence* seq = running_[i];
    if (!reserve_decode_slot(*seq, plan)) break;  // it was the last running sequence
    plan.seqs.push_back(ScheduledSeq{seq, 1, false, {seq}});
    --budget;
  }
  for (const std::vector<Sequence*>& group : prefilling_) {
    if (budget == 0 || !rows_left()) break;
    add_chunk(plan, group, budget);
  }
  const bool admit = num_preemptions_ == preemptions_before || plan.empty();
  while (admit && budget > 0 && rows_left() && !waiting_.empty() && admit_front()) {
    add_chunk(plan, prefilling_.back(), budget);
  }

  if (plan.empty() && has_work()) {
    const Sequence& leader = *waiting_.front()[0];
    return Status::unavailable("KV cache too small: a " + std::to_string(leader.tokens.size()) + "-token sequence needs " +
                               std::to_string(allocator_.blocks_for(static_cast<int64_t>(leader.tokens.size()))) +
                               " blocks of " + std::to_string(allocator_.block_size()) + " tokens, the cache has " +
                               std::to_string(allocator_.num_blocks()) + "; raise num_kv_blocks");
  }
  return plan;
}

bool Scheduler::reserve_decode_slot(Sequence& seq, StepPlan& plan) {
  const int64_t offset = seq.num_cached % allocator_.block_size();
  const auto needs_block = [&] { return offset == 0 || allocator_.ref_count(seq.block_table.back()) > 1; };
  while (needs_block() && !allocator_.can_allocate(1)) {
    Sequence* victim = running_.back();
    preempt(victim);
    if (victim == &seq) return false;
  }
  if (!needs_block()) return true;
  const int32_t block = allocator_.allocate();
  if (offset == 0) {
    seq.block_table.push_back(block);
  } else {
    // Copy-on-write of the shared, partly filled last block.
    plan.copies.push_back(BlockCopy{seq.block_table.back(), block, offset});
    allocator_.release(seq.block_table.back());
    seq.block_table.back() = block;
  }
  return true;
}

void Scheduler::preempt(Sequence* seq) {
  register_full_blocks(*seq, seq->num_cached);
  release_blocks(*seq);
  seq->num_cached = 0;
  running_.erase(std::find(running_.begin(), running_.end(), seq));
  waiting_.push_front({seq});
  ++num_preemptions_;
}

bool Scheduler::admit_front() {
  Sequence* leader = waiting_.front()[0];
  const auto length = static_cast<int64_t>(leader->tokens.size());
  const int64_t blocks = allocator_.blocks_for(length);
  // Leading full blocks already in the cache (never the block of the last token).
  std::vector<int32_t> hits;
  int64_t hits_free = 0;
  uint64_t hash = 0;
  const int64_t block_size = allocator_.block_size();
  for (int64_t b = 0; (b + 1) * block_size < length; ++b) {
    const std::span<const int32_t> block_tokens(leader->tokens.data() + b * block_size, block_size);
    hash = BlockAllocator::prefix_hash(hash, block_tokens);
    const std::optional<int32_t> cached = allocator_.find_cached(hash, block_tokens);
    if (!cached) break;
    hits.push_back(*cached);
    if (allocator_.ref_count(*cached) == 0) ++hits_free;
  }
  const auto num_hits = static_cast<int64_t>(hits.size());
  if (!allocator_.can_allocate(blocks - num_hits + hits_free)) return false;
  for (int32_t block : hits) {
    allocator_.add_ref(block);
    leader->block_table.push_back(block);
  }
  for (int64_t b = num_hits; b < blocks; ++b) leader->block_table.push_back(allocator_.allocate());
  leader->num_cached = num_hits * block_size;
  prefilling_.push_back(std::move(waiting_.front()));
  waiting_.pop_front();
  return true;
}

void Scheduler::add_chunk(StepPlan& plan, const std::vector<Sequence*>& group, int64_t& budget) {
  Sequence* leader = group[0];
  const int64_t remaining = static_cast<int64_t>(leader->tokens.size()) - leader->num_cached;
  const int64_t num_new = std::min(remaining, budget);
  plan.seqs.push_back(ScheduledSeq{leader, num_new, true, num_new == remaining ? group : std::vector<Sequence*>{}});
  budget -= num_new;
}

void Scheduler::complete(const StepPlan& plan) {
  for (const ScheduledSeq& entry : plan.seqs) entry.seq->num_cached += entry.num_new_tokens;
  const auto prefilled = [](const std::vector<Sequence*>& group) {
    return group[0]->num_cached == static_cast<int64_t>(group[0]->tokens.size());
  };
  for (std::vector<Sequence*>& group : prefilling_) {
    if (!prefilled(group)) continue;
    Sequence* leader = group[0];
    register_full_blocks(*leader, leader->num_cached);
    for (size_t i = 1; i < group.size(); ++i) {
      group[i]->block_table = leader->block_table;
      for (int32_t block : leader->block_table) allocator_.add_ref(block);
      group[i]->num_cached = leader->num_cached;
    }
    running_.insert(running_.end(), group.begin(), group.end());
  }
  std::erase_if(prefilling_, prefilled);
}

void Scheduler::finish(Sequence* seq) {
  release_blocks(*seq);
  running_.erase(std::remove(running_.begin(), running_.end(), seq), running_.end());
}

void Scheduler::register_full_blocks(const Sequence& seq, int64_t num_tokens) {
  const int64_t block_size = allocator_.block_size();
  uint64_t hash = 0;
  for (int64_t b = 0; (b + 1) * block_size <= num_tokens; ++b) {
    const std::span<const int32_t> block_tokens(seq.tokens.data() + b * block_size, block_size);
    hash = BlockAllocator::prefix_hash(hash, block_tokens);
    allocator_.register_prefix(seq.block_table[b], hash, block_tokens);
  }
}

void Scheduler::release_blocks(Sequence& seq) {
  // Last block first: the allocator reuses blocks freed longest ago, so the prefix survives longest.
  for (auto block = seq.block_table.rbegin(); block != seq.block_table.rend(); ++block) allocator_.release(*block);
  seq.block_table.clear();
}

}  // namespace r1b::model
