#include "model/block_allocator.h"

#include <algorithm>

#include "base/status.h"

namespace r1b::model {

BlockAllocator::BlockAllocator(int64_t num_blocks, int64_t block_size) : block_size_(block_size), blocks_(num_blocks) {
  R1B_CHECK(num_blocks > 0 && block_size > 0);
  for (int64_t block = 0; block < num_blocks; ++block) free_.push_back(static_cast<int32_t>(block));
}

int32_t BlockAllocator::allocate() {
  R1B_CHECK(!free_.empty());
  const int32_t block = free_.front();
  free_.pop_front();
  BlockState& state = blocks_[block];
  if (state.hash) {
    cached_.erase(*state.hash);
    state.hash.reset();
    state.tokens.clear();
  }
  state.ref_count = 1;
  return block;
}

void BlockAllocator::add_ref(int32_t block) {
  BlockState& state = blocks_.at(block);
  if (state.ref_count == 0) {
    R1B_CHECK(state.hash.has_value());  // only registered blocks are revived from the free list
    free_.erase(std::find(free_.begin(), free_.end(), block));
  }
  ++state.ref_count;
}

void BlockAllocator::release(int32_t block) {
  BlockState& state = blocks_.at(block);
  R1B_CHECK(state.ref_count > 0);
  if (--state.ref_count == 0) free_.push_back(block);
}

uint64_t BlockAllocator::prefix_hash(uint64_t parent_hash, std::span<const int32_t> tokens) {
  uint64_t hash = parent_hash ^ 0x9E3779B97F4A7C15ull;  // FNV-1a over the parent and the tokens
  for (int32_t token : tokens) {
    hash ^= static_cast<uint32_t>(token);
    hash *= 0x100000001B3ull;
  }
  return hash;
}

void BlockAllocator::register_prefix(int32_t block, uint64_t hash, std::span<const int32_t> tokens) {
  BlockState& state = blocks_.at(block);
  R1B_CHECK(state.ref_count > 0 && static_cast<int64_t>(tokens.size()) == block_size_);
  if (state.hash || cached_.count(hash) != 0) return;  // already known (e.g. two identical prompts)
  state.hash = hash;
  state.tokens.assign(tokens.begin(), tokens.end());
  cached_[hash] = block;
}

std::optional<int32_t> BlockAllocator::find_cached(uint64_t hash, std::span<const int32_t> tokens) const {
  auto it = cached_.find(hash);
  if (it == cached_.end()) return std::nullopt;
  const BlockState& state = blocks_[it->second];
  if (!std::equal(state.tokens.begin(), state.tokens.end(), tokens.begin(), tokens.end())) return std::nullopt;
  return it->second;
}

}  // namespace r1b::model
