"""RPO raises the chosen-minus-rejected log-probability margin on its pairs."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import TOPICS, query_prompt, run_cli, units, write_jsonl


def margins(model_dir: str, pairs: list[dict]) -> list[float]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()

    def logp(prompt: str, completion: str) -> float:
        n = len(tok(prompt)["input_ids"])
        ids = tok(prompt + completion + tok.eos_token)["input_ids"]
        with torch.no_grad():
            lp = torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), dim=-1)
        return sum(lp[i - 1, ids[i]].item() for i in range(n, len(ids)))

    return [logp(p["prompt"], p["chosen"]) - logp(p["prompt"], p["rejected"]) for p in pairs]


def test_rpo_moves_preferences(sft_semantic, tmp_path: Path) -> None:
    model, _ = sft_semantic
    idents = units()
    names = list(idents)
    # Rejected = the next unit's identifier: a plausible wrong answer the SFT model half-believes.
    pairs = [
        {"prompt": query_prompt(q), "chosen": idents[names[i]], "rejected": idents[names[(i + 1) % len(names)]]}
        for i, (_, _, q) in enumerate(TOPICS[:8])
    ]
    spec = {
        "output_dir": str(tmp_path / "out"),
        "checkpoint_dir": str(tmp_path / "ckpt"),
        "model": model,
        "train_file": write_jsonl(tmp_path / "pairs.jsonl", pairs),
        "learning_rate": 1e-3,
        "epochs": 3,
        "batch_size": 4,
        "per_device_batch_size": 4,
        "max_length": 64,
    }
    run_cli("rpo", spec, tmp_path)
    before = margins(model, pairs)
    after = margins(str(tmp_path / "out" / "model"), pairs)
    assert sum(after) / len(after) > sum(before) / len(before) + 1.0
    assert sum(a > b for a, b in zip(after, before)) >= 6
    assert len(json.loads((tmp_path / "out" / "result.json").read_text())["loss_curve"]) == 6
