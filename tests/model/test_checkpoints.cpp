#include "test_checkpoints.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>

namespace r1b::model::testing {

namespace {

struct Shaped {
  std::string name;
  std::vector<int64_t> shape;
};

std::vector<Shaped> qwen2_weights(const nlohmann::json& c) {
  const int64_t hidden = c["hidden_size"], vocab = c["vocab_size"], ffn = c["intermediate_size"];
  const int64_t heads = c["num_attention_heads"], kv_heads = c["num_key_value_heads"];
  const int64_t head_dim = hidden / heads;
  std::vector<Shaped> list = {{"model.embed_tokens.weight", {vocab, hidden}}, {"model.norm.weight", {hidden}},
                              {"lm_head.weight", {vocab, hidden}}};
  for (int64_t l = 0; l < c["num_hidden_layers"].get<int64_t>(); ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    list.push_back({p + "input_layernorm.weight", {hidden}});
    list.push_back({p + "post_attention_layernorm.weight", {hidden}});
    list.push_back({p + "self_attn.q_proj.weight", {heads * head_dim, hidden}});
    list.push_back({p + "self_attn.q_proj.bias", {heads * head_dim}});
    list.push_back({p + "self_attn.k_proj.weight", {kv_heads * head_dim, hidden}});
    list.push_back({p + "self_attn.k_proj.bias", {kv_heads * head_dim}});
    list.push_back({p + "self_attn.v_proj.weight", {kv_heads * head_dim, hidden}});
    list.push_back({p + "self_attn.v_proj.bias", {kv_heads * head_dim}});
    list.push_back({p + "self_attn.o_proj.weight", {hidden, heads * head_dim}});
    list.push_back({p + "mlp.gate_proj.weight", {ffn, hidden}});
    list.push_back({p + "mlp.up_proj.weight", {ffn, hidden}});
    list.push_back({p + "mlp.down_proj.weight", {hidden, ffn}});
  }
  return list;
}

std::vector<Shaped> deepseek_weights(const nlohmann::json& c) {
  const int64_t hidden = c["hidden_size"], vocab = c["vocab_size"], ffn = c["intermediate_size"];
  const int64_t heads = c["num_attention_heads"], q_lora = c["q_lora_rank"], lora = c["kv_lora_rank"];
  const int64_t nope = c["qk_nope_head_dim"], rope = c["qk_rope_head_dim"], v_dim = c["v_head_dim"];
  const int64_t experts = c["n_routed_experts"], moe_ffn = c["moe_intermediate_size"];
  const int64_t shared = c["n_shared_experts"], first_dense = c["first_k_dense_replace"];
  std::vector<Shaped> list = {{"model.embed_tokens.weight", {vocab, hidden}}, {"model.norm.weight", {hidden}},
                              {"lm_head.weight", {vocab, hidden}}};
  for (int64_t l = 0; l < c["num_hidden_layers"].get<int64_t>(); ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    list.push_back({p + "input_layernorm.weight", {hidden}});
    list.push_back({p + "post_attention_layernorm.weight", {hidden}});
    list.push_back({p + "self_attn.q_a_proj.weight", {q_lora, hidden}});
    list.push_back({p + "self_attn.q_a_layernorm.weight", {q_lora}});
    list.push_back({p + "self_attn.q_b_proj.weight", {heads * (nope + rope), q_lora}});
    list.push_back({p + "self_attn.kv_a_proj_with_mqa.weight", {lora + rope, hidden}});
    list.push_back({p + "self_attn.kv_a_layernorm.weight", {lora}});
    list.push_back({p + "self_attn.kv_b_proj.weight", {heads * (nope + v_dim), lora}});
    list.push_back({p + "self_attn.o_proj.weight", {hidden, heads * v_dim}});
    if (l < first_dense) {
      list.push_back({p + "mlp.gate_proj.weight", {ffn, hidden}});
      list.push_back({p + "mlp.up_proj.weight", {ffn, hidden}});
      list.push_back({p + "mlp.down_proj.weight", {hidden, ffn}});
      continue;
    }
    list.push_back({p + "mlp.gate.weight", {experts, hidden}});
    list.push_back({p + "mlp.gate.e_score_correction_bias", {experts}});
    for (int64_t e = 0; e < experts; ++e) {
      const std::string ep = p + "mlp.experts." + std::to_string(e) + ".";
      list.push_back({ep + "gate_proj.weight", {moe_ffn, hidden}});
      list.push_back({ep + "up_proj.weight", {moe_ffn, hidden}});
      list.push_back({ep + "down_proj.weight", {hidden, moe_ffn}});
    }
    list.push_back({p + "mlp.shared_experts.gate_proj.weight", {moe_ffn * shared, hidden}});
    list.push_back({p + "mlp.shared_experts.up_proj.weight", {moe_ffn * shared, hidden}});
    list.push_back({p + "mlp.shared_experts.down_proj.weight", {hidden, moe_ffn * shared}});
  }
  return list;
}

}  // namespace

RawTensor f32_tensor(const std::string& name, std::vector<int64_t> shape, const std::vector<float>& values) {
  RawTensor tensor{name, "F32", std::move(shape), std::vector<uint8_t>(values.size() * 4)};
  std::memcpy(tensor.bytes.data(), values.data(), tensor.bytes.size());
  return tensor;
}

void write_safetensors(const std::filesystem::path& path, const std::vector<RawTensor>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (const RawTensor& tensor : tensors) {
    header[tensor.name] = {{"dtype", tensor.dtype}, {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + tensor.bytes.size()}}};
    offset += tensor.bytes.size();
  }
  const std::string text = header.dump();
  std::ofstream out(path, std::ios::binary);
  const uint64_t length = text.size();
  out.write(reinterpret_cast<const char*>(&length), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const RawTensor& tensor : tensors) {
    out.write(reinterpret_cast<const char*>(tensor.bytes.data()), static_cast<std::streamsize>(tensor.bytes.size()));
  }
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::filesystem::path fresh_dir(const std::string& suffix) {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "r1b_model_test" /
                                    (std::string(info->test_suite_name()) + "." + info->name() + suffix);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void write_random_checkpoint(const std::filesystem::path& dir, const nlohmann::json& config, uint64_t seed) {
  const std::string arch = config["architectures"][0];
  const std::vector<Shaped> list = arch.rfind("Deepseek", 0) == 0 ? deepseek_weights(config) : qwen2_weights(config);
  uint64_t state = seed;
  std::vector<RawTensor> tensors;
  for (const Shaped& weight : list) {
    int64_t count = 1;
    for (int64_t dim : weight.shape) count *= dim;
    const bool is_norm = weight.shape.size() == 1 && weight.name.find("norm") != std::string::npos;
    const double scale = weight.shape.size() == 2 ? 1.0 / std::sqrt(static_cast<double>(weight.shape[1])) : 0.1;
    std::vector<float> values(count);
    for (float& value : values) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      const double unit = static_cast<double>(state >> 11) * 0x1.0p-53 - 0.5;
      value = static_cast<float>(is_norm ? 1.0 + 0.2 * unit : 2.0 * scale * unit);
    }
    tensors.push_back(f32_tensor(weight.name, weight.shape, values));
  }
  write_safetensors(dir / "model.safetensors", tensors);
  std::ofstream(dir / "config.json") << config.dump(2);
}

nlohmann::json tiny_qwen2_config() {
  return {{"architectures", {"Qwen2ForCausalLM"}}, {"vocab_size", 64},        {"hidden_size", 32},
          {"intermediate_size", 48},               {"num_hidden_layers", 2},  {"num_attention_heads", 4},
          {"num_key_value_heads", 2},              {"rms_norm_eps", 1e-6},    {"rope_theta", 10000.0},
          {"max_position_embeddings", 256},        {"tie_word_embeddings", false}, {"eos_token_id", 2}};
}

nlohmann::json tiny_deepseek_v3_config() {
  return {{"architectures", {"DeepseekV3ForCausalLM"}},
          {"vocab_size", 64}, {"hidden_size", 32}, {"intermediate_size", 48}, {"num_hidden_layers", 2},
          {"num_attention_heads", 2}, {"q_lora_rank", 16}, {"kv_lora_rank", 16}, {"qk_nope_head_dim", 8},
          {"qk_rope_head_dim", 8}, {"v_head_dim", 8}, {"n_routed_experts", 8}, {"num_experts_per_tok", 2},
          {"moe_intermediate_size", 16}, {"n_shared_experts", 1}, {"first_k_dense_replace", 1},
          {"n_group", 4}, {"topk_group", 2}, {"norm_topk_prob", true}, {"routed_scaling_factor", 2.5},
          {"rms_norm_eps", 1e-6}, {"max_position_embeddings", 256},
          {"rope_scaling", {{"rope_type", "yarn"}, {"factor", 4.0}, {"original_max_position_embeddings", 64},
                            {"beta_fast", 32}, {"beta_slow", 1}, {"mscale", 1.0}, {"mscale_all_dim", 1.0},
                            {"rope_theta", 10000.0}}},
          {"eos_token_id", 1}};
}

}  // namespace r1b::model::testing
