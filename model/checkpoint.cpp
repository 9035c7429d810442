#include "model/checkpoint.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace r1b::model {

namespace {

Result<nlohmann::json> read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return Status::not_found(path.string() + ": missing (a Hugging Face checkpoint folder needs it)");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json json = nlohmann::json::parse(text.str(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) return Status::invalid_input(path.string() + ": not a JSON object");
  return json;
}

// [bo, bi] from config.quantization_config.weight_block_size (default 128 × 128).
Result<std::pair<int64_t, int64_t>> weight_block_size(const nlohmann::json& config, const std::filesystem::path& dir) {
  std::pair<int64_t, int64_t> block{128, 128};
  if (!config.contains("quantization_config")) return block;
  const nlohmann::json& quant = config["quantization_config"];
  if (!quant.is_object() || !quant.contains("weight_block_size")) return block;
  const nlohmann::json& size = quant["weight_block_size"];
  if (!size.is_array() || size.size() != 2 || !size[0].is_number_unsigned() || !size[1].is_number_unsigned() ||
      size[0].get<int64_t>() == 0 || size[1].get<int64_t>() == 0) {
    return Status::invalid_input((dir / "config.json").string() +
                                 ": quantization_config.weight_block_size must be two positive integers");
  }
  return std::pair<int64_t, int64_t>{size[0].get<int64_t>(), size[1].get<int64_t>()};
}

}  // namespace

Result<std::unique_ptr<Checkpoint>> Checkpoint::open(const std::filesystem::path& dir) {
  if (!std::filesystem::is_directory(dir)) {
    return Status::not_found(dir.string() + ": no such checkpoint folder");
  }
  Result<nlohmann::json> config = read_json(dir / "config.json");
  R1B_RETURN_IF_ERROR(config);

  std::vector<std::string> file_names;
  const std::filesystem::path index_path = dir / "model.safetensors.index.json";
  if (std::filesystem::exists(index_path)) {
    Result<nlohmann::json> index = read_json(index_path);
    R1B_RETURN_IF_ERROR(index);
    if (!index->contains("weight_map") || !(*index)["weight_map"].is_object()) {
      return Status::invalid_input(index_path.string() + ": has no \"weight_map\" object");
    }
    std::set<std::string> unique;
    for (const auto& [tensor, file] : (*index)["weight_map"].items()) {
      if (!file.is_string()) return Status::invalid_input(index_path.string() + ": weight_map['" + tensor + "'] is not a file name");
      unique.insert(file.get<std::string>());
    }
    file_names.assign(unique.begin(), unique.end());
  } else if (std::filesystem::exists(dir / "model.safetensors")) {
    file_names.push_back("model.safetensors");
  } else {
    return Status::not_found(dir.string() + ": no model.safetensors and no model.safetensors.index.json");
  }

  std::unique_ptr<Checkpoint> checkpoint(new Checkpoint());
  checkpoint->dir_ = dir;
  checkpoint->config_ = std::move(config).value();
  for (const std::string& name : file_names) {
    Result<std::unique_ptr<SafetensorsFile>> file = SafetensorsFile::open(dir / name);
    R1B_RETURN_IF_ERROR(file);
    const SafetensorsFile* raw = file->get();
    for (const TensorEntry& entry : raw->tensors()) {
      checkpoint->entries_[entry.name] = &entry;
      checkpoint->owner_[&entry] = raw;
    }
    checkpoint->files_.push_back(std::move(file).value());
  }
  return checkpoint;
}

bool Checkpoint::has(const std::string& name) const { return entries_.count(name) != 0; }

const TensorEntry* Checkpoint::find(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : it->second;
}

Result<std::vector<float>> Checkpoint::read_fp32(const std::string& name, std::span<const int64_t> shape) const {
  const TensorEntry* entry = find(name);
  if (entry == nullptr) {
    return Status::not_found("checkpoint " + dir_.string() + ": missing tensor '" + name + "' (expected shape " +
                             shape_string(shape) + ")");
  }
  const std::string file = owner_.at(entry)->path().filename().string();
  if (!std::equal(entry->shape.begin(), entry->shape.end(), shape.begin(), shape.end())) {
    return Status::invalid_input("checkpoint " + dir_.string() + ": tensor '" + name + "' in " + file +
                                 " has shape " + shape_string(entry->shape) + ", expected " + shape_string(shape));
  }
  std::vector<float> values(entry->numel());
  R1B_RETURN_IF_ERROR(convert_to_fp32(*entry, values).with_context("checkpoint " + dir_.string()));
  if (entry->dtype != DType::kF8E4M3) return values;

  if (shape.size() != 2) {
    return Status::invalid_input("checkpoint " + dir_.string() + ": F8_E4M3 tensor '" + name +
                                 "' is not 2-D; only block-quantized linear weights may be fp8");
  }
  Result<std::pair<int64_t, int64_t>> block = weight_block_size(config_, dir_);
  R1B_RETURN_IF_ERROR(block);
  const auto [block_out, block_in] = *block;
  const int64_t rows = shape[0];
  const int64_t cols = shape[1];
  const int64_t scale_shape[2] = {(rows + block_out - 1) / block_out, (cols + block_in - 1) / block_in};
  const TensorEntry* scale_entry = find(name + "_scale_inv");
  if (scale_entry == nullptr || scale_entry->dtype != DType::kF32) {
    return Status::invalid_input("checkpoint " + dir_.string() + ": F8_E4M3 tensor '" + name + "' needs an F32 '" +
                                 name + "_scale_inv' of shape " + shape_string(scale_shape));
  }
  Result<std::vector<float>> scales = read_fp32(name + "_scale_inv", scale_shape);
  R1B_RETURN_IF_ERROR(scales);
  for (int64_t r = 0; r < rows; ++r) {
    const float* scale_row = scales->data() + (r / block_out) * scale_shape[1];
    float* row = values.data() + r * cols;
    for (int64_t c = 0; c < cols; ++c) row[c] *= scale_row[c / block_in];
  }
  return values;
}

}  // namespace r1b::model
