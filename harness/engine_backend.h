// Engine backend: completions from the in-tree engine (harness/engine_generator.h), loaded from a
// Hugging Face checkpoint folder — `r1bench run --model DIR`.
//
// Config (the suite's "backend" object; unknown keys are InvalidInput errors naming `where`):
//   {"type": "engine",
//    "model": "checkpoints/R1-Distill-Qwen-1.5B",   // required: the checkpoint folder
//    "device": "auto",                              // auto | cpu | cuda (harness/engine_generator.h)
//    "threads": 0,                                  // CPU backend threads (0: all)
//    "chat_format": "",                             // "" picks from the tokenizer (model/chat_format.h)
//    "max_context": 0,                              // KV cache tokens per sequence (0: the model's, <= 8192)
//    "max_num_seqs": 0,                             // sequences batched at once (0: 64 on cpu, 256 on cuda;
//                                                   // GPU: capped by the KV cache)
//    "gpu_memory_fraction": 0.90,                   // share of free GPU memory for KV cache + activations
//    "peak_tflops": 0,                              // dense bf16 peak per GPU for MFU (0: model/device_peaks.h)
//    "tensor_parallel": 1}                          // GPUs (cpu: ranks) the model is split over
// The harness's rendered prompt (its --template) is what the engine continues; pick the template of
// the model's family (r1 for R1 and R1-Distill checkpoints). A task's samples go as one engine
// request (n samples sharing the prompt's prefill); sample k draws from model::sample_seed(task
// seed, k) with task seed = sample_seed(run seed, pack, task id, 0), so a resumed run draws the
// same tokens for the samples it regenerates. Concurrent tasks are batched into the same engine
// steps.
// The model loads when the backend is made (errors name the folder and the file); the device choice
// and KV capacity (EngineGenerator::load_summary) and a chat-template warning (model/chat_format.h)
// are printed once on stderr then. engine_stats() is EngineGenerator::stats_json(): throughput,
// prefill / decode tokens/s, MFU and bandwidth utilization.
// Thread-safe: generate() may be called from any number of threads.
#pragma once

#include "harness/backend.h"

namespace r1b::harness {

Result<std::unique_ptr<Backend>> make_engine_backend(const nlohmann::json& config, const std::string& where);

}  // namespace r1b::harness
