"""Bad specs and missing inputs end with the protocol's error line and a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import events, run_cli


def last_error(proc) -> dict:
    assert proc.returncode != 0
    last = events(proc)[-1]
    assert last["event"] == "error"
    assert "\n" not in last["message"]
    return last


def test_unknown_key_is_bad_spec(tmp_path: Path) -> None:
    proc = run_cli("init-model", {"output_dir": str(tmp_path), "sed": 1}, tmp_path, check=False)
    err = last_error(proc)
    assert err["reason"] == "bad-spec"
    assert "unknown key 'sed'" in err["message"]


def test_wrong_types_and_missing_keys_are_reported_together(tmp_path: Path) -> None:
    spec = {"output_dir": str(tmp_path), "model": "/x", "queries_file": "/q", "beam_size": "10"}
    err = last_error(run_cli("retrieve", spec, tmp_path, check=False))
    assert err["reason"] == "bad-spec"
    assert "missing key 'identifiers_file'" in err["message"]
    assert "'beam_size' must be int" in err["message"]


def test_missing_train_file_is_missing_input(tmp_path: Path) -> None:
    ids = tmp_path / "ids.jsonl"
    ids.write_text(json.dumps({"unit": "u", "identifier": " x"}) + "\n")
    spec = {
        "output_dir": str(tmp_path / "o"),
        "checkpoint_dir": str(tmp_path / "c"),
        "model": str(tmp_path),
        "train_file": str(tmp_path / "absent.jsonl"),
        "identifiers_file": str(ids),
    }
    err = last_error(run_cli("sft", spec, tmp_path, check=False))
    assert err["reason"] == "missing-input"
    assert "absent.jsonl" in err["message"]


def test_unreadable_spec_is_bad_spec(tmp_path: Path) -> None:
    import subprocess
    import sys

    from .conftest import REPO

    bad = tmp_path / "spec.json"
    bad.write_text("{not json")
    proc = subprocess.run(
        [sys.executable, "-m", "trainers", "rpo", "--spec", str(bad)], cwd=REPO, capture_output=True, text=True
    )
    assert last_error(proc)["reason"] == "bad-spec"


@pytest.mark.parametrize("k", [0, -1])
def test_nonpositive_k_is_bad_spec(tmp_path: Path, k: int) -> None:
    spec = {"output_dir": "/o", "model": "m", "queries_file": "/q", "identifiers_file": "/i", "k": k}
    assert last_error(run_cli("retrieve", spec, tmp_path, check=False))["reason"] == "bad-spec"
