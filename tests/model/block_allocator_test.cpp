#include "model/block_allocator.h"

#include <gtest/gtest.h>

namespace r1b::model {
namespace {

TEST(BlockAllocatorTest, SharedBlockIsFreedByItsLastOwner) {
  BlockAllocator allocator(2, 4);
  EXPECT_TRUE(allocator.can_allocate(2));
  const int32_t block = allocator.allocate();
  allocator.add_ref(block);
  EXPECT_EQ(allocator.ref_count(block), 2);
  allocator.release(block);
  EXPECT_EQ(allocator.num_free(), 1);
  allocator.release(block);
  EXPECT_EQ(allocator.num_free(), 2);
}

TEST(BlockAllocatorTest, CanAllocateReflectsFreeBlocks) {
  BlockAllocator allocator(3, 16);
  EXPECT_EQ(allocator.blocks_for(33), 3);
  EXPECT_EQ(allocator.blocks_for(32), 2);
  allocator.allocate();
  allocator.allocate();
  EXPECT_TRUE(allocator.can_allocate(1));
  EXPECT_FALSE(allocator.can_allocate(2));
}

}  // namespace
}  // namespace r1b::model

namespace r1b::model {
namespace {

TEST(BlockAllocatorTest, RegisteredPrefixOutlivesItsOwnersUntilReused) {
  BlockAllocator allocator(2, 2);
  const std::vector<int32_t> tokens = {5, 6};
  const uint64_t hash = BlockAllocator::prefix_hash(0, tokens);
  const int32_t block = allocator.allocate();
  allocator.register_prefix(block, hash, tokens);
  allocator.release(block);
  ASSERT_EQ(allocator.find_cached(hash, tokens), block);
  EXPECT_FALSE(allocator.find_cached(hash, std::vector<int32_t>{5, 7}).has_value());  // same hash, other tokens

  // Reviving it takes it off the free list.
  allocator.add_ref(block);
  EXPECT_EQ(allocator.num_free(), 1);
  allocator.release(block);

  // The block freed longest ago goes first, so the cached one survives one allocation...
  const int32_t other = allocator.allocate();
  EXPECT_NE(other, block);
  EXPECT_TRUE(allocator.find_cached(hash, tokens).has_value());
  // ...and is forgotten once reused.
  allocator.allocate();
  EXPECT_FALSE(allocator.find_cached(hash, tokens).has_value());
}

TEST(BlockAllocatorTest, PrefixHashDependsOnTheParent) {
  const std::vector<int32_t> tokens = {1, 2};
  EXPECT_NE(BlockAllocator::prefix_hash(0, tokens), BlockAllocator::prefix_hash(1, tokens));
}

}  // namespace
}  // namespace r1b::model
