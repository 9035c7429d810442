// `r1bench serve --model DIR [--device auto|cpu|cuda] [--tensor-parallel N] [--host H] [--port P]`: the in-tree engine
// behind an OpenAI-compatible server (harness/openai_server.h), so `r1bench run --base-url
// http://H:P/v1`, curl and any OpenAI client can use it. Prints the device choice and KV capacity on
// stderr after loading (harness/engine_generator.h), then "serving MODEL on http://H:P/v1" on stdout
// once listening (P is the bound port, useful with --port 0) and runs until killed. Exit 2 when the
// model cannot load (also: --device cuda without a GPU or without CUDA built in) or the port cannot
// be bound, with one line on stderr.
#include <iostream>

#include "harness/commands.h"
#include "harness/engine_generator.h"

namespace r1b::harness {

void add_serve_command(CLI::App& app, int& exit_code) {
  struct ServeFlags {
    std::string model;
    std::string chat_format;
    ServeOptions server;
    EngineGeneratorOptions engine;
  };
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand("serve", "serve a checkpoint with the in-tree engine (OpenAI-compatible API)");
  cmd->add_option("--model", flags->model, "Hugging Face checkpoint folder")->required();
  cmd->add_option("--host", flags->server.host, "address to listen on")->capture_default_str();
  cmd->add_option("--port", flags->server.port, "port (0: any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->add_option("--http-threads", flags->server.threads, "concurrent HTTP requests")->capture_default_str()->check(CLI::Range(1, 1024));
  cmd->add_option("--device", flags->engine.device, "auto (cuda when a GPU is visible), cpu or cuda")
      ->capture_default_str()->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->add_option("--gpu-memory-fraction", flags->engine.gpu_memory_fraction,
                  "share of free GPU memory for the KV cache and activations")->capture_default_str()
      ->check(CLI::Range(0.01, 1.0));
  cmd->add_option("--peak-tflops", flags->engine.peak_tflops, "dense bf16 peak for MFU (default: the GPU's datasheet figure)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--tensor-parallel", flags->engine.tensor_parallel,
                  "split the model over this many GPUs (cpu: ranks) with NCCL")->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->add_option("--threads", flags->engine.threads, "CPU backend threads (0: all)")->check(CLI::Range(0, 4096));
  cmd->add_option("--chat-format", flags->engine.chat_format, "r1, deepseek_v3, qwen2 or llama3 (default: from the tokenizer)");
  cmd->add_option("--max-context", flags->engine.max_context, "KV cache tokens per sequence (0: the model's, at most 8192)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 24));
  cmd->add_option("--max-num-seqs", flags->engine.max_num_seqs, "sequences batched at once (0: 64 on cpu, 256 on cuda)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{65536}));
  cmd->callback([flags, &exit_code] {
    auto generator = EngineGenerator::load(flags->model, flags->engine);
    if (!generator.is_ok()) {
      std::cerr << "r1bench serve: " << generator.status().message() << "\n";
      exit_code = 2;
      return;
    }
    std::cerr << (*generator)->load_summary();
    if (!(*generator)->template_warning().empty()) std::cerr << "r1bench serve: " << (*generator)->template_warning() << "\n";
    auto server = OpenAIServer::start(**generator, flags->server);
    if (!server.is_ok()) {
      std::cerr << "r1bench serve: " << server.status().message() << "\n";
      exit_code = 2;
      return;
    }
    std::cout << "serving " << (*generator)->model_name() << " (chat format " << (*generator)->chat_format().name
              << ") on http://" << flags->server.host << ":" << (*server)->port() << "/v1" << std::endl;
    (*server)->wait();
  });
}

}  // namespace r1b::harness
