"""`init-model`: the local profile's tiny Mistral-architecture model, random weights, seeded.

Writes `<output_dir>/model/` (config, safetensors weights, tokenizer). Does not train.
"""

from __future__ import annotations

import os
from typing import Any

from .determinism import set_determinism
from .protocol import RunRecord, TrainerError, emit
from .tokenizer import load_sentencepiece_tokenizer

_CONFIG_KEYS = {
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "intermediate_size",
    "max_position_embeddings",
    "rope_theta",
    "sliding_window",
    "tie_word_embeddings",
}


def train_sentencepiece(options: dict[str, Any], output_dir: str) -> str:
    """A BPE SentencePiece model trained on `text_file`, shaped like Mistral's (byte fallback,
    digits split, whitespace kept) so the same tokenizer code and Trie logic apply."""
    import sentencepiece as spm

    unknown = sorted(set(options) - {"text_file", "vocab_size"})
    if unknown or "text_file" not in options:
        raise TrainerError("bad-spec", "train_tokenizer takes text_file and vocab_size")
    if not os.path.isfile(options["text_file"]):
        raise TrainerError("missing-input", f"tokenizer training text not found: {options['text_file']}")
    prefix = os.path.join(output_dir, "tokenizer")
    spm.SentencePieceTrainer.train(
        input=options["text_file"],
        model_prefix=prefix,
        vocab_size=int(options.get("vocab_size", 2000)),
        hard_vocab_limit=False,  # an upper bound: a small corpus may not support that many pieces
        model_type="bpe",
        byte_fallback=True,
        split_digits=True,
        character_coverage=1.0,
        bos_id=1,
        eos_id=2,
        unk_id=0,
        # The instruct prompt's markers stay single pieces, as in Mistral's own vocabulary.
        user_defined_symbols=["[INST]", "[/INST]"],
        num_threads=1,  # one thread: the merges, and so the vocabulary, are reproducible
        minloglevel=2,
    )
    return prefix + ".model"


def run(spec: dict[str, Any]) -> dict[str, Any]:
    from transformers import MistralConfig, MistralForCausalLM

    unknown = sorted(set(spec["config"]) - _CONFIG_KEYS)
    if unknown:
        raise TrainerError("bad-spec", f"unknown config keys: {', '.join(unknown)}")
    record = RunRecord("init-model")
    set_determinism(spec["seed"])
    tokenizer = spec["tokenizer"]
    if spec["train_tokenizer"] is not None:
        tokenizer = train_sentencepiece(spec["train_tokenizer"], spec["output_dir"])
    tok = load_sentencepiece_tokenizer(tokenizer)
    config = MistralConfig(
        vocab_size=len(tok),
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        **spec["config"],
    )
    model = MistralForCausalLM(config)
    out = os.path.join(spec["output_dir"], "model")
    model.save_pretrained(out)
    tok.save_pretrained(out)
    emit("progress", step=1, total=1)
    record.extra["parameters"] = sum(p.numel() for p in model.parameters())
    return record.write(spec["output_dir"])
