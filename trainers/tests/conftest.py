"""Shared fixtures: a synthetic corpus of ~20 units, a tiny random model, and a CLI runner.

Every trainer command is run the way the runner runs it, `python -m trainers <cmd> --spec`, in a
subprocess from the repository root, so the tests cover the protocol as well as the training.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_TOKENIZER = REPO.parent / "shared" / "data" / "tokenizers" / "mistral-v3.model"
TINY_CONFIG = {
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "intermediate_size": 128,
    "max_position_embeddings": 256,
}

# Semantic identifiers deliberately share prefixes ("river trout" / "river trout farming").
TOPICS = [
    ("river trout", "trout swim upstream in cold rivers", "which fish swims upstream"),
    ("river trout farming", "farmers raise trout in concrete ponds", "who raises fish in ponds"),
    ("river delta", "a delta forms where a river meets the sea", "where does a river meet the sea"),
    ("mountain goat", "goats climb steep cliffs with ease", "which animal climbs cliffs"),
    ("mountain pass", "the pass closes every winter under snow", "when does the pass close"),
    ("desert cactus", "cacti store water in thick stems", "what stores water in stems"),
    ("desert storm", "sand storms cross the dunes at night", "what crosses the dunes"),
    ("ocean tide", "the moon pulls the tide twice a day", "what pulls the tide"),
    ("ocean reef", "coral reefs shelter small bright fish", "what shelters bright fish"),
    ("city bridge", "the old bridge carries trams over the canal", "what carries trams over water"),
    ("city market", "the market sells spices every sunday", "where are spices sold on sunday"),
    ("forest owl", "owls hunt mice silently at dusk", "which bird hunts mice at dusk"),
    ("forest fire", "dry summers bring fires to the pines", "what happens to pines in dry summers"),
    ("glacier ice", "glaciers carve valleys over centuries", "what carves valleys slowly"),
    ("volcano ash", "ash from the volcano darkened the sky", "what darkened the sky"),
    ("island ferry", "a ferry links the island to the harbour", "how to reach the island"),
    ("winter solstice", "the longest night falls in december", "when is the longest night"),
    ("summer festival", "the festival fills the square with music", "what fills the square with music"),
    ("harvest moon", "farmers work late under the harvest moon", "when do farmers work late"),
    ("library archive", "the archive keeps maps from the old port", "where are old port maps kept"),
]


def units() -> dict[str, str]:
    # An identifier is the completion verbatim, leading space included: that is how it follows
    # the prompt, and how the Trie must tokenise it.
    return {f"u{i:02d}": " " + ident for i, (ident, _, _) in enumerate(TOPICS)}


def context_prompt(text: str) -> str:
    return f"Context: {text}\nIdentifier:"


def query_prompt(text: str) -> str:
    return f"Query: {text}\nIdentifier:"


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def sft_rows(idents: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for i, (_, context, query) in enumerate(TOPICS):
        unit = f"u{i:02d}"
        completion = idents[unit]
        rows.append({"prompt": context_prompt(context), "completion": completion, "kind": "context2id", "unit": unit})
        rows.append({"prompt": query_prompt(query), "completion": completion, "kind": "query2id", "unit": unit})
    return rows


def query_rows() -> list[dict[str, Any]]:
    return [{"id": f"q{i:02d}", "prompt": query_prompt(q)} for i, (_, _, q) in enumerate(TOPICS)]


def run_cli(command: str, spec: dict[str, Any], tmp: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    spec_path = tmp / f"{command}-spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(
        [sys.executable, "-m", "trainers", command, "--spec", str(spec_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{command} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-4000:]}")
    return proc


def events(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def read_run(path: Path) -> dict[str, list[tuple[str, int, float]]]:
    run: dict[str, list[tuple[str, int, float]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        qid, q0, unit, rank, score, _name = line.split()
        assert q0 == "Q0"
        run.setdefault(qid, []).append((unit, int(rank), float(score)))
    return run


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("init")
    run_cli("init-model", {"output_dir": str(tmp), "config": TINY_CONFIG, "seed": 0}, tmp)
    return str(tmp / "model")


def sft_spec(tmp: Path, model: str, identifier_type: str, idents: dict[str, str], **over: Any) -> dict[str, Any]:
    id_rows = [{"unit": u, "identifier": i} for u, i in idents.items()]
    spec = {
        "output_dir": str(tmp / "out"),
        "checkpoint_dir": str(tmp / "ckpt"),
        "model": model,
        "train_file": write_jsonl(tmp / "train.jsonl", sft_rows(idents)),
        "identifiers_file": write_jsonl(tmp / "ids.jsonl", id_rows),
        "identifier_type": identifier_type,
        # Tuned so the tiny model memorises its 40 examples in ~40 s on one CPU thread.
        "epochs": 30,
        "learning_rate": 1e-2,
        "warmup_ratio": 0.05,
        "batch_size": 1,
        "per_device_batch_size": 1,
        "max_length": 64,
        "packing": True,
        "seed": 0,
        "save_steps": 1000,
    }
    spec.update(over)
    return spec


@pytest.fixture(scope="session")
def sft_semantic(tiny_model: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    tmp = tmp_path_factory.mktemp("sft-semantic")
    run_cli("sft", sft_spec(tmp, tiny_model, "semantic", units()), tmp)
    return str(tmp / "out" / "model"), tmp
