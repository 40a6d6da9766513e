"""BM25 against scores computed by hand from the Lucene formula on a small corpus."""

from __future__ import annotations

import json
import math
from pathlib import Path

from .conftest import run_cli

DOCS = {
    "d1": "trout swim upstream in cold rivers",
    "d2": "farmers raise trout in ponds and trout grow fast",
    "d3": "the moon pulls the tide twice a day",
}


def lucene_bm25(query: list[str], doc: list[str], docs: list[list[str]], k1: float, b: float) -> float:
    # Lucene's variant: idf = ln(1 + (N - df + 0.5) / (df + 0.5)), tf saturated and length-normalised,
    # without the textbook (k1 + 1) numerator (Lucene 8 dropped it; it does not change rankings).
    n = len(docs)
    avgdl = sum(len(d) for d in docs) / n
    score = 0.0
    for term in set(query):
        df = sum(term in d for d in docs)
        tf = doc.count(term)
        if tf == 0:
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        score += idf * tf / (tf + k1 * (1 - b + b * len(doc) / avgdl))
    return score


def test_scores_match_the_formula(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": k, "text": v}) + "\n" for k, v in DOCS.items()))
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        json.dumps({"id": "q1", "text": "trout ponds"}) + "\n" + json.dumps({"id": "q2", "text": "tide moon"}) + "\n"
    )
    out = tmp_path / "out"
    spec = {
        "output_dir": str(out),
        "corpus_file": str(corpus),
        "queries_file": str(queries),
        "k1": 1.2,
        "b": 0.75,
        "stopwords": False,
        "stemmer": None,
        "k": 3,
    }
    run_cli("bm25", spec, tmp_path)
    # bm25s tokenises to lower-cased runs of 2+ word characters: "a" is dropped.
    tokens = {k: [w for w in v.split() if len(w) >= 2] for k, v in DOCS.items()}
    run = [line.split() for line in (out / "run.trec").read_text().splitlines()]
    for qid, text in (("q1", "trout ponds"), ("q2", "tide moon")):
        got = {r[2]: float(r[4]) for r in run if r[0] == qid}
        for doc, score in got.items():
            want = lucene_bm25(text.split(), tokens[doc], list(tokens.values()), 1.2, 0.75)
            assert math.isclose(score, want, rel_tol=1e-4), (qid, doc, score, want)
    top = [r[2] for r in run if r[0] == "q1" and r[3] == "1"]
    assert top == ["d2"]
