"""Builds a Hugging Face tokenizer from a SentencePiece model file.

A spec names either a `.model` path or `mistral-common:<file>`, a file shipped inside the
`mistral-common` wheel (so the local profile needs no download beyond PyPI). Only the Llama-style
SentencePiece tokenizer (BOS prepended, no EOS appended) is supported, which is what Mistral uses.
"""

from __future__ import annotations

import os
from importlib import resources
from typing import Any

from .protocol import TrainerError

MISTRAL_COMMON = "mistral-common:"


def resolve_tokenizer_file(name: str) -> str:
    if name.startswith(MISTRAL_COMMON):
        file = name[len(MISTRAL_COMMON) :]
        path = str(resources.files("mistral_common") / "data" / file)
    else:
        path = name
    if not os.path.isfile(path):
        raise TrainerError("missing-input", f"tokenizer model not found: {path}")
    return path


def load_sentencepiece_tokenizer(name: str) -> Any:
    from transformers import LlamaTokenizerFast

    path = resolve_tokenizer_file(name)
    # legacy=False: text after a special token is tokenised as at the start of a word, the way the
    # SentencePiece model itself does; this keeps prompt+identifier tokenisation consistent.
    tok = LlamaTokenizerFast(vocab_file=path, add_bos_token=True, add_eos_token=False, legacy=False)
    if tok.pad_token is None:
        # A pad distinct from EOS keeps padded positions from looking like finished sequences.
        tok.pad_token = tok.unk_token
    return tok
