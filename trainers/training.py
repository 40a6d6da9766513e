"""What SFT and RPO share: progress reporting, checkpoint discovery, common trainer arguments.

Does not choose losses or data formats; sft.py and rpo.py do.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

from transformers import TrainerCallback

from .hardware import resolve_precision, world_size
from .protocol import RunRecord, emit, log

_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def last_complete_checkpoint(checkpoint_dir: str) -> str | None:
    """Newest checkpoint whose trainer state was written.

    The Trainer writes trainer_state.json after weights, optimizer and RNG state, so a directory
    without it is a save interrupted by the crash we are recovering from.
    """
    if not os.path.isdir(checkpoint_dir):
        return None
    found = []
    for name in os.listdir(checkpoint_dir):
        m = _CHECKPOINT.match(name)
        path = os.path.join(checkpoint_dir, name)
        if m and os.path.isfile(os.path.join(path, "trainer_state.json")):
            found.append((int(m.group(1)), path))
    return max(found)[1] if found else None


class ProgressCallback(TrainerCallback):
    """Turns the Trainer's log and save hooks into protocol events and the loss curve."""

    def __init__(self, record: RunRecord) -> None:
        self.record = record

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **_: Any) -> None:
        if logs and "loss" in logs:
            loss = float(logs["loss"])
            self.record.loss_curve.append({"step": state.global_step, "loss": loss})
            emit("progress", step=state.global_step, total=state.max_steps, loss=loss)

    def on_save(self, args: Any, state: Any, control: Any, **_: Any) -> None:
        emit("checkpoint", step=state.global_step)


def common_args(spec: dict[str, Any]) -> dict[str, Any]:
    """TrainingArguments shared by every trainer command."""
    import torch

    precision = resolve_precision(spec["precision"])
    per_device = spec["per_device_batch_size"]
    # The spec's batch_size is the effective batch across devices and accumulation steps.
    accumulation = max(1, math.ceil(spec["batch_size"] / (per_device * world_size())))
    log(f"precision={precision} per_device={per_device} accumulation={accumulation} world={world_size()}")
    return {
        "output_dir": spec["checkpoint_dir"],
        "num_train_epochs": spec["epochs"],
        "learning_rate": spec["learning_rate"],
        "per_device_train_batch_size": per_device,
        "gradient_accumulation_steps": accumulation,
        "seed": spec["seed"],
        "data_seed": spec["seed"],
        "bf16": precision == "bf16",
        "fp16": precision == "fp16",
        "use_cpu": not torch.cuda.is_available(),
        "save_strategy": "steps",
        "save_steps": spec["save_steps"],
        "save_total_limit": 2,
        "logging_steps": 1,
        "report_to": [],
        "disable_tqdm": True,
        "dataloader_num_workers": 0,
        "include_num_input_tokens_seen": True,
    }


def train(trainer: Any, record: RunRecord, checkpoint_dir: str) -> None:
    resume = last_complete_checkpoint(checkpoint_dir)
    if resume is not None:
        emit("resumed", checkpoint=os.path.basename(resume))
        log(f"resuming from {resume}")
    trainer.add_callback(ProgressCallback(record))
    trainer.train(resume_from_checkpoint=resume)
    record.tokens = int(getattr(trainer.state, "num_input_tokens_seen", 0) or 0)
