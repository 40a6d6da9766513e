"""Tiny randomly initialised checkpoints for the off-the-shelf model commands, built without any
download: a BERT encoder (bge / Contriever stand-in), a BERT cross-encoder (BGE reranker stand-in)
and a T5 (docT5query stand-in), each saved with a tokenizer trained on the given text.

`python -m trainers.tests.tiny_models <bert|cross-encoder|t5> <dir>` builds one for the runner's
end-to-end tests.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable

_TEXT = (
    "the river delta forms where a wide river meets the sea and farmers raise trout in ponds near "
    "the old bridge while owls hunt mice at dusk in the forest and the market sells spices on "
    "sunday glaciers carve valleys ash darkened the sky a ferry links the island to the harbour"
)
WORDS = _TEXT.split(" ")


def _texts(texts: Iterable[str] | None) -> list[str]:
    return list(texts) if texts is not None else [" ".join(WORDS[i:] + WORDS[:i]) for i in range(len(WORDS))]


def _wordpiece(out_dir: str, texts: list[str]) -> None:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=300, special_tokens=specials))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]",
        mask_token="[MASK]", model_max_length=128,
    )  # fmt: skip
    fast.save_pretrained(out_dir)


def _bert_config(vocab_size: int, **extra: int) -> object:
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=128, **extra,
    )  # fmt: skip


def bert(out_dir: str, texts: Iterable[str] | None = None, seed: int = 0) -> str:
    """A bi-encoder: BertModel with a WordPiece tokenizer."""
    import torch
    from transformers import AutoTokenizer, BertModel

    _wordpiece(out_dir, _texts(texts))
    torch.manual_seed(seed)
    BertModel(_bert_config(len(AutoTokenizer.from_pretrained(out_dir)))).save_pretrained(out_dir)
    return out_dir


def cross_encoder(out_dir: str, texts: Iterable[str] | None = None, seed: int = 0) -> str:
    """A cross-encoder: BertForSequenceClassification with one logit, like the BGE rerankers."""
    import torch
    from transformers import AutoTokenizer, BertForSequenceClassification

    _wordpiece(out_dir, _texts(texts))
    torch.manual_seed(seed)
    config = _bert_config(len(AutoTokenizer.from_pretrained(out_dir)), num_labels=1)
    BertForSequenceClassification(config).save_pretrained(out_dir)
    return out_dir


def t5(out_dir: str, texts: Iterable[str] | None = None, seed: int = 0) -> str:
    """A seq2seq query generator: T5ForConditionalGeneration with a SentencePiece tokenizer."""
    import sentencepiece as spm
    import torch
    from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer

    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        text_file = os.path.join(tmp, "text.txt")
        with open(text_file, "w", encoding="utf-8") as f:
            f.write("\n".join(_texts(texts)))
        # T5's ids: pad 0, eos 1, unk 2.
        spm.SentencePieceTrainer.train(
            input=text_file, model_prefix=os.path.join(tmp, "spiece"), vocab_size=120, pad_id=0, eos_id=1,
            unk_id=2, bos_id=-1, hard_vocab_limit=False, minloglevel=2,
        )  # fmt: skip
        tokenizer = T5Tokenizer(vocab_file=os.path.join(tmp, "spiece.model"), extra_ids=0, legacy=False)
        tokenizer.save_pretrained(out_dir)
    torch.manual_seed(seed)
    config = T5Config(
        vocab_size=len(tokenizer), d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=2,
        decoder_start_token_id=0, pad_token_id=0, eos_token_id=1,
    )  # fmt: skip
    T5ForConditionalGeneration(config).save_pretrained(out_dir)
    return out_dir


BUILDERS = {"bert": bert, "cross-encoder": cross_encoder, "t5": t5}

if __name__ == "__main__":
    BUILDERS[sys.argv[1]](sys.argv[2])
