"""SFT memorises its data, and retrieve returns k distinct valid units, reproducibly."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import events, query_rows, read_run, run_cli, sft_spec, units, write_jsonl


def retrieve_spec(tmp: Path, model: str, identifier_type: str, idents: dict[str, str], out: str, k: int = 10):
    return {
        "output_dir": str(tmp / out),
        "model": model,
        "queries_file": write_jsonl(tmp / "queries.jsonl", query_rows()),
        "identifiers_file": write_jsonl(tmp / "ids.jsonl", [{"unit": u, "identifier": i} for u, i in idents.items()]),
        "identifier_type": identifier_type,
        "beam_size": 10,
        "k": k,
        "batch_size": 8,
        "run_name": "test",
    }


def test_sft_overfits_training_queries(sft_semantic) -> None:
    model, tmp = sft_semantic
    result = json.loads((tmp / "out" / "result.json").read_text())
    curve = result["loss_curve"]
    assert curve[-1]["loss"] < curve[0]["loss"] / 5
    assert result["tokens_per_s"] > 0 and result["peak_rss_mb"] > 0
    run_cli("retrieve", retrieve_spec(tmp, model, "semantic", units(), "ret1"), tmp)
    run = read_run(tmp / "ret1" / "run.trec")
    hits = sum(1 for q in query_rows() if run[q["id"]][0][0] == "u" + q["id"][1:])
    assert hits / len(query_rows()) >= 0.9, f"rank-1 hits {hits}/{len(query_rows())}"


def test_retrieve_returns_k_distinct_valid_units_deterministically(sft_semantic) -> None:
    model, tmp = sft_semantic
    proc = run_cli("retrieve", retrieve_spec(tmp, model, "semantic", units(), "ret2", k=7), tmp)
    assert [e for e in events(proc) if e["event"] == "progress"][-1]["step"] == 3  # 20 queries / 8
    text = (tmp / "ret2" / "run.trec").read_text()
    run = read_run(tmp / "ret2" / "run.trec")
    assert set(run) == {q["id"] for q in query_rows()}
    for ranking in run.values():
        names = [u for u, _, _ in ranking]
        assert len(names) == 7 and len(set(names)) == 7 and set(names) <= set(units())
        assert [r for _, r, _ in ranking] == list(range(1, 8))
        scores = [s for _, _, s in ranking]
        assert scores == sorted(scores, reverse=True) and all(s < 0 for s in scores)
    run_cli("retrieve", retrieve_spec(tmp, model, "semantic", units(), "ret3", k=7), tmp)
    assert (tmp / "ret3" / "run.trec").read_text() == text


def test_atomic_identifiers(tiny_model: str, tmp_path: Path) -> None:
    idents = {u: f" <id_{i}>" for i, u in enumerate(units())}
    spec = sft_spec(tmp_path, tiny_model, "atomic", idents, epochs=2)
    run_cli("sft", spec, tmp_path)
    assert json.loads((tmp_path / "out" / "result.json").read_text())["added_tokens"] == 20
    model = str(tmp_path / "out" / "model")
    run_cli("retrieve", retrieve_spec(tmp_path, model, "atomic", idents, "ret", k=5), tmp_path)
    run = read_run(tmp_path / "ret" / "run.trec")
    assert len(run) == 20
    for ranking in run.values():
        names = [u for u, _, _ in ranking]
        assert len(names) == 5 and len(set(names)) == 5 and set(names) <= set(idents)
