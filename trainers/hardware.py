"""Resolves "auto" precision and attention settings against the hardware at hand.

bf16 only where the GPU supports it, FlashAttention-2 only where CUDA and the flash_attn package
are present; CPU runs use fp32 and PyTorch's SDPA. Does not place models on devices.
"""

from __future__ import annotations

import importlib.util
from typing import Any


def resolve_precision(requested: str) -> str:
    import torch

    if requested != "auto":
        return requested
    if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return "bf16"
    return "fp32"


def torch_dtype(precision: str) -> Any:
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[precision]


def resolve_attention(requested: str) -> str:
    import torch

    if requested != "auto":
        return requested
    if torch.cuda.is_available() and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return "sdpa"


def world_size() -> int:
    """Processes taking part in data-parallel training, as set by accelerate/torchrun."""
    import os

    return int(os.environ.get("WORLD_SIZE", "1"))
