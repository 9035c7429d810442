// Forward cost of tiny configs against counts worked out by hand (see the comments).
#include "model/cost.h"

#include <gtest/gtest.h>

#include "model/causal_lm.h"
#include "test_checkpoints.h"

namespace r1b::model {
namespace {

TEST(CostTest, CausalPairsCountVisibleKeys) {
  EXPECT_EQ(causal_pairs(SeqWork{3, 3}), 6);  // prefill: 1 + 2 + 3
  EXPECT_EQ(causal_pairs(SeqWork{1, 5}), 5);  // decode at position 4
  EXPECT_EQ(causal_pairs(SeqWork{2, 6}), 11); // 5 + 6
}

TEST(CostTest, DenseModelCountsMatmulsAttentionAndKvTraffic) {
  // tiny_qwen2: hidden 32, 4 heads × 8, 2 KV heads, ffn 48, 2 layers, vocab 64.
  // Per layer: q 32·32 + k 32·16 + v 32·16 + o 32·32 + mlp 3·32·48 = 7680 weights; head 64·32.
  const std::vector<SeqWork> batch = {{3, 3}, {1, 5}};  // 4 new tokens, 6 + 5 causal pairs
  Result<ForwardCost> cost = forward_cost(testing::tiny_qwen2_config(), "config.json", batch, CostOptions{});
  ASSERT_TRUE(cost.is_ok()) << cost.status().message();
  EXPECT_EQ(cost->matmul_flops, 2.0 * 4 * 2 * 7680 + 2.0 * 2 * 2048);
  EXPECT_EQ(cost->attention_flops, 11.0 * 2 * (2 * 4 * (8 + 8)));       // pairs × layers × 2·H·(Dk+Dv)
  EXPECT_EQ(cost->weight_bytes, (2.0 * 7680 + 2048) * 2);               // bf16, read once
  EXPECT_EQ(cost->kv_read_bytes, 8.0 * (2 * 16 * 2) * 2);               // 8 context rows, K+V, 2 layers
  EXPECT_EQ(cost->kv_write_bytes, 4.0 * (2 * 16 * 2) * 2);
}

TEST(CostTest, MlaAndMoeCountActiveShapesOnly) {
  // tiny_deepseek_v3: hidden 32, 2 heads, q_lora 16, kv_lora 16, nope 8, rope 8, v 8; layer 0 dense
  // (ffn 48), layer 1 MoE (8 experts of ffn 16, top 2, 1 shared); vocab 64.
  // Attention per layer: q_a 32·16 + q_b 16·32 + kv_a 32·24 + W_UK 2·8·16 + W_UV 2·16·8 + o 16·32 = 2816.
  // Dense MLP 3·32·48 = 4608; MoE router 32·8 + 2 routed × 1536 + shared 1536 = 4864.
  const std::vector<SeqWork> batch = {{1, 10}};
  Result<ForwardCost> cost = forward_cost(testing::tiny_deepseek_v3_config(), "config.json", batch, CostOptions{});
  ASSERT_TRUE(cost.is_ok()) << cost.status().message();
  EXPECT_EQ(cost->matmul_flops, 2.0 * (2 * 2816 + 4608 + 4864) + 2.0 * 2048);
  EXPECT_EQ(cost->attention_flops, 10.0 * 2 * (2 * 2 * (24 + 16)));     // absorbed: scores over 24, values over 16
  EXPECT_EQ(cost->weight_bytes, (2.0 * 2816 + 4608 + 4864 + 2048) * 2);  // one token touches 2 experts
  EXPECT_EQ(cost->kv_read_bytes, 10.0 * 24 * 2 * 2);                      // latent rows only
  EXPECT_EQ(cost->kv_write_bytes, 1.0 * 24 * 2 * 2);
}

}  // namespace
}  // namespace r1b::model
