// The scheduler's plans without a model: chunked prefill within the token budget, decodes sharing
// steps with prefill chunks, and LIFO preemption with recomputation.
#include "model/scheduler.h"

#include <gtest/gtest.h>

#include <memory>

namespace r1b::model {
namespace {

class SchedulerTest : public ::testing::Test {
 protected:
  // A sequence with a `length`-token prompt of tokens no other prompt shares.
  Sequence* sequence(int64_t length) {
    auto seq = std::make_unique<Sequence>();
    seq->id = static_cast<int64_t>(sequences_.size());
    seq->params = &params_;
    for (int64_t i = 0; i < length; ++i) seq->tokens.push_back(static_cast<int32_t>(seq->id * 100 + i));
    seq->num_prompt_tokens = length;
    sequences_.push_back(std::move(seq));
    return sequences_.back().get();
  }

  // Records that `plan` ran and appends a token to every sampler, as the Engine does.
  static void run(Scheduler& scheduler, const StepPlan& plan) {
    scheduler.complete(plan);
    for (const ScheduledSeq& entry : plan.seqs) {
      for (Sequence* seq : entry.samplers) seq->tokens.push_back(7);
    }
  }

  static StepPlan next(Scheduler& scheduler) {
    Result<StepPlan> plan = scheduler.schedule();
    EXPECT_TRUE(plan.is_ok()) << plan.status().message();
    return plan.is_ok() ? std::move(plan).value() : StepPlan{};
  }

  GenerationParams params_;
  std::vector<std::unique_ptr<Sequence>> sequences_;
};

TEST_F(SchedulerTest, LongPromptIsPrefilledInChunksWithinTheBudget) {
  BlockAllocator allocator(16, 4);
  Scheduler scheduler(allocator, SchedulerOptions{4, 8});
  Sequence* seq = sequence(10);
  scheduler.add_group({seq});
  for (int64_t chunk : {4, 4}) {
    const StepPlan plan = next(scheduler);
    ASSERT_EQ(plan.seqs.size(), 1u);
    EXPECT_TRUE(plan.seqs[0].is_prefill);
    EXPECT_EQ(plan.seqs[0].num_new_tokens, chunk);
    EXPECT_TRUE(plan.seqs[0].samplers.empty()) << "logits sampled before the last chunk";
    run(scheduler, plan);
  }
  const StepPlan last = next(scheduler);
  ASSERT_EQ(last.seqs.size(), 1u);
  EXPECT_EQ(last.num_prefill_tokens(), 2);
  EXPECT_EQ(last.seqs[0].samplers, std::vector<Sequence*>{seq});
  run(scheduler, last);
  const StepPlan decode = next(scheduler);
  EXPECT_EQ(decode.num_decode_tokens(), 1);
  EXPECT_EQ(decode.num_prefill_tokens(), 0);
}

TEST_F(SchedulerTest, DecodesKeepRunningWhilePromptsArePrefilledInTheSameStep) {
  BlockAllocator allocator(32, 4);
  Scheduler scheduler(allocator, SchedulerOptions{6, 8});
  Sequence* first = sequence(3);
  Sequence* second = sequence(8);
  Sequence* third = sequence(5);
  scheduler.add_group({first});
  scheduler.add_group({second});
  scheduler.add_group({third});
  std::vector<std::pair<int64_t, int64_t>> steps;  // (decode tokens, prefill tokens)
  for (int step = 0; step < 5; ++step) {
    const StepPlan plan = next(scheduler);
    EXPECT_LE(plan.num_decode_tokens() + plan.num_prefill_tokens(), 6) << "step " << step;
    steps.emplace_back(plan.num_decode_tokens(), plan.num_prefill_tokens());
    run(scheduler, plan);
  }
  // 3 + 3 of 8; decode + 5 of 8; 2 decodes + 4 of 5; 2 decodes + 1 of 5; 3 decodes.
  const std::vector<std::pair<int64_t, int64_t>> expected = {{0, 6}, {1, 5}, {2, 4}, {2, 1}, {3, 0}};
  EXPECT_EQ(steps, expected);
}

TEST_F(SchedulerTest, PreemptionRequeuesTheLastAdmittedSequenceFirstAndReusesItsBlocks) {
  BlockAllocator allocator(4, 2);
  Scheduler scheduler(allocator, SchedulerOptions{64, 8});
  Sequence* older = sequence(3);
  Sequence* newer = sequence(3);
  scheduler.add_group({older});
  scheduler.add_group({newer});
  run(scheduler, next(scheduler));  // both prefilled: all 4 blocks in use
  Sequence* later = sequence(3);
  scheduler.add_group({later});
  run(scheduler, next(scheduler));  // both decode into their second block's free slot

  // Both now need a third block: the newer one is preempted, the older one decodes.
  const StepPlan plan = next(scheduler);
  ASSERT_EQ(plan.seqs.size(), 1u);
  EXPECT_EQ(plan.seqs[0].seq, older);
  EXPECT_EQ(scheduler.num_preemptions(), 1);
  EXPECT_TRUE(newer->block_table.empty());
  EXPECT_EQ(newer->num_cached, 0);
  EXPECT_EQ(newer->tokens.size(), 5u) << "generated tokens are kept for the recomputation";
  run(scheduler, plan);
  scheduler.finish(older);

  // The preempted sequence is readmitted before the later prompt and recomputes all but its first
  // block (registered at preemption, not yet reused); its last row samples its next token.
  const StepPlan recompute = next(scheduler);
  ASSERT_FALSE(recompute.empty());
  EXPECT_EQ(recompute.seqs[0].seq, newer);
  EXPECT_EQ(recompute.seqs[0].num_new_tokens, 3);
  EXPECT_EQ(recompute.seqs[0].samplers, std::vector<Sequence*>{newer});
  run(scheduler, recompute);
  EXPECT_EQ(newer->num_cached, 5);
}

TEST_F(SchedulerTest, SequenceLargerThanTheWholeCacheIsUnavailable) {
  BlockAllocator allocator(2, 4);
  Scheduler scheduler(allocator, SchedulerOptions{});
  scheduler.add_group({sequence(12)});
  Result<StepPlan> plan = scheduler.schedule();
  ASSERT_FALSE(plan.is_ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(plan.status().message().find("needs 3 blocks of 4 tokens, the cache has 2"), std::string::npos)
      << plan.status().message();
}

}  // namespace
}  // namespace r1b::model
