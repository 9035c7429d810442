// Rotary position embedding parameters from config.json, and the inverse-frequency tables the
// backends apply (private to model/; shared by every architecture).
//
// Reads transformers 5's "rope_parameters" object (rope_type, rope_theta, ...) or the older
// top-level "rope_theta" + "rope_scaling" pair. rope_type: "default", "linear", "llama3", "yarn"
// (with factor, original_max_position_embeddings, beta_fast, beta_slow, mscale, mscale_all_dim,
// attention_factor, truncate), computed as transformers' modeling_rope_utils does. Any other type
// (e.g. "dynamic", whose frequencies change with the batch's length) is an InvalidInput error
// listing the supported ones.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "model/backend.h"

namespace r1b::model {

struct RopeConfig {
  std::string type = "default";
  double theta = 10000.0;
  double factor = 1.0;
  int64_t original_max_position_embeddings = 0;  // 0: use max_position_embeddings
  double low_freq_factor = 1.0;                  // llama3
  double high_freq_factor = 4.0;                 // llama3
  double beta_fast = 32.0;                       // yarn
  double beta_slow = 1.0;                        // yarn
  double mscale = 0.0;                           // yarn (0: unset)
  double mscale_all_dim = 0.0;                   // yarn (0: unset)
  std::optional<double> attention_factor;        // yarn
  bool truncate = true;                          // yarn
};

// Reads the rope keys of `config`; `where` names config.json in errors.
Result<RopeConfig> parse_rope_config(const nlohmann::json& config, const std::string& where);

// The table for `rot_dim` rotated dims (even) of a model with `max_position_embeddings`.
RopeTable make_rope_table(const RopeConfig& rope, int64_t rot_dim, int64_t max_position_embeddings, bool interleaved);

// YaRN's magnitude correction: 0.1 · mscale · ln(scale) + 1 for scale > 1, else 1.
double yarn_mscale(double scale, double mscale);

}  // namespace r1b::model
