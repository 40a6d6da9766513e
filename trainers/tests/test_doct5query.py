"""docT5query generation and the cross-encoder filter (Chunk-F), run through the CLI on tiny
random models: record format and reproducibility of the samples; the filter's choice checked
against scores computed here with the same model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from . import tiny_models
from .conftest import TOPICS, events, run_cli, write_jsonl

# One unit far longer than the rerank tests' max_length, so that its passage is truncated.
UNITS = {f"u{i}": context for i, (_, context, _) in enumerate(TOPICS[:3])}
UNITS["u2"] = " ".join([UNITS["u2"]] * 8)
M = 4


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("models")
    texts = [t for topic in TOPICS for t in topic]
    return {"t5": tiny_models.t5(str(tmp / "t5"), texts), "ce": tiny_models.cross_encoder(str(tmp / "ce"), texts)}


@pytest.fixture(scope="module")
def units_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("units") / "units.jsonl"
    return write_jsonl(path, [{"id": u, "text": t} for u, t in UNITS.items()])


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def doct5query_spec(out: Path, model: str, units_file: str, **over: Any) -> dict[str, Any]:
    # Two units per batch: three units make one full batch and one partial one.
    spec = {"output_dir": str(out), "model": model, "units_file": units_file, "m": M, "max_new_tokens": 8}
    return {**spec, "batch_size": 2, **over}


def test_doct5query_samples_m_queries_per_unit_reproducibly(
    models: dict[str, str], units_file: str, tmp_path: Path
) -> None:
    files = {}
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        proc = run_cli("doct5query", doct5query_spec(tmp_path / name, models["t5"], units_file, seed=seed), tmp_path)
        files[name] = (tmp_path / name / "queries.jsonl").read_bytes()
    assert [e["step"] for e in events(proc) if e["event"] == "progress"] == [1, 2]
    assert files["a"] == files["b"]
    assert files["a"] != files["c"]

    records = read_jsonl(tmp_path / "a" / "queries.jsonl")
    result = json.loads((tmp_path / "a" / "result.json").read_text())
    assert result["empty"] == 0, "a tiny T5 sample came out empty; pick another seed for the test"
    assert (result["units"], result["queries"]) == (len(UNITS), len(UNITS) * M)
    assert result["distinct"] == len({r["text"] for r in records})
    assert [r["unit"] for r in records] == [u for u in UNITS for _ in range(M)]
    for i, r in enumerate(records):
        n = i % M
        assert r == {
            "id": f"{r['unit']}#doct5query#{n}",
            "text": r["text"],
            "unit": r["unit"],
            "kind": "doct5query",
            "generator": f"doct5query:{models['t5']}",
            "sample": 0,
        }
        assert isinstance(r["text"], str) and r["text"] == r["text"].strip() != ""


# File order interleaves the units; u0 has more queries than `top`, u1 fewer, u2 a repeated text.
QUERIES = [
    ("u0", "which fish swims upstream"),
    ("u1", "who raises fish in ponds"),
    ("u0", "cold rivers"),
    ("u2", "where does a river meet the sea"),
    ("u0", "trout"),
    ("u2", "delta"),
    ("u0", "the market sells spices"),
    ("u2", "delta"),
]
TOP = 2
MAX_LENGTH = 24


def query_records() -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    rows = []
    for unit, text in QUERIES:
        n = counts[unit] = counts.get(unit, -1) + 1
        rows.append({"id": f"{unit}#doct5query#{n}", "text": text, "unit": unit, "kind": "doct5query",
                     "generator": "doct5query:t5", "sample": 0})  # fmt: skip
    return rows


def direct_scores(model_dir: str) -> list[float]:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    scores = []
    with torch.no_grad():
        for unit, text in QUERIES:
            enc = tok(text, UNITS[unit], truncation="only_second", max_length=MAX_LENGTH, return_tensors="pt")
            scores.append(float(model(**enc).logits[0, 0]))
    return scores


def test_rerank_keeps_the_top_scoring_queries_per_unit(models: dict[str, str], units_file: str, tmp_path: Path) -> None:
    queries = query_records()
    spec = {
        "output_dir": str(tmp_path / "out"),
        "model": models["ce"],
        "queries_file": write_jsonl(tmp_path / "queries.jsonl", queries),
        "units_file": units_file,
        "top": TOP,
        "max_length": MAX_LENGTH,
        "batch_size": 3,
    }
    run_cli("rerank", spec, tmp_path)
    scores = direct_scores(models["ce"])
    expected: list[int] = []
    for unit in UNITS:
        mine = [i for i, (u, _) in enumerate(QUERIES) if u == unit]
        expected += sorted(mine, key=lambda i: (-scores[i], i))[:TOP]
    expected.sort()

    out = read_jsonl(tmp_path / "out" / "queries.jsonl")
    assert [r["text"] for r in out] == [QUERIES[i][1] for i in expected]
    counts: dict[str, int] = {}
    for r, i in zip(out, expected):
        n = counts[r["unit"]] = counts.get(r["unit"], -1) + 1
        score = r.pop("score")
        assert score == pytest.approx(scores[i], abs=1e-4)
        assert r == {**queries[i], "id": f"{r['unit']}#filtered#{n}", "kind": "filtered"}
    assert counts == {"u0": TOP - 1, "u1": 0, "u2": TOP - 1}  # u1's single query is kept
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    assert (result["queries_in"], result["queries_kept"], result["units"]) == (len(QUERIES), len(out), 3)


def error_of(proc: Any) -> dict[str, Any]:
    assert proc.returncode != 0
    last = events(proc)[-1]
    assert last["event"] == "error"
    return last


def test_rerank_rejects_a_query_of_an_unknown_unit(models: dict[str, str], units_file: str, tmp_path: Path) -> None:
    stray = {**query_records()[0], "id": "nope#doct5query#0", "unit": "nope"}
    spec = {
        "output_dir": str(tmp_path / "out"),
        "model": models["ce"],
        "queries_file": write_jsonl(tmp_path / "queries.jsonl", [*query_records(), stray]),
        "units_file": units_file,
        "top": TOP,
    }
    error = error_of(run_cli("rerank", spec, tmp_path, check=False))
    assert error["reason"] == "bad-spec"
    assert "nope#doct5query#0" in error["message"] and "queries.jsonl" in error["message"]


@pytest.mark.parametrize(
    ("case", "reason"), [("m=0", "bad-spec"), ("absent model", "missing-input"), ("empty model dir", "missing-input")]
)
def test_doct5query_bad_specs(case: str, reason: str, models: dict[str, str], units_file: str, tmp_path: Path) -> None:
    spec = doct5query_spec(tmp_path / "out", models["t5"], units_file)
    if case == "m=0":
        spec["m"] = 0
    elif case == "absent model":
        spec["model"] = str(tmp_path / "no-such-model")
    else:
        # A directory that exists passes spec validation; the command finds no model in it.
        (tmp_path / "empty").mkdir()
        spec["model"] = str(tmp_path / "empty")
    assert error_of(run_cli("doct5query", spec, tmp_path, check=False))["reason"] == reason
