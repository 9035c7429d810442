#include <functional>

#include "model/arch/architecture.h"

namespace r1b::model {

namespace {

using ArchParser = std::function<Result<std::unique_ptr<ArchSpec>>(const nlohmann::json&, const std::string&,
                                                                   const std::string&)>;

struct ArchEntry {
  const char* name;
  ArchParser parse;
};

const std::vector<ArchEntry>& registry() {
  static const std::vector<ArchEntry> kEntries = {
      {"Qwen2ForCausalLM", parse_qwen2},
      {"LlamaForCausalLM", parse_qwen2},
      {"DeepseekV3ForCausalLM", parse_deepseek},
      {"DeepseekV2ForCausalLM", parse_deepseek},
  };
  return kEntries;
}

std::string supported_list() {
  std::string names;
  for (const ArchEntry& entry : registry()) names += (names.empty() ? "" : ", ") + std::string(entry.name);
  return names;
}

}  // namespace

std::vector<std::string> supported_architectures() {
  std::vector<std::string> names;
  for (const ArchEntry& entry : registry()) names.emplace_back(entry.name);
  return names;
}

Result<std::unique_ptr<ArchSpec>> parse_arch(const nlohmann::json& config, const std::string& where) {
  if (!config.contains("architectures") || !config["architectures"].is_array() || config["architectures"].empty() ||
      !config["architectures"][0].is_string()) {
    return Status::invalid_input(where + ": \"architectures\" is missing; expected one of: " + supported_list());
  }
  const std::string name = config["architectures"][0].get<std::string>();
  for (const ArchEntry& entry : registry()) {
    if (name == entry.name) return entry.parse(config, where, name);
  }
  return Status::invalid_input(where + ": unsupported architecture '" + name + "'; supported: " + supported_list());
}

}  // namespace r1b::model
