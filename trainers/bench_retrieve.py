"""Benchmark: Trie-constrained beam search vs unconstrained beam search, same model and beam, CPU.

Usage: python -m trainers.bench_retrieve [--units 500] [--queries 32] [--beam 10] [--batch 16]
Builds the local profile's tiny random model in a temporary directory, then times `beam_search`
with and without the Trie over the same prompts and max length. Prints both times and the ratio.
Not part of the trainer's cache key (see runner/execute/trainer/env.ts).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from trainers.retrieve import beam_search, load_model
from trainers.trie import build_trie, identifier_tails

WORDS = [
    "river",
    "mountain",
    "desert",
    "ocean",
    "city",
    "forest",
    "glacier",
    "volcano",
    "island",
    "winter",
    "summer",
    "harvest",
    "library",
]
TINY = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "intermediate_size": 128, "max_position_embeddings": 256}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=500)
    ap.add_argument("--queries", type=int, default=32)
    ap.add_argument("--beam", type=int, default=10)
    ap.add_argument("--batch", type=int, default=16)
    args = ap.parse_args()
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "spec.json"
        spec.write_text(json.dumps({"output_dir": tmp, "config": TINY, "seed": 0}))
        subprocess.run([sys.executable, "-m", "trainers", "init-model", "--spec", str(spec)], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        model, tok, device = load_model(str(Path(tmp) / "model"))
        import torch

        torch.set_num_threads(1)
        units = {f"u{i}": " " + " ".join(rng.sample(WORDS, 3)) + f" {i}" for i in range(args.units)}
        prompts = [f"Query: {' '.join(rng.sample(WORDS, 5))}\nIdentifier:" for _ in range(args.queries)]
        trie = build_trie(tok, prompts[0], units)
        depth = max(len(t) for t in identifier_tails(tok, prompts[0], list(units.values()))) + 1
        timings = {}
        for name, t in (("constrained", trie), ("unconstrained", None)):
            start = time.perf_counter()
            for i in range(0, len(prompts), args.batch):
                beam_search(model, tok, device, prompts[i : i + args.batch], t, args.beam, depth)
            timings[name] = time.perf_counter() - start
    print(f"units={args.units} queries={args.queries} beam={args.beam} max_new_tokens={depth}")
    print(f"constrained   {timings['constrained']:.2f} s")
    print(f"unconstrained {timings['unconstrained']:.2f} s")
    print(f"ratio constrained/unconstrained = {timings['constrained'] / timings['unconstrained']:.2f}")


if __name__ == "__main__":
    main()
