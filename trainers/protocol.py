"""The wire protocol between the runner and a trainer process.

stdout carries only JSON lines (events); human-readable logs go to stderr. A failure is a
TrainerError with a reason tag; the CLI turns it into the final `{"event":"error",...}` line and a
non-zero exit. This module does not decide what a command does, only how it reports.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Literal

Reason = Literal["bad-spec", "missing-input", "out-of-memory", "internal"]


class TrainerError(Exception):
    """An expected failure, reported to the runner as a value with a reason tag."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason
        self.message = message


# The protocol owns the real stdout; `claim_stdout` points sys.stdout at stderr so that libraries
# printing to stdout (the Trainer prints its metrics dicts) cannot corrupt the event stream.
_EVENTS = sys.stdout


def claim_stdout() -> None:
    sys.stdout = sys.stderr


def emit(event: str, **fields: Any) -> None:
    # Under torchrun every process runs the command: only rank 0 reports, except errors, so the
    # runner sees each step once and still hears why any rank failed.
    if os.environ.get("RANK", "0") != "0" and event != "error":
        return
    _EVENTS.write(json.dumps({"event": event, **fields}) + "\n")
    _EVENTS.flush()


def log(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")
    sys.stderr.flush()


def peak_memory_mb() -> dict[str, float | None]:
    """Peak resident memory of this process and, where CUDA is in use, peak GPU allocation."""
    # ru_maxrss is in KiB on Linux.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    gpu = None
    # Only a command that loaded torch can have used a GPU; importing it here would cost a CPU-only
    # command (bm25) seconds and hundreds of megabytes.
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        gpu = torch.cuda.max_memory_allocated() / (1024 * 1024)
    return {"peak_rss_mb": round(rss, 1), "peak_gpu_mb": None if gpu is None else round(gpu, 1)}


@dataclass
class RunRecord:
    """Accumulates what result.json reports: loss curve, throughput, memory, duration."""

    command: str
    started: float = field(default_factory=time.monotonic)
    loss_curve: list[dict[str, float]] = field(default_factory=list)
    tokens: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def write(self, output_dir: str) -> dict[str, Any]:
        duration = time.monotonic() - self.started
        result = {
            "command": self.command,
            "duration_s": round(duration, 3),
            "loss_curve": self.loss_curve,
            "tokens": self.tokens,
            "tokens_per_s": round(self.tokens / duration, 2) if duration > 0 else None,
            **peak_memory_mb(),
            **self.extra,
        }
        os.makedirs(output_dir, exist_ok=True)
        tmp = os.path.join(output_dir, "result.json.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2, sort_keys=True)
        os.replace(tmp, os.path.join(output_dir, "result.json"))
        return result
