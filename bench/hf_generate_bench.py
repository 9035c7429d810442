#!/usr/bin/env python3
"""The peer measurement for bench/engine_bench: PyTorch + transformers generate() on the same GPU.

Builds a random-weight Qwen2ForCausalLM of the R1-Distill-Qwen-1.5B (or, --shape 7b, -7B) config
(the shapes engine_bench writes; bf16, SDPA attention, static-free default cache) — or, with --shape
v2-lite | v3-layer, DeepseekV2ForCausalLM / DeepseekV3ForCausalLM with the configs engine_bench writes
for those shapes (DeepSeek-V2-Lite; one DeepSeek-V3 layer at full width with a 4096-token
vocabulary), initialised directly on the GPU in bf16 — and times, per batch size B:

  prefill  generate(max_new_tokens=1) on B random prompts of CONTEXT tokens;
  decode   generate(max_new_tokens=1 + STEPS) minus the prefill run, divided by STEPS: the
           wall time of one decode step at a context of about CONTEXT + STEPS / 2 tokens.

Decode tokens/s = B / step time, the figure engine_bench reports for its decode rows at the same B
and a context of CONTEXT. Greedy decoding, EOS disabled (min_new_tokens), so every step runs.
Needs torch and transformers (the GPU machine has torch 2.11, transformers 5.17); no network.

With --json the table goes to stderr and stdout carries one JSON object per batch size (batch,
context, prefill_ms, prefill_tok_s, decode_step_ms, decode_tok_s): engine_bench --peer reads it.

Usage: python3 bench/hf_generate_bench.py [--shape 1.5b|7b|v2-lite|v3-layer] [--batches 1,16,64] [--context 1024]
                                         [--steps 64] [--json]
"""
import argparse
import json
import sys
import time

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM


# (hidden, intermediate, heads, kv heads, vocab) of the shapes bench/engine_bench.cpp writes.
SHAPES = {"1.5b": (1536, 8960, 12, 2, 151936), "7b": (3584, 18944, 28, 4, 152064)}

# The DeepSeek configs bench/engine_bench.cpp writes (deepseek_config()): shared keys, then per shape.
DEEPSEEK_COMMON = dict(qk_nope_head_dim=128, qk_rope_head_dim=64, v_head_dim=128, kv_lora_rank=512, moe_layer_freq=1,
                       attention_bias=False, rms_norm_eps=1e-6, rope_theta=10000.0, max_position_embeddings=163840,
                       tie_word_embeddings=False)
DEEPSEEK = {
    "v2-lite": dict(vocab_size=102400, hidden_size=2048, intermediate_size=10944, moe_intermediate_size=1408,
                    num_hidden_layers=27, num_attention_heads=16, num_key_value_heads=16, q_lora_rank=None,
                    n_routed_experts=64, num_experts_per_tok=6, n_shared_experts=2, first_k_dense_replace=1,
                    topk_method="greedy", n_group=1, topk_group=1, scoring_func="softmax", norm_topk_prob=False,
                    routed_scaling_factor=1.0, bos_token_id=100000, eos_token_id=100001,
                    rope_scaling=dict(type="yarn", factor=40, beta_fast=32, beta_slow=1, mscale=0.707,
                                      mscale_all_dim=0.707, original_max_position_embeddings=4096)),
    "v3-layer": dict(vocab_size=4096, hidden_size=7168, intermediate_size=18432, moe_intermediate_size=2048,
                     num_hidden_layers=1, num_attention_heads=128, num_key_value_heads=128, q_lora_rank=1536,
                     n_routed_experts=256, num_experts_per_tok=8, n_shared_experts=1, first_k_dense_replace=0,
                     topk_method="noaux_tc", n_group=8, topk_group=4, scoring_func="sigmoid", norm_topk_prob=True,
                     routed_scaling_factor=2.5, bos_token_id=0, eos_token_id=1,
                     rope_scaling=dict(type="yarn", factor=40, beta_fast=32, beta_slow=1, mscale=1.0,
                                       mscale_all_dim=1.0, original_max_position_embeddings=4096)),
}


def r1_distill_qwen_config(shape: str) -> Qwen2Config:
    hidden, intermediate, heads, kv_heads, vocab = SHAPES[shape]
    return Qwen2Config(vocab_size=vocab, hidden_size=hidden, intermediate_size=intermediate, num_hidden_layers=28,
                       num_attention_heads=heads, num_key_value_heads=kv_heads, rms_norm_eps=1e-6, rope_theta=10000.0,
                       max_position_embeddings=131072, tie_word_embeddings=False, use_sliding_window=False,
                       bos_token_id=151646, eos_token_id=151643)


def build_model(shape: str):
    """The random bf16 model of `shape` on the GPU and its name."""
    if shape in SHAPES:
        config = r1_distill_qwen_config(shape)
        config._attn_implementation = "sdpa"
        return Qwen2ForCausalLM(config).to(device="cuda", dtype=torch.bfloat16), f"R1-Distill-Qwen-{shape.upper()}"
    from transformers import DeepseekV2Config, DeepseekV2ForCausalLM, DeepseekV3Config, DeepseekV3ForCausalLM
    v3 = shape == "v3-layer"
    config = (DeepseekV3Config if v3 else DeepseekV2Config)(**DEEPSEEK_COMMON, **DEEPSEEK[shape])
    config._attn_implementation = "sdpa"
    # Initialised where it runs: V2-Lite is 15.7 B parameters, too slow to initialise in fp32 on the host.
    torch.set_default_dtype(torch.bfloat16)
    with torch.device("cuda"):
        model = (DeepseekV3ForCausalLM if v3 else DeepseekV2ForCausalLM)(config)
    torch.set_default_dtype(torch.float32)
    return model, "DeepSeek-V3 (one layer)" if v3 else "DeepSeek-V2-Lite"


def timed_generate(model, prompts, new_tokens: int) -> float:
    torch.cuda.synchronize()
    start = time.perf_counter()
    model.generate(prompts, attention_mask=torch.ones_like(prompts), max_new_tokens=new_tokens,
                   min_new_tokens=new_tokens, do_sample=False, pad_token_id=0)
    torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES) + sorted(DEEPSEEK), default="1.5b")
    parser.add_argument("--batches", default="1,16,64")
    parser.add_argument("--context", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=64)
    parser.add_argument("--json", action="store_true", help="one JSON object per batch on stdout, the table on stderr")
    args = parser.parse_args()
    table = sys.stderr if args.json else sys.stdout

    torch.manual_seed(20250601)
    model, name = build_model(args.shape)
    model.eval()
    vocab_size = model.config.vocab_size
    print(f"device: {torch.cuda.get_device_name(0)}; torch {torch.__version__}; "
          f"transformers {__import__('transformers').__version__}", file=table)
    print(f"model: {name} shape, random bf16 weights, sdpa attention, greedy generate()", file=table)
    print(f"{'B':>5} {'ctx':>6} {'prefill_ms':>11} {'prefill_tok/s':>14} {'decode_step_ms':>15} {'decode_tok/s':>13}",
          file=table)
    with torch.inference_mode():
        for batch in (int(b) for b in args.batches.split(",")):
            prompts = torch.randint(0, vocab_size, (batch, args.context), device="cuda")
            timed_generate(model, prompts, 2)  # warm-up
            prefill_s = min(timed_generate(model, prompts, 1) for _ in range(2))
            total_s = timed_generate(model, prompts, 1 + args.steps)
            step_s = (total_s - prefill_s) / args.steps
            print(f"{batch:>5} {args.context:>6} {prefill_s * 1e3:>11.1f} {batch * args.context / prefill_s:>14.0f} "
                  f"{step_s * 1e3:>15.2f} {batch / step_s:>13.1f}", file=table, flush=True)
            if args.json:
                print(json.dumps({"batch": batch, "context": args.context, "prefill_ms": prefill_s * 1e3,
                                  "prefill_tok_s": batch * args.context / prefill_s, "decode_step_ms": step_s * 1e3,
                                  "decode_tok_s": batch / step_s}), flush=True)


if __name__ == "__main__":
    main()
