"""A trainer killed with SIGKILL mid-run resumes from its last checkpoint when re-run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from .conftest import REPO, events, run_cli, sft_spec, units


def test_sft_resumes_after_sigkill(tiny_model: str, tmp_path: Path) -> None:
    spec = sft_spec(tmp_path, tiny_model, "semantic", units(), epochs=2, save_steps=3)
    spec_path = tmp_path / "sft-spec.json"
    spec_path.write_text(json.dumps(spec))
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.Popen(
        [sys.executable, "-m", "trainers", "sft", "--spec", str(spec_path)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    killed_at = None
    for line in proc.stdout:
        event = json.loads(line)
        if event["event"] == "progress" and event["step"] == 5:
            # Past checkpoint-3, short of checkpoint-6.
            proc.send_signal(signal.SIGKILL)
            killed_at = event
            break
    proc.wait(timeout=60)
    assert killed_at is not None and proc.returncode == -signal.SIGKILL
    assert not (tmp_path / "out" / "model").exists()
    assert (tmp_path / "ckpt" / "checkpoint-3" / "trainer_state.json").is_file()

    rerun = run_cli("sft", spec, tmp_path)
    evs = events(rerun)
    assert {"event": "resumed", "checkpoint": "checkpoint-3"} in evs
    steps = [e["step"] for e in evs if e["event"] == "progress"]
    assert steps[0] == 4 and steps[-1] == killed_at["total"]
    assert (tmp_path / "out" / "model" / "model.safetensors").is_file()
