"""`rerank`: DSI-QG's query filter (Chunk-F in Table 11) with a cross-encoder reranker.

A reranker such as BAAI/bge-reranker-large scores each query against its own unit's text, read
as one (query, passage) pair whose single logit is the relevance score; the `top` best queries of
each unit are kept, ties going to the earlier query. Passages are truncated, never queries, since
the query is what is being judged. The output keeps the input's records and order, renamed to
kind `filtered` and renumbered per unit, with the score added. Does not generate queries and does
not deduplicate them: a repeated text is scored and kept like any other query.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from .data import read_jsonl
from .determinism import set_determinism
from .doct5query import check_model_dir, check_unique, load_pretrained, write_jsonl
from .protocol import RunRecord, TrainerError, emit

KIND = "filtered"


def check_queries(tok: Any, queries: Sequence[dict[str, Any]], max_length: int, path: str) -> None:
    # With only_second truncation a query that fills max_length on its own cannot be scored; the
    # tokenizer would fail on the whole batch without saying which query.
    room = max_length - tok.num_special_tokens_to_add(pair=True)
    lengths = map(len, tok([q["text"] for q in queries], add_special_tokens=False)["input_ids"])
    for q, n in zip(queries, lengths):
        if n >= room:
            raise TrainerError(
                "bad-spec", f"{path}: query {q['id']!r} has {n} tokens, leaving no room for its unit in {max_length}"
            )


def score_pairs(
    model: Any, tok: Any, device: Any, pairs: Sequence[tuple[str, str]], max_length: int, batch_size: int
) -> tuple[list[float], int]:
    """Logit 0 per (query, passage) pair, and the number of (non-pad) tokens read."""
    import torch

    scores: list[float] = []
    tokens = 0
    total = (len(pairs) + batch_size - 1) // batch_size
    for step, start in enumerate(range(0, len(pairs), batch_size), start=1):
        queries, passages = zip(*pairs[start : start + batch_size])
        enc = tok(
            list(queries), list(passages), truncation="only_second", max_length=max_length, padding=True,
            return_tensors="pt",
        )  # fmt: skip
        with torch.no_grad():
            logits = model(**enc.to(device)).logits
        scores += logits[:, 0].float().tolist()
        tokens += int(enc["attention_mask"].sum())
        emit("progress", step=step, total=total)
    return scores, tokens


def select(units: Sequence[str], scores: Sequence[float], top: int) -> list[bool]:
    """Whether each query is among the `top` best of its unit; ties go to the earlier query."""
    by_unit: dict[str, list[int]] = {}
    for i, unit in enumerate(units):
        by_unit.setdefault(unit, []).append(i)
    kept = [False] * len(units)
    for indices in by_unit.values():
        # sorted() is stable, so equal scores stay in file order.
        for i in sorted(indices, key=lambda i: -scores[i])[:top]:
            kept[i] = True
    return kept


def run(spec: dict[str, Any]) -> dict[str, Any]:
    record = RunRecord("rerank")
    queries = read_jsonl(spec["queries_file"], ("id", "text", "unit"))
    units = read_jsonl(spec["units_file"], ("id", "text"))
    check_unique(spec["units_file"], [u["id"] for u in units])
    texts = {u["id"]: u["text"] for u in units}
    for q in queries:
        if q["unit"] not in texts:
            raise TrainerError(
                "bad-spec", f"{spec['queries_file']}: query {q['id']!r} refers to unit {q['unit']!r}, not in units_file"
            )
    check_model_dir(spec["model"])
    set_determinism(0)
    from transformers import AutoModelForSequenceClassification

    model, tok, device, info = load_pretrained(AutoModelForSequenceClassification, spec["model"], spec["precision"])
    # An encoder without a trained scoring head would load with a random one and score noise.
    if info["missing_keys"] or model.config.num_labels != 1:
        missing = ", ".join(info["missing_keys"][:3]) or "none"
        raise TrainerError(
            "bad-spec",
            f"{spec['model']} is not a one-logit cross-encoder ({model.config.num_labels} labels, "
            f"missing weights: {missing})",
        )
    # A tokenizer's model_max_length is the model's position limit (a huge number when unset).
    max_length = min(spec["max_length"], tok.model_max_length)
    check_queries(tok, queries, max_length, spec["queries_file"])
    pairs = [(q["text"], texts[q["unit"]]) for q in queries]
    scores, record.tokens = score_pairs(model, tok, device, pairs, max_length, spec["batch_size"])
    kept = select([q["unit"] for q in queries], scores, spec["top"])
    out: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for q, score, keep in zip(queries, scores, kept):
        if keep:
            n = counts.get(q["unit"], 0)
            counts[q["unit"]] = n + 1
            out.append({**q, "id": f"{q['unit']}#{KIND}#{n}", "kind": KIND, "score": round(score, 6)})
    write_jsonl(os.path.join(spec["output_dir"], "queries.jsonl"), out)
    record.extra.update(queries_in=len(queries), queries_kept=len(out), units=len(counts), max_length=max_length)
    return record.write(spec["output_dir"])
