// BlockAllocator: the KV cache's pages (STYLE rule 5): fixed-size blocks of `block_size` token
// slots, handed out from a free list and shared by reference count (the samples of one prompt share
// its prefill's blocks; a shared, partly filled block is copied before a sample writes into it).
//
// Prefix hashes: a full block of computed tokens (prompt, or generated ones of a preempted
// sequence) can be registered under the hash of (the previous block's hash, its tokens). A later
// prompt or recomputation with the same leading blocks finds them with find_cached() and acquires
// them instead of recomputing them. A registered block keeps its contents when its last owner
// releases it, until allocate() reuses it (least recently freed first); find_cached() also
// compares the block's tokens, so a colliding hash of other tokens is a miss, not a wrong reuse.
//
// Queries pair with actions: can_allocate(n) before allocate(). Breaking that pairing, or
// releasing a free block, is an invariant violation (R1B_CHECK). It only does bookkeeping: the
// blocks' memory belongs to the ModelRunner. Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

namespace r1b::model {

class BlockAllocator {
 public:
  BlockAllocator(int64_t num_blocks, int64_t block_size);

  int64_t block_size() const { return block_size_; }
  int64_t num_blocks() const { return static_cast<int64_t>(blocks_.size()); }
  int64_t num_free() const { return static_cast<int64_t>(free_.size()); }
  // Blocks needed to hold `num_tokens` tokens.
  int64_t blocks_for(int64_t num_tokens) const { return (num_tokens + block_size_ - 1) / block_size_; }

  bool can_allocate(int64_t num_blocks) const { return num_blocks <= num_free(); }
  // A free block with reference count 1 (forgetting any prefix hash it had).
  int32_t allocate();
  // One more owner of `block` (which may be free but still registered; it leaves the free list).
  void add_ref(int32_t block);
  // One owner fewer; the block is free again at zero.
  void release(int32_t block);
  int32_t ref_count(int32_t block) const { return blocks_.at(block).ref_count; }

  // The hash of a full block holding `tokens` after a block hashed `parent_hash` (0 for the first).
  static uint64_t prefix_hash(uint64_t parent_hash, std::span<const int32_t> tokens);
  // Registers full block `block` as holding `tokens` under `hash`.
  void register_prefix(int32_t block, uint64_t hash, std::span<const int32_t> tokens);
  // A registered block with this hash and these tokens, owned or free; nullopt otherwise.
  std::optional<int32_t> find_cached(uint64_t hash, std::span<const int32_t> tokens) const;

 private:
  struct BlockState {
    int32_t ref_count = 0;
    std::optional<uint64_t> hash;
    std::vector<int32_t> tokens;  // of a registered block
  };
  int64_t block_size_;
  std::vector<BlockState> blocks_;
  std::deque<int32_t> free_;                           // front: freed longest ago
  std::unordered_map<uint64_t, int32_t> cached_;       // prefix hash -> block
};

}  // namespace r1b::model
