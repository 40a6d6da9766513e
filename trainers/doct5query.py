"""`doct5query`: docT5query queries (Nogueira et al. 2019) for every corpus unit.

The checkpoint (castorini/doc2query-t5-base-msmarco) is a T5 seq2seq model that reads the passage
as it is, without a task prefix. Each unit gets `m` queries sampled independently with top-k
sampling (the paper's k = 10). The output is a query file in the runner's format, so a docT5query
set trains exactly like an LLM-generated one. Does not filter, rank or deduplicate queries:
`rerank` is the Chunk-F filter, and repeated samples are kept because independent sampling makes
them (result.json counts the distinct texts).

On CPU the file is byte-identical for the same spec; it depends on the seed and on `batch_size`
too, since the units of a batch draw from one random stream. The loading and writing helpers here
serve `rerank` as well.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from .data import read_jsonl
from .determinism import set_determinism
from .hardware import resolve_precision, torch_dtype
from .protocol import RunRecord, TrainerError, emit

KIND = "doct5query"


def check_model_dir(path: str) -> None:
    # transformers guesses a model type from a directory's name when config.json is missing, and
    # would report an unrelated architecture. Checked before the seconds-long torch import.
    if os.path.isdir(path) and not os.path.isfile(os.path.join(path, "config.json")):
        raise TrainerError("missing-input", f"no model in {path}: config.json not found")


def load_pretrained(auto_class: Any, path: str, precision: str) -> tuple[Any, Any, Any, dict[str, Any]]:
    """Model (eval mode, on CUDA when there is one), tokenizer, device and loading info."""
    import torch
    from transformers import AutoTokenizer

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch_dtype(resolve_precision(precision))
    try:
        model, info = auto_class.from_pretrained(path, dtype=dtype, output_loading_info=True)
    except (OSError, ValueError) as e:
        # Hub ids without network, missing weight files, a directory holding another kind of model.
        raise TrainerError("missing-input", f"cannot load model {path}: {str(e).splitlines()[0]}") from e
    try:
        tok = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError, TypeError, AttributeError) as e:
        # Missing tokenizer files surface as TypeError/AttributeError from inside transformers 4.57.
        raise TrainerError("missing-input", f"cannot load the tokenizer of {path}: {type(e).__name__}: {e}") from e
    return model.to(device).eval(), tok, device, info


def write_jsonl(path: str, rows: Sequence[dict[str, Any]]) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    os.replace(path + ".tmp", path)


def sample_queries(
    model: Any, tok: Any, device: Any, texts: Sequence[str], spec: dict[str, Any]
) -> tuple[list[list[str]], int]:
    """`m` sampled queries per text, whitespace-stripped (empty strings included), and the number
    of tokens generated."""
    import torch

    enc = tok(list(texts), truncation=True, max_length=spec["max_input_length"], padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(
            **enc.to(device),
            do_sample=True,
            top_k=spec["top_k"],
            # Pinned so that a checkpoint's generation_config cannot turn this into beam search or
            # nucleus sampling.
            top_p=1.0,
            temperature=1.0,
            num_beams=1,
            max_new_tokens=spec["max_new_tokens"],
            num_return_sequences=spec["m"],
        )
    decoded = [s.strip() for s in tok.batch_decode(out, skip_special_tokens=True)]
    m = spec["m"]
    # generate() returns the m samples of each input next to each other. T5 starts decoding from
    # its pad token and pads finished samples, so non-pad tokens are the generated ones.
    generated = int((out != tok.pad_token_id).sum())
    return [decoded[i * m : (i + 1) * m] for i in range(len(texts))], generated


def to_records(unit: str, samples: Sequence[str], generator: str) -> list[dict[str, Any]]:
    # As the runner numbers LLM queries: `n` counts the kept queries of the unit (an empty sample
    # leaves no gap), and `sample` is the generation call, here the one call per unit.
    kept = [s for s in samples if s]
    return [
        {"id": f"{unit}#{KIND}#{n}", "text": text, "unit": unit, "kind": KIND, "generator": generator, "sample": 0}
        for n, text in enumerate(kept)
    ]


def check_unique(path: str, ids: Sequence[str]) -> None:
    # A repeated unit would repeat its query ids.
    seen: set[str] = set()
    for unit in ids:
        if unit in seen:
            raise TrainerError("bad-spec", f"{path}: unit {unit!r} listed twice")
        seen.add(unit)


def run(spec: dict[str, Any]) -> dict[str, Any]:
    record = RunRecord("doct5query")
    units = read_jsonl(spec["units_file"], ("id", "text"))
    check_unique(spec["units_file"], [u["id"] for u in units])
    check_model_dir(spec["model"])
    set_determinism(spec["seed"])
    from transformers import AutoModelForSeq2SeqLM

    model, tok, device, _ = load_pretrained(AutoModelForSeq2SeqLM, spec["model"], spec["precision"])
    generator = f"doct5query:{spec['model']}"
    size = spec["batch_size"]
    total = (len(units) + size - 1) // size
    records: list[dict[str, Any]] = []
    empty = 0
    for step, start in enumerate(range(0, len(units), size), start=1):
        batch = units[start : start + size]
        samples_per_unit, generated = sample_queries(model, tok, device, [u["text"] for u in batch], spec)
        record.tokens += generated
        for unit, samples in zip(batch, samples_per_unit):
            unit_records = to_records(unit["id"], samples, generator)
            empty += len(samples) - len(unit_records)
            records += unit_records
        emit("progress", step=step, total=total)
    write_jsonl(os.path.join(spec["output_dir"], "queries.jsonl"), records)
    record.extra.update(units=len(units), queries=len(records), distinct=len({r["text"] for r in records}), empty=empty)
    return record.write(spec["output_dir"])
