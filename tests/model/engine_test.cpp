// Generation on tiny random checkpoints (one dense GQA model, one MLA + MoE model): batching,
// KV sharing and seeding never change a sequence's result.
#include "model/engine.h"

#include <algorithm>
#include <functional>
#include <random>

#include <gtest/gtest.h>

#include "model/cpu_backend.h"
#include "model/model_runner.h"
#include "model/tokenizer.h"
#include "model/tokenizer_utf8.h"
#include "test_checkpoints.h"

namespace r1b::model {
namespace {

// The byte-level BPE tokenizer of the qwen2 fixture: 512 tokens, so most characters outside ASCII
// are split over several tokens.
const Tokenizer& fixture_tokenizer() {
  static const Result<Tokenizer> tokenizer =
      Tokenizer::load(std::filesystem::path(R1B_SOURCE_DIR) / "tests/model/fixtures/qwen2/tokenizer.json");
  EXPECT_TRUE(tokenizer.is_ok()) << tokenizer.status().message();
  return tokenizer.value();
}

// The finish rule of earlier engines, as the reference: the first token count after which the
// whole decoded completion contains a non-empty stop string; 0 when none does.
size_t whole_text_stop(const std::vector<int32_t>& tokens, const std::vector<std::string>& stop_strings,
                       const std::function<std::string(std::span<const int32_t>)>& detokenize) {
  for (size_t n = 1; n <= tokens.size(); ++n) {
    const std::string text = detokenize(std::span<const int32_t>(tokens).first(n));
    for (const std::string& stop : stop_strings) {
      if (!stop.empty() && text.find(stop) != std::string::npos) return n;
    }
  }
  return 0;
}

class EngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const auto dir = testing::fresh_dir();
    testing::write_random_checkpoint(
        dir, GetParam() == "qwen2" ? testing::tiny_qwen2_config() : testing::tiny_deepseek_v3_config(), 11);
    Result<std::unique_ptr<CausalLm>> model = load_causal_lm(dir, backend_);
    ASSERT_TRUE(model.is_ok()) << model.status().message();
    model_ = std::move(model).value();
  }

  static std::vector<int32_t> prompt(int length, int32_t start) {
    std::vector<int32_t> tokens;
    for (int i = 0; i < length; ++i) tokens.push_back((start + 7 * i) % 60 + 3);
    return tokens;
  }

  static GenerationRequest request(std::vector<int32_t> tokens, int64_t num_samples, float temperature,
                                   uint64_t seed, int64_t max_tokens = 8) {
    GenerationRequest out;
    out.prompt = std::move(tokens);
    out.num_samples = num_samples;
    out.params.sampling = SamplingParams{temperature, 0.95f, 0, seed};
    out.params.max_tokens = max_tokens;
    return out;
  }

  std::vector<std::vector<SampleOutput>> generate(const std::vector<GenerationRequest>& requests,
                                                  EngineOptions options = {}) {
    if (options.num_kv_blocks == EngineOptions{}.num_kv_blocks) {
      options.num_kv_blocks = 64;
      options.block_size = 4;  // small blocks: prompts end mid-block, so shared blocks get copied
    }
    Engine engine(*model_, backend_, std::move(options));
    Result<std::vector<std::vector<SampleOutput>>> outputs = engine.generate(requests);
    EXPECT_TRUE(outputs.is_ok()) << outputs.status().message();
    EXPECT_EQ(engine.allocator().num_free(), engine.allocator().num_blocks()) << "KV blocks leaked";
    return outputs.is_ok() ? std::move(outputs).value() : std::vector<std::vector<SampleOutput>>{};
  }

  CpuBackend backend_{2};
  std::unique_ptr<CausalLm> model_;
};

// The decode logits of a batch of sequences are bit-identical to a full recompute of each sequence
// alone (every row is computed in a fixed order, independent of the other rows).
TEST_P(EngineTest, BatchedDecodeLogitsEqualOneSequenceAtATime) {
  const int64_t block_size = 4;
  KvCache cache = allocate_kv_cache(backend_, model_->kv_layout(), 16, block_size);
  std::vector<std::vector<int32_t>> sequences = {prompt(5, 1), prompt(9, 2), prompt(2, 3)};
  std::vector<std::vector<int32_t>> tables = {{3, 7}, {0, 9, 4}, {12}};
  std::vector<int64_t> cached(3, 0);
  const int64_t vocab = model_->info().vocab_size;
  for (int step = 0; step < 3; ++step) {
    ForwardBatch batch;
    for (size_t s = 0; s < sequences.size(); ++s) {
      const auto length = static_cast<int64_t>(sequences[s].size());
      AttentionSeq span{static_cast<int64_t>(batch.token_ids.size()), length - cached[s], length, tables[s]};
      for (int64_t p = cached[s]; p < length; ++p) {
        batch.token_ids.push_back(sequences[s][p]);
        batch.positions.push_back(static_cast<int32_t>(p));
        batch.slots.push_back(static_cast<int32_t>(tables[s][p / block_size] * block_size + p % block_size));
      }
      batch.seqs.push_back(span);
      batch.logit_rows.push_back(static_cast<int32_t>(batch.token_ids.size() - 1));
      cached[s] = length;
    }
    const std::vector<float> logits = backend_.download(model_->forward(batch, cache));
    for (size_t s = 0; s < sequences.size(); ++s) {
      Result<std::vector<float>> alone = prompt_logits(*model_, backend_, sequences[s]);
      ASSERT_TRUE(alone.is_ok());
      const std::vector<float> last(alone->end() - vocab, alone->end());
      const std::vector<float> batched(logits.begin() + static_cast<int64_t>(s) * vocab,
                                       logits.begin() + static_cast<int64_t>(s + 1) * vocab);
      for (int64_t v = 0; v < vocab; ++v) {
        ASSERT_EQ(batched[v], last[v]) << "step " << step << " seq " << s << " vocab " << v;
      }
      sequences[s].push_back(static_cast<int32_t>((s + step) % 50 + 3));
    }
  }
}

TEST_P(EngineTest, SamplesSharingPrefillEqualSeparateRuns) {
  const std::vector<std::vector<SampleOutput>> shared = generate({request(prompt(6, 4), 4, 0.9f, 9)});
  ASSERT_EQ(shared.size(), 1u);
  ASSERT_EQ(shared[0].size(), 4u);
  for (int64_t i = 0; i < 4; ++i) {
    GenerationRequest alone = request(prompt(6, 4), 1, 0.9f, 9);
    alone.first_sample_index = i;
    const std::vector<std::vector<SampleOutput>> separate = generate({alone});
    EXPECT_EQ(shared[0][i].tokens, separate[0][0].tokens) << "sample " << i;
  }
  // The samples really differ (the test would prove little otherwise).
  EXPECT_NE(shared[0][0].tokens, shared[0][1].tokens);
}

TEST_P(EngineTest, SeededSamplingIsReproducibleWhateverTheBatch) {
  const GenerationRequest target = request(prompt(7, 5), 2, 0.7f, 123);
  const std::vector<std::vector<SampleOutput>> alone = generate({target});
  const std::vector<std::vector<SampleOutput>> batched =
      generate({request(prompt(3, 6), 3, 1.0f, 5), target, request(prompt(11, 7), 1, 0.0f, 0)});
  EXPECT_EQ(alone[0][0].tokens, batched[1][0].tokens);
  EXPECT_EQ(alone[0][1].tokens, batched[1][1].tokens);
  EXPECT_EQ(generate({target})[0][1].tokens, alone[0][1].tokens);
}

TEST_P(EngineTest, GreedyBatchEqualsGreedyAlone) {
  const std::vector<std::vector<SampleOutput>> batched =
      generate({request(prompt(4, 1), 1, 0.0f, 0, 12), request(prompt(13, 2), 2, 0.0f, 0, 12)});
  EXPECT_EQ(batched[0][0].tokens, generate({request(prompt(4, 1), 1, 0.0f, 0, 12)})[0][0].tokens);
  EXPECT_EQ(batched[1][0].tokens, batched[1][1].tokens);
  EXPECT_EQ(batched[1][0].tokens, generate({request(prompt(13, 2), 1, 0.0f, 0, 12)})[0][0].tokens);
}

TEST_P(EngineTest, StopTokenStopStringAndLengthEndSamples) {
  const std::vector<int32_t> greedy = generate({request(prompt(5, 3), 1, 0.0f, 0, 6)})[0][0].tokens;
  ASSERT_EQ(greedy.size(), 6u);

  GenerationRequest by_token = request(prompt(5, 3), 1, 0.0f, 0, 6);
  by_token.params.stop_token_ids = {greedy[2]};
  const SampleOutput token_out = generate({by_token})[0][0];
  const auto first_stop = std::find(greedy.begin(), greedy.end(), greedy[2]) - greedy.begin();
  EXPECT_EQ(token_out.finish_reason, FinishReason::kStopToken);
  EXPECT_EQ(token_out.completion_tokens, first_stop + 1);
  EXPECT_EQ(token_out.prompt_tokens, 5);

  // Detokenize as "<id>," so the stop string "<id of token 1>," ends at token 1 or earlier.
  EngineOptions options;
  options.num_kv_blocks = 64;
  options.block_size = 4;
  options.detokenize = [](std::span<const int32_t> tokens) {
    std::string text;
    for (int32_t token : tokens) text += "<" + std::to_string(token) + ">";
    return text;
  };
  GenerationRequest by_string = request(prompt(5, 3), 1, 0.0f, 0, 6);
  by_string.params.stop_strings = {"<" + std::to_string(greedy[1]) + ">"};
  const SampleOutput string_out = generate({by_string}, options)[0][0];
  EXPECT_EQ(string_out.finish_reason, FinishReason::kStopString);
  EXPECT_LE(string_out.completion_tokens, 2);

  EXPECT_EQ(generate({request(prompt(5, 3), 1, 0.0f, 0, 6)})[0][0].finish_reason, FinishReason::kLength);
}

// Sampled token ids, read as tokens of a real byte-level tokenizer (characters split across
// tokens, stray bytes, U+FFFD), end at the same token as the whole-text rule, for stop strings cut
// from the decoded text anywhere: at its start, across several tokens, inside a character, and at
// the end of a text that ends in a character still incomplete (U+FFFD then, a different one later).
TEST_P(EngineTest, StopStringEndsSampleWhereWholeTextSearchDoes) {
  const Tokenizer& tokenizer = fixture_tokenizer();
  // Model token v stands for tokenizer token pieces[v % size]: the tokens of a mixed-script text.
  const std::vector<int32_t> pieces =
      tokenizer.encode("数学 the answer: x² ≤ 😀🎉 नमस्ते «ok» </think> \\boxed{42}\n\nΩμέγα ✓ 你好");
  int64_t split_pieces = 0;
  for (int32_t piece : pieces) split_pieces += tokenizer.decode(std::vector{piece}).ends_with(kReplacementChar) ? 1 : 0;
  ASSERT_GT(split_pieces, 0) << "no token holds a partial character";
  const std::function<std::string(std::span<const int32_t>)> detokenize = [&](std::span<const int32_t> tokens) {
    std::vector<int32_t> ids;
    for (int32_t token : tokens) ids.push_back(pieces[static_cast<size_t>(token) % pieces.size()]);
    return tokenizer.decode(ids);
  };
  EngineOptions options;
  options.num_kv_blocks = 2048;
  options.block_size = 4;
  options.detokenize = detokenize;

  constexpr int64_t kSeeds = 8, kSamples = 4, kMaxTokens = 40, kStopSets = 6;
  std::vector<GenerationRequest> free_runs;
  for (int64_t seed = 0; seed < kSeeds; ++seed) {
    free_runs.push_back(request(prompt(3, static_cast<int32_t>(seed)), kSamples, 1.0f, seed, kMaxTokens));
  }
  const std::vector<std::vector<SampleOutput>> unstopped_runs = generate(free_runs, options);
  ASSERT_EQ(unstopped_runs.size(), static_cast<size_t>(kSeeds));

  // Each sample again (reproduced by seed and sample index), under several sets of stop strings.
  std::mt19937 rng(5);
  const auto uniform = [&](size_t lo, size_t hi) { return std::uniform_int_distribution<size_t>(lo, hi)(rng); };
  std::vector<GenerationRequest> stopped;
  std::vector<const std::vector<int32_t>*> streams;
  for (int64_t seed = 0; seed < kSeeds; ++seed) {
    for (int64_t i = 0; i < kSamples; ++i) {
      const std::vector<int32_t>& tokens = unstopped_runs[seed][i].tokens;
      for (int64_t set = 0; set < kStopSets; ++set) {
        GenerationRequest again = free_runs[seed];
        again.num_samples = 1;
        again.first_sample_index = i;
        // One set finds nothing (an empty stop string is ignored); the others cut 1-3 strings from
        // the text after k tokens: its start, its end, or anywhere, 1-12 bytes.
        again.params.stop_strings = {"", "\x01"};
        for (size_t count = set == 0 ? 0 : uniform(1, 3); count > 0; --count) {
          const std::string text = detokenize(std::span<const int32_t>(tokens).first(uniform(1, tokens.size())));
          const size_t length = std::min(uniform(1, 12), text.size());
          const size_t where = uniform(0, 2);
          const size_t start = where == 0 ? 0 : where == 1 ? text.size() - length : uniform(0, text.size() - length);
          again.params.stop_strings.push_back(text.substr(start, length));
        }
        stopped.push_back(std::move(again));
        streams.push_back(&tokens);
      }
    }
  }
  const std::vector<std::vector<SampleOutput>> outputs = generate(stopped, options);
  ASSERT_EQ(outputs.size(), stopped.size());

  int64_t at_start = 0, across_tokens = 0, multibyte = 0, incomplete_end = 0, unstopped = 0;
  for (size_t r = 0; r < stopped.size(); ++r) {
    const std::vector<int32_t>& tokens = *streams[r];
    const std::vector<std::string>& stop_strings = stopped[r].params.stop_strings;
    const SampleOutput& out = outputs[r][0];
    const size_t expected = whole_text_stop(tokens, stop_strings, detokenize);
    if (expected == 0) {
      EXPECT_EQ(out.finish_reason, FinishReason::kLength) << "request " << r;
      EXPECT_EQ(out.tokens, tokens) << "request " << r;
      ++unstopped;
      continue;
    }
    EXPECT_EQ(out.finish_reason, FinishReason::kStopString) << "request " << r;
    EXPECT_EQ(out.tokens, std::vector<int32_t>(tokens.begin(), tokens.begin() + static_cast<int64_t>(expected)))
        << "request " << r;
    // What the cases covered.
    const std::string text = detokenize(std::span<const int32_t>(tokens).first(expected));
    const std::string last = detokenize(std::span<const int32_t>(tokens).subspan(expected - 1, 1));
    for (const std::string& stop : stop_strings) {
      const size_t found = stop.empty() ? std::string::npos : text.find(stop);
      if (found == std::string::npos) continue;
      at_start += found == 0 ? 1 : 0;
      across_tokens += last.find(stop) == std::string::npos ? 1 : 0;
      multibyte += std::any_of(stop.begin(), stop.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
      incomplete_end += text.ends_with(kReplacementChar) && found + stop.size() == text.size() ? 1 : 0;
    }
  }
  EXPECT_GT(at_start, 0);
  EXPECT_GT(across_tokens, 0);
  EXPECT_GT(multibyte, 0);
  EXPECT_GT(incomplete_end, 0);
  EXPECT_GE(unstopped, kSeeds * kSamples);
}

// When every token ends in a whole character, each is decoded once, however long the completion.
TEST_P(EngineTest, StopStringCheckDecodesEachTokenOnce) {
  int64_t decoded_tokens = 0;
  EngineOptions options;
  options.num_kv_blocks = 64;
  options.block_size = 4;
  options.detokenize = [&](std::span<const int32_t> tokens) {
    decoded_tokens += static_cast<int64_t>(tokens.size());
    std::string text;
    for (int32_t token : tokens) text += "<" + std::to_string(token) + ">";
    return text;
  };
  GenerationRequest never = request(prompt(5, 3), 1, 1.0f, 3, 100);
  never.params.stop_strings = {"<999>"};
  const SampleOutput out = generate({never}, options)[0][0];
  EXPECT_EQ(out.finish_reason, FinishReason::kLength);
  EXPECT_EQ(decoded_tokens, 100);
}

TEST_P(EngineTest, SampleThatCanNeverFitTheCacheIsRejectedUpFront) {
  EngineOptions options;
  options.num_kv_blocks = 3;
  options.block_size = 4;
  Engine engine(*model_, backend_, options);
  Result<std::vector<std::vector<SampleOutput>>> outputs =
      engine.generate(std::vector{request(prompt(3, 2), 1, 0.0f, 0), request(prompt(6, 1), 2, 1.0f, 1, 20)});
  ASSERT_FALSE(outputs.is_ok());
  EXPECT_EQ(outputs.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(outputs.status().message().find("generation request 1: a sample needs 25 KV cache slots"), std::string::npos)
      << outputs.status().message();
  EXPECT_NE(outputs.status().message().find("the cache holds 12"), std::string::npos) << outputs.status().message();
  EXPECT_EQ(engine.allocator().num_free(), 3);
}

// Two samples that each just fit the whole cache (6 + 7 − 1 = 12 slots) take turns by preemption.
TEST_P(EngineTest, SamplesThatFitOnlyOneAtATimeStillComplete) {
  EngineOptions options;
  options.num_kv_blocks = 3;
  options.block_size = 4;
  Engine engine(*model_, backend_, options);
  Result<std::vector<std::vector<SampleOutput>>> outputs =
      engine.generate(std::vector{request(prompt(6, 1), 2, 1.0f, 1, 7)});
  ASSERT_TRUE(outputs.is_ok()) << outputs.status().message();
  EXPECT_GT(engine.stats().preemptions, 0);
  EXPECT_EQ(engine.allocator().num_free(), 3);
  const std::vector<std::vector<SampleOutput>> roomy = generate({request(prompt(6, 1), 2, 1.0f, 1, 7)});
  EXPECT_EQ((*outputs)[0][0].tokens, roomy[0][0].tokens);
  EXPECT_EQ((*outputs)[0][1].tokens, roomy[0][1].tokens);
}

TEST_P(EngineTest, TokenOutsideTheVocabularyIsRejected) {
  Engine engine(*model_, backend_, EngineOptions{});
  Result<std::vector<std::vector<SampleOutput>>> outputs = engine.generate(std::vector{request({1, 999}, 1, 0.0f, 0)});
  ASSERT_FALSE(outputs.is_ok());
  EXPECT_NE(outputs.status().message().find("generation request 0: token id 999"), std::string::npos);
}

TEST_P(EngineTest, RepeatedPromptPrefixIsReusedWithIdenticalResults) {
  EngineOptions options;
  options.num_kv_blocks = 32;
  options.block_size = 4;
  std::vector<int32_t> longer = prompt(10, 2);
  longer.push_back(9);
  longer.push_back(17);
  const std::vector<GenerationRequest> first = {request(prompt(10, 2), 2, 0.8f, 4)};
  const std::vector<GenerationRequest> second = {request(longer, 2, 0.8f, 4)};

  Engine engine(*model_, backend_, options);
  ASSERT_TRUE(engine.generate(first).is_ok());
  const int64_t prefill_before = engine.stats().prefill_tokens;
  Result<std::vector<std::vector<SampleOutput>>> reused = engine.generate(second);
  ASSERT_TRUE(reused.is_ok()) << reused.status().message();
  // The 12-token prompt shares two full 4-token blocks with the first one: 4 tokens prefilled.
  EXPECT_EQ(engine.stats().prefill_tokens - prefill_before, 4);
  EXPECT_EQ(engine.allocator().num_free(), 32);

  Engine fresh(*model_, backend_, options);
  Result<std::vector<std::vector<SampleOutput>>> computed = fresh.generate(second);
  ASSERT_TRUE(computed.is_ok());
  EXPECT_EQ((*reused)[0][0].tokens, (*computed)[0][0].tokens);
  EXPECT_EQ((*reused)[0][1].tokens, (*computed)[0][1].tokens);
}

class RecordingObserver : public ActivationObserver {
 public:
  void on_activation(int layer, std::string_view name, const Tensor& value) override {
    seen.emplace_back(layer, std::string(name), value.numel());
  }
  std::vector<std::tuple<int, std::string, int64_t>> seen;
};

TEST_P(EngineTest, ObserverSeesEveryLayersNamedActivations) {
  KvCache cache = allocate_kv_cache(backend_, model_->kv_layout(), 1, 4);
  RecordingObserver observer;
  ForwardBatch batch{{5, 6, 7}, {0, 1, 2}, {0, 1, 2}, {AttentionSeq{0, 3, 3, {0}}}, {2}, &observer};
  model_->forward(batch, cache);
  const int64_t hidden = model_->info().hidden_size;
  for (int layer = 0; layer < model_->info().num_layers; ++layer) {
    EXPECT_NE(std::find(observer.seen.begin(), observer.seen.end(), std::make_tuple(layer, std::string("attn_out"), 3 * hidden)),
              observer.seen.end())
        << "layer " << layer;
  }
  EXPECT_EQ(observer.seen.back(), std::make_tuple(-1, std::string("logits"), model_->info().vocab_size));
}

INSTANTIATE_TEST_SUITE_P(Models, EngineTest, ::testing::Values("qwen2", "deepseek_v3"));

}  // namespace
}  // namespace r1b::model
