"""Benchmark: SFT training throughput of the Mistral-7B-v0.3 architecture, random weights, one GPU.

Usage: python -m trainers.bench_sft [--layers 32] [--steps 10] [--warmup 3] [--seq 700] [--batch 4]
                                    [--grad-ckpt] [--peak-tflops 989] [--hidden small]
Builds `MistralForCausalLM(config)` in bf16 (no download), FlashAttention-2 if importable else SDPA,
AdamW (fused where available) over the bf16 parameters, as the SFT trainer does with bf16 weights.
Each step is forward + backward + optimizer step on `batch` rows of `seq` random token ids (one packed
row per sequence, loss on every token). Prints tokens/s, peak memory and model FLOPs utilisation.
`--hidden small --layers 1` gives a tiny fp32 model for a CPU smoke run. Not part of any cache key.
"""

from __future__ import annotations

import argparse
import importlib.util
import time

import torch
from transformers import MistralConfig, MistralForCausalLM

MISTRAL_7B = {"hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
              "intermediate_size": 14336, "vocab_size": 32768, "max_position_embeddings": 32768,
              "head_dim": 128, "sliding_window": None}  # fmt: skip
# rope_theta (1e6 in v0.3) is left at the default: it costs nothing extra, and Transformers 4 and 5 name it differently.
SMALL = {"hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 128,
         "head_dim": 16}  # fmt: skip
# Dense (no sparsity) bf16 tensor-core peak per GPU, in TFLOPS, matched against the device name.
PEAK_BF16_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "A10G": 125.0}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--layers", type=int, default=32)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--seq", type=int, default=700)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--grad-ckpt", action="store_true", help="gradient checkpointing (recomputes the forward)")
    p.add_argument("--peak-tflops", type=float, default=None, help="override the GPU's dense bf16 peak")
    p.add_argument("--hidden", choices=["full", "small"], default="full", help="small: tiny CPU smoke config")
    return p.parse_args()


def model_flops_per_token(n_params: int, layers: int, hidden: int, seq: int) -> float:
    # PaLM-style (Chowdhery et al. 2022, App. B) training FLOPs per token:
    #   6*N + 12*L*H*S
    # N = parameters taking part in matmuls (all parameters minus the input embedding table, which is a
    # lookup; the untied lm_head is counted), 6 = 2 (multiply-add) x 3 (forward + 2x backward);
    # 12*L*H*S = QK^T and attention-times-V (2 matmuls x 2 FLOPs x S x H per layer per token, x3 for
    # training), counted for the full S x S matrix although the mask is causal (the usual convention).
    # Recomputation under gradient checkpointing is not counted: this is model FLOPs, not hardware FLOPs.
    return 6 * n_params + 12 * layers * hidden * seq


def main() -> None:
    args = parse_args()
    cuda = torch.cuda.is_available()
    if not cuda and args.hidden != "small":
        raise SystemExit("bench_sft: no CUDA GPU found; the full Mistral-7B benchmark needs one "
                         "(for a CPU smoke run use --hidden small --layers 1)")  # fmt: skip
    device = torch.device("cuda" if cuda else "cpu")
    dtype = torch.bfloat16 if cuda else torch.float32
    attn = "flash_attention_2" if cuda and importlib.util.find_spec("flash_attn") is not None else "sdpa"
    dims = {**MISTRAL_7B, **(SMALL if args.hidden == "small" else {}), "num_hidden_layers": args.layers}
    config = MistralConfig(**dims, tie_word_embeddings=False, use_cache=False)
    config._attn_implementation = attn
    torch.manual_seed(0)
    torch.set_default_dtype(dtype)  # initialise directly in bf16 on the GPU: no fp32 copy of 7B weights
    with torch.device(device):
        model = MistralForCausalLM(config).to(dtype)
    torch.set_default_dtype(torch.float32)
    if args.grad_ckpt:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.train()
    n_total = sum(p.numel() for p in model.parameters())
    n_matmul = n_total - model.get_input_embeddings().weight.numel()
    try:
        opt = torch.optim.AdamW(model.parameters(), lr=1e-5, fused=cuda)
        fused = cuda
    except (RuntimeError, TypeError):
        opt, fused = torch.optim.AdamW(model.parameters(), lr=1e-5), False

    gen = torch.Generator(device=device).manual_seed(0)

    def step() -> torch.Tensor:
        ids = torch.randint(0, config.vocab_size, (args.batch, args.seq), device=device, generator=gen)
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss

    for _ in range(args.warmup):
        step()
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    if cuda:
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    tokens = args.steps * args.batch * args.seq
    tok_s = tokens / elapsed
    flops = model_flops_per_token(n_matmul, args.layers, config.hidden_size, args.seq) * tokens
    name = torch.cuda.get_device_name() if cuda else "cpu"
    peak = args.peak_tflops
    if peak is None:
        peak = next((v for k, v in PEAK_BF16_TFLOPS.items() if k in name), None)
    print(f"device={name} attn={attn} dtype={str(dtype).removeprefix('torch.')} fused_adamw={fused} "
          f"grad_ckpt={args.grad_ckpt} layers={args.layers} batch={args.batch} seq={args.seq}")  # fmt: skip
    print(f"params total={n_total / 1e9:.3f}B matmul(N)={n_matmul / 1e9:.3f}B final_loss={loss.item():.3f}")
    print(f"steps={args.steps} elapsed={elapsed:.3f}s step_time={elapsed / args.steps * 1e3:.1f}ms")
    print(f"tokens/s={tok_s:,.0f} achieved_TFLOPS={flops / elapsed / 1e12:.1f}")
    if cuda:
        print(f"peak_mem_allocated={torch.cuda.max_memory_allocated() / 1e9:.2f}GB "
              f"peak_mem_reserved={torch.cuda.max_memory_reserved() / 1e9:.2f}GB")  # fmt: skip
    if peak:
        print(f"MFU={flops / elapsed / (peak * 1e12) * 100:.1f}% (peak {peak:.0f} TFLOPS dense bf16)")
    else:
        print("MFU=n/a (unknown device peak; pass --peak-tflops)")


if __name__ == "__main__":
    main()
