"""Seeding and deterministic-algorithm flags: the one place where they are set.

On CPU every command is bit-for-bit reproducible for a given spec: seeds for Python, NumPy and
torch, `torch.use_deterministic_algorithms(True)`, and one intra-op thread (reductions split over
a varying number of threads sum in a varying order). On CUDA we seed but leave the fast
non-deterministic kernels on: the paper-scale runs trade bit-exactness for throughput.
"""

from __future__ import annotations

import os
import random


def set_determinism(seed: int) -> None:
    # Must precede the first CUDA/cuBLAS call to take effect; harmless on CPU.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    import numpy as np
    import torch
    from transformers import set_seed

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    set_seed(seed)
    if not torch.cuda.is_available():
        torch.use_deterministic_algorithms(True)
        torch.set_num_threads(1)
