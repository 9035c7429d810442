#include "model/rope.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "model/config_reader.h"

namespace r1b::model {

namespace {

constexpr const char* kSupportedRopeTypes = "default, linear, llama3, yarn";

}  // namespace

double yarn_mscale(double scale, double mscale) {
  return scale <= 1.0 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0;
}

Result<RopeConfig> parse_rope_config(const nlohmann::json& config, const std::string& where) {
  RopeConfig rope;
  nlohmann::json params = nlohmann::json::object();
  if (config.contains("rope_parameters") && config["rope_parameters"].is_object()) {
    params = config["rope_parameters"];
  } else if (config.contains("rope_scaling") && config["rope_scaling"].is_object()) {
    params = config["rope_scaling"];
  }
  ConfigReader top(config, where);
  ConfigReader reader(params, where + " (rope parameters)");
  rope.theta = reader.number_or("rope_theta", top.number_or("rope_theta", 10000.0));
  rope.type = reader.string_or("rope_type", reader.string_or("type", "default"));
  if (rope.type != "default") rope.factor = reader.number_or("factor", 1.0);
  rope.original_max_position_embeddings = reader.integer_or("original_max_position_embeddings", 0);
  if (rope.type == "llama3") {
    rope.low_freq_factor = reader.number("low_freq_factor");
    rope.high_freq_factor = reader.number("high_freq_factor");
    if (rope.original_max_position_embeddings == 0) reader.fail("original_max_position_embeddings", "is required by llama3 rope");
  } else if (rope.type == "yarn") {
    rope.beta_fast = reader.number_or("beta_fast", 32.0);
    rope.beta_slow = reader.number_or("beta_slow", 1.0);
    rope.mscale = reader.number_or("mscale", 0.0);
    rope.mscale_all_dim = reader.number_or("mscale_all_dim", 0.0);
    if (params.contains("attention_factor") && !params["attention_factor"].is_null()) {
      rope.attention_factor = reader.number("attention_factor");
    }
    rope.truncate = reader.boolean_or("truncate", true);
  } else if (rope.type != "default" && rope.type != "linear") {
    return Status::invalid_input(where + ": unsupported rope type '" + rope.type + "' (supported: " +
                                 kSupportedRopeTypes + ")");
  }
  R1B_RETURN_IF_ERROR(top.status());
  R1B_RETURN_IF_ERROR(reader.status());
  return rope;
}

RopeTable make_rope_table(const RopeConfig& rope, int64_t rot_dim, int64_t max_position_embeddings, bool interleaved) {
  RopeTable table;
  table.interleaved = interleaved;
  const int64_t half = rot_dim / 2;
  // base^(2i/dim) in fp32 as transformers computes it.
  std::vector<float> pos_freq(half);
  for (int64_t i = 0; i < half; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(rot_dim);
    pos_freq[i] = static_cast<float>(std::pow(rope.theta, static_cast<double>(exponent)));
  }
  table.inv_freq.resize(half);
  for (int64_t i = 0; i < half; ++i) table.inv_freq[i] = 1.0f / pos_freq[i];

  if (rope.type == "linear") {
    for (float& freq : table.inv_freq) freq = static_cast<float>(freq / rope.factor);
  } else if (rope.type == "llama3") {
    const auto old_context = static_cast<double>(rope.original_max_position_embeddings);
    const double low_freq_wavelen = old_context / rope.low_freq_factor;
    const double high_freq_wavelen = old_context / rope.high_freq_factor;
    for (float& freq : table.inv_freq) {
      const double wavelen = 2.0 * std::numbers::pi / freq;
      if (wavelen > low_freq_wavelen) {
        freq = static_cast<float>(freq / rope.factor);
      } else if (wavelen >= high_freq_wavelen) {
        const double smooth = (old_context / wavelen - rope.low_freq_factor) / (rope.high_freq_factor - rope.low_freq_factor);
        freq = static_cast<float>((1.0 - smooth) * freq / rope.factor + smooth * freq);
      }
    }
  } else if (rope.type == "yarn") {
    const auto original = static_cast<double>(
        rope.original_max_position_embeddings > 0 ? rope.original_max_position_embeddings : max_position_embeddings);
    if (rope.attention_factor) {
      table.attention_factor = static_cast<float>(*rope.attention_factor);
    } else if (rope.mscale != 0.0 && rope.mscale_all_dim != 0.0) {
      table.attention_factor =
          static_cast<float>(yarn_mscale(rope.factor, rope.mscale) / yarn_mscale(rope.factor, rope.mscale_all_dim));
    } else {
      table.attention_factor = static_cast<float>(yarn_mscale(rope.factor, 1.0));
    }
    const auto correction_dim = [&](double rotations) {
      return (static_cast<double>(rot_dim) * std::log(original / (rotations * 2.0 * std::numbers::pi))) /
             (2.0 * std::log(rope.theta));
    };
    double low = correction_dim(rope.beta_fast);
    double high = correction_dim(rope.beta_slow);
    if (rope.truncate) {
      low = std::floor(low);
      high = std::ceil(high);
    }
    low = std::max(low, 0.0);
    high = std::min(high, static_cast<double>(rot_dim - 1));
    if (low == high) high += 0.001;
    for (int64_t i = 0; i < half; ++i) {
      const float ramp = std::clamp(static_cast<float>((static_cast<double>(i) - low) / (high - low)), 0.0f, 1.0f);
      const float extrapolation_weight = 1.0f - ramp;
      const float interpolated = static_cast<float>(1.0 / (rope.factor * pos_freq[i]));
      const float extrapolated = 1.0f / pos_freq[i];
      table.inv_freq[i] = interpolated * (1.0f - extrapolation_weight) + extrapolated * extrapolation_weight;
    }
  }
  return table;
}

}  // namespace r1b::model
