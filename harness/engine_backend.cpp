#include "harness/engine_backend.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "harness/engine_generator.h"

namespace r1b::harness {
namespace {

// Worker threads the engine asks the runner for at most (two batches of 256 one-sample tasks).
constexpr int64_t kMaxWorkers = 512;

class EngineBackend final : public Backend {
 public:
  EngineBackend(std::unique_ptr<EngineGenerator> generator, std::string dir)
      : generator_(std::move(generator)), dir_(std::move(dir)) {}

  std::string name() const override { return "engine:" + dir_; }
  int preferred_concurrency(int samples_per_task) const override {
    const int64_t per_task = std::max(1, samples_per_task);
    const int64_t tasks_per_batch = (generator_->device().max_num_seqs + per_task - 1) / per_task;
    return static_cast<int>(std::min<int64_t>(kMaxWorkers, 2 * tasks_per_batch));
  }
  std::string model() const override { return generator_->model_name(); }

  Result<std::vector<Completion>> generate(const GenerationRequest& request) override {
    // One engine request per run of consecutive sample indices, so the samples share the prompt's
    // prefill; sample k draws from model::sample_seed(task seed, k) whichever request carries it,
    // so a resumed run regenerates a missing sample exactly.
    const uint64_t task_seed = sample_seed(request.sampling.seed, request.pack, request.task->id, 0);
    std::vector<TextRequest> requests;
    for (std::size_t i = 0; i < request.sample_indices.size();) {
      std::size_t end = i + 1;
      while (end < request.sample_indices.size() &&
             request.sample_indices[end] == request.sample_indices[end - 1] + 1) {
        ++end;
      }
      TextRequest r;
      r.prompt = request.prompt;
      r.n = static_cast<int>(end - i);
      r.temperature = request.sampling.temperature;
      r.top_p = request.sampling.top_p;
      r.max_tokens = request.sampling.max_tokens;
      r.seed = task_seed;
      r.first_sample = request.sample_indices[i];
      requests.push_back(std::move(r));
      i = end;
    }
    const auto start = std::chrono::steady_clock::now();
    auto results = generator_->generate_all(requests);
    if (!results.is_ok()) {
      return results.status().with_context("engine: task " + request.task->id);
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::vector<Completion> out;
    for (std::size_t r = 0; r < results->size(); ++r) {
      const TextResult& result = (*results)[r];
      for (std::size_t i = 0; i < result.choices.size(); ++i) {
        const TextChoice& choice = result.choices[i];
        out.push_back({static_cast<int>(requests[r].first_sample + static_cast<int64_t>(i)), choice.text,
                       result.prompt_tokens, choice.completion_tokens, ms, choice.finish_reason});
      }
    }
    return out;
  }

  nlohmann::json engine_stats() const override { return generator_->stats_json(); }

 private:
  std::unique_ptr<EngineGenerator> generator_;
  std::string dir_;
};

}  // namespace

Result<std::unique_ptr<Backend>> make_engine_backend(const nlohmann::json& config, const std::string& where) {
  for (const auto& [key, value] : config.items()) {
    if (key != "type" && key != "model" && key != "device" && key != "threads" && key != "chat_format" &&
        key != "max_context" && key != "max_num_seqs" && key != "gpu_memory_fraction" && key != "peak_tflops" &&
        key != "tensor_parallel") {
      return Status::invalid_input(where + ": unknown key \"" + key + "\" in the engine backend");
    }
  }
  if (!config.contains("model") || !config["model"].is_string()) {
    return Status::invalid_input(where + ": the engine backend needs \"model\": a checkpoint folder");
  }
  EngineGeneratorOptions options;
  auto integer = [&](const char* key, auto& out) -> Status {
    if (!config.contains(key)) return Status::ok();
    if (!config[key].is_number_integer() || config[key].get<int64_t>() < 0) {
      return Status::invalid_input(where + ": \"" + key + "\" must be a non-negative integer");
    }
    out = config[key].get<std::remove_reference_t<decltype(out)>>();
    return Status::ok();
  };
  R1B_RETURN_IF_ERROR(integer("threads", options.threads));
  R1B_RETURN_IF_ERROR(integer("max_context", options.max_context));
  R1B_RETURN_IF_ERROR(integer("max_num_seqs", options.max_num_seqs));
  R1B_RETURN_IF_ERROR(integer("tensor_parallel", options.tensor_parallel));
  auto text = [&](const char* key, std::string& out) -> Status {
    if (!config.contains(key)) return Status::ok();
    if (!config[key].is_string()) return Status::invalid_input(where + ": \"" + key + "\" must be a string");
    out = config[key];
    return Status::ok();
  };
  auto number = [&](const char* key, double& out) -> Status {
    if (!config.contains(key)) return Status::ok();
    if (!config[key].is_number()) return Status::invalid_input(where + ": \"" + key + "\" must be a number");
    out = config[key];
    return Status::ok();
  };
  R1B_RETURN_IF_ERROR(text("chat_format", options.chat_format));
  R1B_RETURN_IF_ERROR(text("device", options.device));
  R1B_RETURN_IF_ERROR(number("gpu_memory_fraction", options.gpu_memory_fraction));
  R1B_RETURN_IF_ERROR(number("peak_tflops", options.peak_tflops));
  const std::string dir = config["model"];
  if (!std::filesystem::is_directory(dir)) {
    return Status::not_found(where + ": model folder " + dir + " does not exist");
  }
  auto generator = EngineGenerator::load(dir, options);
  if (!generator.is_ok()) return generator.status().with_context(where);
  // Said once per run: the device and KV capacity, and when the checkpoint's Jinja chat template
  // differs from the format the engine uses.
  std::cerr << (*generator)->load_summary();
  if (!(*generator)->template_warning().empty()) std::cerr << "r1bench: " << (*generator)->template_warning() << "\n";
  return std::unique_ptr<Backend>(new EngineBackend(std::move(*generator), dir));
}

}  // namespace r1b::harness
