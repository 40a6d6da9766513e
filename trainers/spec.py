"""Spec validation: every command declares its keys, types and defaults here.

Unknown keys, missing required keys and wrong types are a "bad-spec" failure, reported all at
once. Input paths are checked for existence separately (a "missing-input" failure), because a
well-formed spec can still point at a file an earlier step failed to write.
"""

from __future__ import annotations

import json
import os
from typing import Any

from .protocol import TrainerError

REQUIRED = object()
# A key's shape: (accepted types, default). `None` in the types admits JSON null.
Shape = tuple[tuple[type, ...], Any]

_NUM = (int, float)
_LORA = (dict, type(None))
_STR_OR_NULL = (str, type(None))

SPECS: dict[str, dict[str, Shape]] = {
    "init-model": {
        "output_dir": ((str,), REQUIRED),
        "tokenizer": ((str,), "mistral-common:mistral_instruct_tokenizer_240323.model.v3"),
        "config": ((dict,), {}),
        "seed": ((int,), 0),
        # Train a small SentencePiece vocabulary on this text file instead of using `tokenizer`:
        # {"text_file": ..., "vocab_size": ...}. A tiny model's cost is dominated by its output
        # layer, so a 32k vocabulary would make CPU training ~10x slower for nothing.
        "train_tokenizer": ((dict, type(None)), None),
    },
    "sft": {
        "output_dir": ((str,), REQUIRED),
        "checkpoint_dir": ((str,), REQUIRED),
        "model": ((str,), REQUIRED),
        "train_file": ((str,), REQUIRED),
        "identifiers_file": ((str,), REQUIRED),
        "identifier_type": ((str,), "semantic"),
        "epochs": (_NUM, 2),
        "learning_rate": (_NUM, 2e-5),
        "warmup_ratio": (_NUM, 0.1),
        "batch_size": ((int,), 256),
        "per_device_batch_size": ((int,), 8),
        "max_length": ((int,), 700),
        "packing": ((bool,), True),
        "seed": ((int,), 0),
        "lora": (_LORA, None),
        "precision": ((str,), "auto"),
        "attn_implementation": ((str,), "auto"),
        "deepspeed": (_STR_OR_NULL, None),
        "save_steps": ((int,), 200),
    },
    "rpo": {
        "output_dir": ((str,), REQUIRED),
        "checkpoint_dir": ((str,), REQUIRED),
        "model": ((str,), REQUIRED),
        "train_file": ((str,), REQUIRED),
        "beta": (_NUM, 0.5),
        "alpha": (_NUM, 1.0),
        "learning_rate": (_NUM, 1e-7),
        "epochs": (_NUM, 1),
        "batch_size": ((int,), 64),
        "per_device_batch_size": ((int,), 8),
        "max_length": ((int,), 700),
        "seed": ((int,), 0),
        "precision": ((str,), "auto"),
        "save_steps": ((int,), 200),
    },
    "retrieve": {
        "output_dir": ((str,), REQUIRED),
        "model": ((str,), REQUIRED),
        "queries_file": ((str,), REQUIRED),
        "identifiers_file": ((str,), REQUIRED),
        "identifier_type": ((str,), "semantic"),
        "beam_size": ((int,), 10),
        "k": ((int,), 10),
        "batch_size": ((int,), 16),
        "run_name": ((str,), "exp"),
    },
    "bm25": {
        "output_dir": ((str,), REQUIRED),
        "corpus_file": ((str,), REQUIRED),
        "queries_file": ((str,), REQUIRED),
        "k1": (_NUM, 1.5),
        "b": (_NUM, 0.75),
        "method": ((str,), "lucene"),
        "stopwords": ((bool,), True),
        "stemmer": (_STR_OR_NULL, "english"),
        "k": ((int,), 10),
    },
    # Dense retrieval (Table 12): `encode` embeds the corpus units once per model and format;
    # `dense-search` embeds the queries and searches those embeddings exactly.
    "encode": {
        "output_dir": ((str,), REQUIRED),
        "model": ((str,), REQUIRED),
        "texts_file": ((str,), REQUIRED),
        "passage_format": ((str,), "{passage}"),
        "pooling": ((str,), REQUIRED),
        "normalize": ((bool,), REQUIRED),
        "append_eos": ((bool,), False),
        "max_length": ((int,), 512),
        "batch_size": ((int,), 32),
        "precision": ((str,), "auto"),
    },
    "dense-search": {
        "output_dir": ((str,), REQUIRED),
        "model": ((str,), REQUIRED),
        "queries_file": ((str,), REQUIRED),
        "embeddings_dir": ((str,), REQUIRED),
        "query_format": ((str,), "{query}"),
        "pooling": ((str,), REQUIRED),
        "normalize": ((bool,), REQUIRED),
        "append_eos": ((bool,), False),
        "max_length": ((int,), 512),
        "batch_size": ((int,), 32),
        "precision": ((str,), "auto"),
        "k": ((int,), 10),
        "run_name": ((str,), "dense"),
    },
    # docT5query (Nogueira et al. 2019): m independent top-k samples per unit.
    "doct5query": {
        "output_dir": ((str,), REQUIRED),
        "model": ((str,), REQUIRED),
        "units_file": ((str,), REQUIRED),
        "m": ((int,), REQUIRED),
        "top_k": ((int,), 10),
        "max_input_length": ((int,), 512),
        "max_new_tokens": ((int,), 64),
        "batch_size": ((int,), 16),
        "seed": ((int,), 0),
        "precision": ((str,), "auto"),
    },
    # DSI-QG's filter (Chunk-F): a cross-encoder scores each query against its own unit and the
    # `top` best queries per unit are kept.
    "rerank": {
        "output_dir": ((str,), REQUIRED),
        "model": ((str,), REQUIRED),
        "queries_file": ((str,), REQUIRED),
        "units_file": ((str,), REQUIRED),
        "top": ((int,), REQUIRED),
        "max_length": ((int,), 512),
        "batch_size": ((int,), 32),
        "precision": ((str,), "auto"),
    },
    # Model weights from the Hugging Face Hub into the step's output, at a pinned revision.
    "fetch-model": {
        "output_dir": ((str,), REQUIRED),
        "repo": ((str,), REQUIRED),
        "revision": (_STR_OR_NULL, None),
    },
}

_ENUMS = {
    "identifier_type": ("semantic", "atomic"),
    "precision": ("auto", "bf16", "fp16", "fp32"),
    "attn_implementation": ("auto", "eager", "sdpa", "flash_attention_2"),
    "method": ("lucene", "robertson", "atire", "bm25l", "bm25+"),
    "pooling": ("cls", "mean", "last-token"),
}
_LORA_KEYS = {"r": int, "alpha": _NUM, "dropout": _NUM}
# Paths that must exist before the command starts; "model" may also be a hub id (no "/" prefix).
_INPUT_PATHS = (
    "train_file",
    "identifiers_file",
    "queries_file",
    "corpus_file",
    "deepspeed",
    "texts_file",
    "units_file",
    "embeddings_dir",
)


def _type_name(types: tuple[type, ...]) -> str:
    return " or ".join("null" if t is type(None) else t.__name__ for t in types)


def _check_type(value: Any, types: tuple[type, ...]) -> bool:
    # bool is an int subclass in Python; a JSON true must not pass for a number.
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def validate(command: str, raw: Any) -> dict[str, Any]:
    shape = SPECS.get(command)
    if shape is None:
        raise TrainerError("bad-spec", f"unknown command {command!r}")
    if not isinstance(raw, dict):
        raise TrainerError("bad-spec", "spec must be a JSON object")
    problems: list[str] = []
    spec: dict[str, Any] = {}
    for key in sorted(set(raw) - set(shape)):
        problems.append(f"unknown key {key!r}")
    for key, (types, default) in shape.items():
        if key not in raw:
            if default is REQUIRED:
                problems.append(f"missing key {key!r}")
            spec[key] = default
            continue
        value = raw[key]
        if not _check_type(value, types):
            problems.append(f"{key!r} must be {_type_name(types)}")
        elif key in _ENUMS and value not in _ENUMS[key]:
            problems.append(f"{key!r} must be one of {', '.join(_ENUMS[key])}")
        spec[key] = value
    lora = spec.get("lora")
    if isinstance(lora, dict):
        for key in sorted(set(lora) - set(_LORA_KEYS)):
            problems.append(f"unknown key 'lora.{key}'")
        for key, types in _LORA_KEYS.items():
            t = types if isinstance(types, tuple) else (types,)
            if key not in lora or not _check_type(lora[key], t):
                problems.append(f"'lora.{key}' must be {_type_name(t)}")
    for key in (
        "batch_size",
        "per_device_batch_size",
        "beam_size",
        "k",
        "max_length",
        "save_steps",
        "m",
        "top",
        "top_k",
        "max_input_length",
        "max_new_tokens",
    ):
        if isinstance(spec.get(key), int) and spec[key] < 1:
            problems.append(f"{key!r} must be >= 1")
    for key, placeholder in (("passage_format", "{passage}"), ("query_format", "{query}")):
        if isinstance(spec.get(key), str) and placeholder not in spec[key]:
            problems.append(f"{key!r} must contain {placeholder}")
    if (
        command == "retrieve"
        and isinstance(spec.get("k"), int)
        and isinstance(spec.get("beam_size"), int)
        and spec["identifier_type"] == "semantic"
        and spec["k"] > spec["beam_size"]
    ):
        problems.append("'k' must not exceed 'beam_size' for semantic identifiers")
    if problems:
        raise TrainerError("bad-spec", "; ".join(problems))
    for key in _INPUT_PATHS:
        path = spec.get(key)
        if isinstance(path, str) and not os.path.exists(path):
            raise TrainerError("missing-input", f"{key} not found: {path}")
    model = spec.get("model")
    if isinstance(model, str) and model.startswith(("/", ".")) and not os.path.isdir(model):
        raise TrainerError("missing-input", f"model not found: {model}")
    return spec


def load(command: str, path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except FileNotFoundError as e:
        raise TrainerError("missing-input", f"spec not found: {path}") from e
    except json.JSONDecodeError as e:
        raise TrainerError("bad-spec", f"spec is not valid JSON: {e}") from e
    return validate(command, raw)
