"""`sft`: supervised fine-tuning on the runner's Context2ID / Query2ID data with TRL's SFTTrainer.

Loss covers the whole sequence, prompt and identifier (the paper's §3.1 objective), not only the
completion; TRL appends EOS after the completion. Packing uses TRL's best-fit-decreasing packing,
which is padding-free: sequences keep their own position ids, from which Transformers builds a
block-diagonal mask, so packed examples do not attend to each other. Atomic identifiers become new
tokens (embeddings resized). Writes `<output_dir>/model/` (weights merged if LoRA, tokenizer).
"""

from __future__ import annotations

import os
from typing import Any

from .data import read_identifiers, read_jsonl
from .determinism import set_determinism
from .hardware import resolve_attention, resolve_precision, torch_dtype
from .protocol import RunRecord, TrainerError
from .training import common_args, train


def load_model_and_tokenizer(spec: dict[str, Any]) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(spec["model"])
    if tok.pad_token is None:
        tok.pad_token = tok.unk_token or tok.eos_token
    precision = resolve_precision(spec["precision"])
    model = AutoModelForCausalLM.from_pretrained(
        spec["model"],
        dtype=torch_dtype(precision),
        attn_implementation=resolve_attention(spec.get("attn_implementation", "auto")),
    )
    return model, tok


def add_atomic_tokens(model: Any, tok: Any, identifiers: dict[str, str]) -> int:
    added = tok.add_tokens(sorted(identifiers.values()))
    if added:
        model.resize_token_embeddings(len(tok))
    return int(added)


def check_completions(rows: list[dict[str, Any]], identifiers: dict[str, str], path: str) -> None:
    """A completion must be its unit's identifier verbatim: retrieval builds its Trie from the
    identifiers file, so any other text after the prompt would train paths the Trie cannot reach."""
    for n, row in enumerate(rows, start=1):
        unit = row.get("unit")
        if unit is None:
            continue
        if unit not in identifiers:
            raise TrainerError("bad-spec", f"{path}: example {n}: unit {unit!r} has no identifier")
        if row["completion"] != identifiers[unit]:
            raise TrainerError(
                "bad-spec",
                f"{path}: example {n}: completion {row['completion']!r} is not unit {unit!r}'s identifier "
                f"{identifiers[unit]!r}",
            )


def run(spec: dict[str, Any]) -> dict[str, Any]:
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    record = RunRecord("sft")
    set_determinism(spec["seed"])
    rows = read_jsonl(spec["train_file"], ("prompt", "completion"))
    identifiers = read_identifiers(spec["identifiers_file"])
    check_completions(rows, identifiers, spec["train_file"])
    model, tok = load_model_and_tokenizer(spec)
    if spec["identifier_type"] == "atomic":
        record.extra["added_tokens"] = add_atomic_tokens(model, tok, identifiers)
    peft_config = None
    if spec["lora"] is not None:
        from peft import LoraConfig

        lora = spec["lora"]
        peft_config = LoraConfig(
            r=lora["r"],
            lora_alpha=lora["alpha"],
            lora_dropout=lora["dropout"],
            task_type="CAUSAL_LM",
            # New atomic-identifier embeddings must be trained in full, not through an adapter.
            modules_to_save=["embed_tokens", "lm_head"] if spec["identifier_type"] == "atomic" else None,
        )
    dataset = Dataset.from_list([{"prompt": r["prompt"], "completion": r["completion"]} for r in rows])
    config = SFTConfig(
        **common_args(spec),
        warmup_ratio=spec["warmup_ratio"],
        max_length=spec["max_length"],
        packing=spec["packing"],
        completion_only_loss=False,
        deepspeed=spec["deepspeed"],
    )
    trainer = SFTTrainer(model=model, args=config, train_dataset=dataset, processing_class=tok, peft_config=peft_config)
    train(trainer, record, spec["checkpoint_dir"])
    out = os.path.join(spec["output_dir"], "model")
    final = trainer.model
    if peft_config is not None:
        final = final.merge_and_unload()
    if not trainer.is_world_process_zero():
        return {}
    final.save_pretrained(out)
    tok.save_pretrained(out)
    if not os.path.isfile(os.path.join(out, "config.json")):
        raise TrainerError("internal", f"model was not written to {out}")
    record.extra["examples"] = len(rows)
    return record.write(spec["output_dir"])
