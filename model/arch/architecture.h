// ArchSpec: one architecture's parsed config, its cost model and its graph builder, and the
// registry from config.json's "architectures" string to the file that implements it (private to
// model/; STYLE rule 6: a new model is one file in arch/ and one line in registry.cpp).
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "model/causal_lm.h"
#include "model/layers.h"

namespace r1b::model {

class ArchSpec {
 public:
  virtual ~ArchSpec() = default;
  virtual ForwardCost cost(std::span<const SeqWork> batch, const CostOptions& options) const = 0;
  // Reads the weights through `weights` and returns the model on `backend` (borrowed).
  virtual Result<std::unique_ptr<CausalLm>> build(WeightLoader& weights, Backend& backend) const = 0;
};

// The ArchSpec of an architecture file: its parsed Config, its cost function, and a Model class
// constructed as Model(config, backend) and filled by Model::load(weights).
template <typename Config, typename Model,
          ForwardCost (*kCost)(const Config&, std::span<const SeqWork>, const CostOptions&)>
class ArchSpecOf final : public ArchSpec {
 public:
  explicit ArchSpecOf(Config config) : config_(std::move(config)) {}
  ForwardCost cost(std::span<const SeqWork> batch, const CostOptions& options) const override {
    return kCost(config_, batch, options);
  }
  Result<std::unique_ptr<CausalLm>> build(WeightLoader& weights, Backend& backend) const override {
    auto model = std::make_unique<Model>(config_, backend);
    R1B_RETURN_IF_ERROR(model->load(weights));
    return std::unique_ptr<CausalLm>(std::move(model));
  }

 private:
  Config config_;
};

// Parses `config` (named `where` in errors) for the architecture it names. An unknown or missing
// "architectures" value is InvalidInput naming it and listing supported_architectures().
Result<std::unique_ptr<ArchSpec>> parse_arch(const nlohmann::json& config, const std::string& where);

// One parser per architecture file.
Result<std::unique_ptr<ArchSpec>> parse_qwen2(const nlohmann::json& config, const std::string& where,
                                              const std::string& architecture);
Result<std::unique_ptr<ArchSpec>> parse_deepseek(const nlohmann::json& config, const std::string& where,
                                                 const std::string& architecture);

}  // namespace r1b::model
