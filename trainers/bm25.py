"""`bm25`: the BM25 baseline of Table 12 (Robertson and Walker 1994) with `bm25s`.

Scores every corpus unit for every query and writes the top k as a TREC run, like `retrieve`.
Settings are the spec's: k1, b, the scoring variant (`method`: lucene, robertson, atire, bm25l,
bm25+), English stopwords on or off, and a Snowball stemmer by language (PyStemmer) or none.
Tokenisation is bm25s's: lower-cased runs of two or more word characters.
"""

from __future__ import annotations

import os
from typing import Any

from .data import read_jsonl
from .protocol import RunRecord, TrainerError, emit


def run(spec: dict[str, Any]) -> dict[str, Any]:
    import bm25s

    record = RunRecord("bm25")
    units = read_jsonl(spec["corpus_file"], ("id", "text"))
    queries = read_jsonl(spec["queries_file"], ("id", "text"))
    if not units:
        raise TrainerError("missing-input", f"{spec['corpus_file']}: no units")
    stemmer = None
    if spec["stemmer"] is not None:
        import Stemmer

        stemmer = Stemmer.Stemmer(spec["stemmer"])
    stopwords = "english" if spec["stopwords"] else None

    def tokenize(texts: list[str], ids: bool) -> Any:
        return bm25s.tokenize(texts, stopwords=stopwords, stemmer=stemmer, return_ids=ids, show_progress=False)

    index = bm25s.BM25(k1=spec["k1"], b=spec["b"], method=spec["method"])
    index.index(tokenize([u["text"] for u in units], ids=True), show_progress=False)
    emit("progress", step=1, total=2)
    k = min(spec["k"], len(units))
    # Queries go in as strings: ids from a separate tokenize call would be a different vocabulary.
    query_tokens = tokenize([q["text"] for q in queries], ids=False)
    docs, scores = index.retrieve(query_tokens, k=k, show_progress=False, n_threads=1)
    lines = []
    for qi, q in enumerate(queries):
        for rank in range(k):
            unit = units[int(docs[qi][rank])]["id"]
            lines.append(f"{q['id']} Q0 {unit} {rank + 1} {float(scores[qi][rank]):.6f} bm25\n")
    os.makedirs(spec["output_dir"], exist_ok=True)
    with open(os.path.join(spec["output_dir"], "run.trec"), "w", encoding="utf-8") as f:
        f.writelines(lines)
    emit("progress", step=2, total=2)
    record.extra.update(units=len(units), queries=len(queries))
    return record.write(spec["output_dir"])
