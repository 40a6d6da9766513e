"""Benchmark: BM25 indexing and retrieval throughput and peak memory on a generated corpus, CPU, one thread.

Usage: python -m trainers.bench_bm25 [--docs 100000] [--queries 1000] [--seed 0] [--peer-queries 200]
Writes a synthetic corpus in a temporary directory as the runner's JSONL files: word-like tokens drawn
from a Zipf (s = 1) distribution over 50,000 types, documents of 50-300 words, and queries of 3-8 words
sampled from one document each (so every query has an answer). Each stage runs in its own child process,
its peak RSS read by wait4:
1. the real `python -m trainers bm25 --spec spec.json`, as the runner runs it: end-to-end time, and peak
   RSS as its result.json's `peak_rss_mb` reports it (and as wait4 does, for the whole process);
2. a bare interpreter importing what the command imports: the RSS floor;
3. the phases, timed apart with the same bm25s calls and settings as trainers/bm25.py: tokenize only
   (the bound indexing is compared with), index, retrieve, and a brute-force peer that scores every
   document for a sample of queries with a scipy sparse matrix-vector product built from the same
   tokenisation (its top-1 must agree with bm25s's, or the benchmark is broken).
Prints one summary line and the details. Not part of the trainer's cache key (see runner/execute/trainer/env.ts).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VOCAB = 50_000
# The command's defaults (trainers/spec.py); the peer implements the lucene variant only.
SETTINGS = {"k1": 1.5, "b": 0.75, "method": "lucene", "stopwords": True, "stemmer": "english", "k": 10}
ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "st", "tr", "pl", "gr", "sh"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ou"]
CODAS = ["", "", "", "n", "r", "s", "l", "m", "k"]


def log(message: str) -> None:
    sys.stderr.write(f"bench_bm25: {message}\n")
    sys.stderr.flush()


def vocabulary(n: int, seed: int) -> list[str]:
    """n distinct word-like types of 2-4 syllables, none an English stopword."""
    import random

    from bm25s.stopwords import STOPWORDS_EN

    rng = random.Random(seed)
    stop = set(STOPWORDS_EN)
    words: dict[str, None] = {}
    while len(words) < n:
        w = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(rng.randint(2, 4)))
        if w not in stop:
            words[w] = None
    return list(words)


def generate(tmp: Path, docs: int, queries: int, seed: int) -> dict[str, Any]:
    import numpy as np

    words = vocabulary(VOCAB, seed)
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, VOCAB + 1)
    lengths = rng.integers(50, 301, size=docs)
    starts = np.concatenate(([0], np.cumsum(lengths)))
    tokens = rng.choice(VOCAB, size=int(starts[-1]), p=p / p.sum()).astype(np.int32)
    with open(tmp / "corpus.jsonl", "w", encoding="utf-8") as f:
        for d in range(docs):
            text = " ".join([words[t] for t in tokens[starts[d] : starts[d + 1]].tolist()])
            f.write(json.dumps({"id": f"d{d}", "text": text, "metadata": {}, "doc": f"d{d}"}) + "\n")
    sources = rng.integers(0, docs, size=queries)
    with open(tmp / "queries.jsonl", "w", encoding="utf-8") as f:
        for q, d in enumerate(sources.tolist()):
            picks = np.sort(rng.choice(int(lengths[d]), size=int(rng.integers(3, 9)), replace=False))
            text = " ".join(words[t] for t in tokens[starts[d] + picks].tolist())
            f.write(json.dumps({"id": f"q{q}", "text": text}) + "\n")
    return {"words": int(starts[-1]), "sources": [f"d{d}" for d in sources.tolist()]}


def run_child(args: list[str]) -> tuple[float, str, float]:
    """Runs `python *args` from the repository root: wall seconds, stdout, and the child's own peak RSS in MB.

    The peak comes from wait4, so it is this child's alone. Children are started from this small
    parent on purpose: a child's ru_maxrss starts at its parent's high-water mark (the fork shares
    the parent's memory until exec), which is why generating the corpus is a child too.
    """
    start = time.perf_counter()
    with subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        out = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, child.args)
    return time.perf_counter() - start, out, usage.ru_maxrss / 1024


def phases(spec_file: str, peer_queries: int) -> dict[str, Any]:
    """Times the bm25 command's stages with its own calls; runs in a child of the benchmark."""
    import bm25s
    import numpy as np
    import Stemmer
    from scipy import sparse

    from trainers.data import read_jsonl

    spec = json.loads(Path(spec_file).read_text())
    assert spec["method"] == "lucene", "the brute-force peer implements the lucene variant only"
    t: dict[str, float] = {}
    start = time.perf_counter()
    units = read_jsonl(spec["corpus_file"], ("id", "text"))
    queries = read_jsonl(spec["queries_file"], ("id", "text"))
    t["read"] = time.perf_counter() - start
    stemmer = Stemmer.Stemmer(spec["stemmer"]) if spec["stemmer"] is not None else None
    stopwords = "english" if spec["stopwords"] else None

    def tokenize(texts: list[str], ids: bool) -> Any:
        return bm25s.tokenize(texts, stopwords=stopwords, stemmer=stemmer, return_ids=ids, show_progress=False)

    texts = [u["text"] for u in units]
    start = time.perf_counter()
    corpus = tokenize(texts, ids=True)
    t["tokenize"] = time.perf_counter() - start
    index = bm25s.BM25(k1=spec["k1"], b=spec["b"], method=spec["method"])
    start = time.perf_counter()
    index.index(corpus, show_progress=False)
    t["build"] = time.perf_counter() - start
    k = min(spec["k"], len(units))
    start = time.perf_counter()
    query_tokens = tokenize([q["text"] for q in queries], ids=False)
    docs, scores = index.retrieve(query_tokens, k=k, show_progress=False, n_threads=1)
    t["retrieve"] = time.perf_counter() - start

    # The peer: BM25 (lucene) weights computed here from the same token ids, then every document
    # scored per query (CSR matrix times a query vector) and the top k taken.
    start = time.perf_counter()
    n_docs, n_vocab = len(corpus.ids), len(corpus.vocab)
    doc_len = np.array([len(ids) for ids in corpus.ids])
    rows = np.repeat(np.arange(n_docs), doc_len)
    cols = np.concatenate([np.asarray(ids, dtype=np.int64) for ids in corpus.ids])
    tf = sparse.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(n_docs, n_vocab))
    tf.sum_duplicates()
    df = np.bincount(tf.indices, minlength=n_vocab)
    idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5))
    norm = spec["k1"] * (1 - spec["b"] + spec["b"] * doc_len / doc_len.mean())
    tf_rows = np.repeat(np.arange(n_docs), np.diff(tf.indptr))
    weights = sparse.csr_matrix(
        (idf[tf.indices] * tf.data / (tf.data + norm[tf_rows]), tf.indices, tf.indptr), shape=tf.shape
    )
    t["peer_build"] = time.perf_counter() - start
    sample = queries[: min(peer_queries, len(queries))]
    start = time.perf_counter()
    peer: list[tuple[int, float]] = []
    for tokens in tokenize([q["text"] for q in sample], ids=False):
        q = np.zeros(n_vocab)
        for token in tokens:
            if token in corpus.vocab:
                q[corpus.vocab[token]] += 1
        s = weights @ q
        top = np.argpartition(-s, k - 1)[:k]
        top = top[np.argsort(-s[top], kind="stable")]
        peer.append((int(top[0]), float(s[top[0]])))
    t["peer_retrieve"] = time.perf_counter() - start
    agree = ties = 0
    max_diff = 0.0
    for qi, (doc, score) in enumerate(peer):
        ours = float(scores[qi][0])
        max_diff = max(max_diff, abs(ours - score))
        if int(docs[qi][0]) == doc:
            agree += 1
        elif abs(ours - score) <= 1e-4 * max(1.0, abs(score)):
            ties += 1  # a different document with the same score (float32 vs float64 breaks ties)
    return {
        "times": t,
        "docs": n_docs,
        "queries": len(queries),
        "vocab": n_vocab,
        "nnz": int(weights.nnz),
        "peer_queries": len(sample),
        "agree": agree,
        "ties": ties,
        "max_score_diff": max_diff,
        "top1": [units[int(docs[qi][0])]["id"] for qi in range(len(queries))],
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="exp-bench-bm25-") as tmp_dir:
        tmp = Path(tmp_dir)
        log(f"generating {args.docs} documents and {args.queries} queries in {tmp}")
        sizes = ["--docs", str(args.docs), "--queries", str(args.queries), "--seed", str(args.seed)]
        gen_s, out, _ = run_child(["-m", "trainers.bench_bm25", "--generate", tmp_dir, *sizes])
        gen = json.loads(out)
        log(f"generated in {gen_s:.1f} s")
        spec = {
            "output_dir": str(tmp / "out"),
            "corpus_file": str(tmp / "corpus.jsonl"),
            "queries_file": str(tmp / "queries.jsonl"),
            **SETTINGS,
        }
        (tmp / "spec.json").write_text(json.dumps(spec))
        log("running `python -m trainers bm25` end to end")
        total_s, _, rss = run_child(["-m", "trainers", "bm25", "--spec", str(tmp / "spec.json")])
        result = json.loads((tmp / "out" / "result.json").read_text())
        floor = run_child(["-c", "import bm25s, Stemmer, trainers.__main__, trainers.bm25"])[2]
        log("timing the phases")
        _, out, _ = run_child(
            ["-m", "trainers.bench_bm25", "--phases", str(tmp / "spec.json"), "--peer-queries", str(args.peer_queries)]
        )
        ph = json.loads(out)
        run_top1 = {}
        with open(tmp / "out" / "run.trec", encoding="utf-8") as f:
            for line in f:
                qid, _, unit, rank, *_ = line.split()
                if rank == "1":
                    run_top1[qid] = unit
        return {
            **ph,
            "gen": gen,
            "corpus_bytes": (tmp / "corpus.jsonl").stat().st_size,
            "total_s": total_s,
            "rss": rss,
            "result": result,
            "floor": floor,
            "run_top1": run_top1,
        }


def report(m: dict[str, Any]) -> list[str]:
    x = "\N{MULTIPLICATION SIGN}"
    t, n, nq, ns = m["times"], m["docs"], m["queries"], m["peer_queries"]
    index_s = t["tokenize"] + t["build"]
    query_s = t["retrieve"] / nq
    peer_s = t["peer_retrieve"] / ns
    # result.json's peak is the command's working memory as the runner records it; wait4's covers the
    # whole process, including whatever runs after that reading (result.json's own write, shutdown).
    result = m["result"]
    rss = result["peak_rss_mb"]
    agree = (m["agree"] + m["ties"]) / ns
    same_run = sum(m["run_top1"].get(f"q{i}") == m["top1"][i] for i in range(nq)) / nq
    source_top1 = sum(m["top1"][i] == m["gen"]["sources"][i] for i in range(nq)) / nq
    settings = ", ".join(f"{k} {v}" for k, v in SETTINGS.items())
    return [
        f"bm25 {n} docs: index {n / index_s:.0f} docs/s ({index_s / t['tokenize']:.1f}{x} tokenize-only), "
        f"retrieve {1 / query_s:.0f} q/s ({peer_s / query_s:.1f}{x} faster than brute-force), "
        f"peak RSS {rss:.0f} MB ({rss * 2**20 / m['corpus_bytes']:.1f}{x} corpus bytes), top-1 agreement {agree:.0%}",
        f"  corpus: {m['gen']['words'] / 1e6:.1f}M words (Zipf over {VOCAB} types), {m['corpus_bytes'] / 2**20:.0f} MB "
        f"JSONL; {nq} queries of 3-8 words from one doc each; {m['vocab']} index terms, {m['nnz'] / 1e6:.1f}M "
        f"postings; {settings}, 1 thread",
        f"  index = tokenize {t['tokenize']:.1f} s + build {t['build']:.1f} s = {index_s:.1f} s (bound: tokenize "
        f"alone, {n / t['tokenize']:.0f} docs/s); reading the JSONL {t['read']:.1f} s, not counted",
        f"  retrieve top-{SETTINGS['k']} incl. query tokenisation: {1000 * query_s:.2f} ms/query over {nq}; "
        f"brute-force peer (scipy CSR matrix-vector product over every doc, same tokens; weights built in "
        f"{t['peer_build']:.1f} s, not counted): {1000 * peer_s:.1f} ms/query over {ns}",
        f"  top-1 vs peer: {m['agree']} same doc + {m['ties']} tied score of {ns} (max |score diff| "
        f"{m['max_score_diff']:.1e}); phases' top-1 = the command's run.trec top-1 for {same_run:.0%} of queries; "
        f"query's source doc ranked first for {source_top1:.0%}",
        f"  `python -m trainers bm25` end to end: {m['total_s']:.1f} s wall (result.json duration_s "
        f"{result['duration_s']:.1f}); peak RSS {rss:.0f} MB by result.json, {m['rss']:.0f} MB by wait4 (the "
        f"whole process, after result.json's reading too); interpreter + the command's imports {m['floor']:.0f} MB",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--peer-queries", type=int, default=200, help="queries scored by the brute-force peer")
    # The children's entry points.
    ap.add_argument("--generate", metavar="DIR", help=argparse.SUPPRESS)
    ap.add_argument("--phases", metavar="SPEC", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.generate:
        print(json.dumps(generate(Path(args.generate), args.docs, args.queries, args.seed)))
    elif args.phases:
        print(json.dumps(phases(args.phases, args.peer_queries)))
    else:
        print("\n".join(report(measure(args))))


if __name__ == "__main__":
    main()
