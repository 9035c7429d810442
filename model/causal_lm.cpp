#include "model/causal_lm.h"

#include "model/arch/architecture.h"
#include "model/checkpoint.h"

namespace r1b::model {

KvCache allocate_kv_cache(Backend& backend, const KvLayout& layout, int64_t num_blocks, int64_t block_size) {
  KvCache cache;
  cache.block_size = block_size;
  cache.num_blocks = num_blocks;
  const DType dtype = backend.kv_cache_dtype();
  for (int64_t l = 0; l < layout.num_layers; ++l) {
    cache.k.push_back(backend.alloc({num_blocks * block_size, layout.k_row}, dtype));
    cache.v.push_back(layout.v_row == 0 ? Tensor() : backend.alloc({num_blocks * block_size, layout.v_row}, dtype));
  }
  return cache;
}

Result<std::unique_ptr<CausalLm>> load_causal_lm(const std::filesystem::path& dir, Backend& backend) {
  Result<std::unique_ptr<Checkpoint>> checkpoint = Checkpoint::open(dir);
  R1B_RETURN_IF_ERROR(checkpoint);
  Result<std::unique_ptr<ArchSpec>> spec = parse_arch((*checkpoint)->config(), (dir / "config.json").string());
  R1B_RETURN_IF_ERROR(spec);
  WeightLoader weights(**checkpoint, backend);
  return (*spec)->build(weights, backend);
}

Result<ForwardCost> forward_cost(const nlohmann::json& config, const std::string& where,
                                 std::span<const SeqWork> batch, const CostOptions& options) {
  Result<std::unique_ptr<ArchSpec>> spec = parse_arch(config, where);
  R1B_RETURN_IF_ERROR(spec);
  return (*spec)->cost(batch, options);
}

}  // namespace r1b::model
