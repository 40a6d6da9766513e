"""`rpo`: the paper's preference stage, RPO = DPO loss + alpha x NLL of the chosen identifier.

Uses TRL 0.29.1's DPOTrainer parameterisation, `loss_type=["sigmoid", "sft"]` with
`loss_weights=[1, alpha]` (`rpo_alpha` is gone from this version). How the two terms are
normalised in TRL 0.29.1 (trl/trainer/dpo_trainer.py, `_compute_loss`):
- the DPO term uses sequence log-probs: per-token log-probs summed over the completion tokens
  (the identifier and EOS; prompt tokens masked), then -logsigmoid(beta * margin), averaged over
  pairs;
- the "sft" term is `cross_entropy` over all chosen-completion tokens of the micro-batch pooled
  together, i.e. a per-token mean (long identifiers weigh more than short ones, unlike a
  per-sequence mean), which matches the paper's NLL divided by the identifier length.
The reference model is a frozen copy of the input (SFT) model, made by TRL when none is given.
Writes `<output_dir>/model/`.
"""

from __future__ import annotations

import os
from typing import Any

from .data import read_jsonl
from .determinism import set_determinism
from .hardware import resolve_precision, torch_dtype
from .protocol import RunRecord
from .training import common_args, train


def run(spec: dict[str, Any]) -> dict[str, Any]:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOConfig, DPOTrainer

    record = RunRecord("rpo")
    set_determinism(spec["seed"])
    rows = read_jsonl(spec["train_file"], ("prompt", "chosen", "rejected"))
    tok = AutoTokenizer.from_pretrained(spec["model"])
    if tok.pad_token is None:
        tok.pad_token = tok.unk_token or tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(spec["model"], dtype=torch_dtype(resolve_precision(spec["precision"])))
    dataset = Dataset.from_list([{k: r[k] for k in ("prompt", "chosen", "rejected")} for r in rows])
    config = DPOConfig(
        **common_args(spec),
        beta=spec["beta"],
        loss_type=["sigmoid", "sft"],
        loss_weights=[1.0, float(spec["alpha"])],
        max_length=spec["max_length"],
    )
    trainer = DPOTrainer(model=model, args=config, train_dataset=dataset, processing_class=tok)
    train(trainer, record, spec["checkpoint_dir"])
    if not trainer.is_world_process_zero():
        return {}
    out = os.path.join(spec["output_dir"], "model")
    trainer.model.save_pretrained(out)
    tok.save_pretrained(out)
    record.extra["pairs"] = len(rows)
    return record.write(spec["output_dir"])
