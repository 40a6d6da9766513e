"""`encode` and `dense-search`: the bi-encoder baselines of Table 12 with plain Transformers.

`encode` embeds every corpus unit once: embeddings.npy (float32, N x d, row i = i-th unit of the
file) and ids.json. `dense-search` embeds the queries with the same model and settings and ranks
all units by exact inner product (cosine when `normalize` is on), writing the top k as a TREC run
like `bm25`. Pooling follows each model's published usage:
  cls         the first token's hidden state, [CLS] (bge);
  mean        the attention-mask-weighted mean of the token states (Contriever);
  last-token  the last non-padding token's hidden state (E5-mistral, GTE-Qwen2).
Positions come from the attention mask, so left and right padding both work. Instructions and
prefixes are data (`passage_format`, `query_format`), not code. Builds no approximate index and
does not evaluate the run.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from typing import Any

from .data import read_jsonl
from .determinism import set_determinism
from .hardware import resolve_precision, torch_dtype
from .protocol import RunRecord, TrainerError, emit


def format_text(template: str, placeholder: str, text: str) -> str:
    # str.replace, not str.format: passages and queries contain braces of their own.
    return template.replace(placeholder, text)


def load_encoder(path: str, precision: str) -> tuple[Any, Any, Any]:
    import torch
    from transformers import AutoModel, AutoTokenizer

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModel.from_pretrained(path, dtype=torch_dtype(resolve_precision(precision)))
    except (OSError, ValueError) as e:
        raise TrainerError("missing-input", f"cannot load model {path}: {str(e).splitlines()[0]}") from e
    return model.to(device).eval(), tok, device


def tokenize(tok: Any, texts: list[str], max_length: int, append_eos: bool) -> list[list[int]]:
    if not append_eos:
        return tok(texts, truncation=True, max_length=max_length)["input_ids"]
    # E5-mistral's usage: truncate to max_length - 1, then append EOS, so that the token whose state
    # last-token pooling takes is EOS even for a truncated text.
    eos = tok.eos_token_id
    if eos is None or max_length < 2:
        raise TrainerError("bad-spec", "append_eos needs a tokenizer with an EOS token and max_length >= 2")
    ids = tok(texts, truncation=True, max_length=max_length - 1)["input_ids"]
    # A tokenizer configured to add EOS itself must not get a second one.
    return [x if x[-1:] == [eos] else [*x, eos] for x in ids]


def pad(seqs: Sequence[list[int]], pad_id: int, left: bool) -> tuple[Any, Any]:
    import torch

    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        span = slice(width - len(s), width) if left else slice(0, len(s))
        ids[i, span] = torch.tensor(s, dtype=torch.long)
        mask[i, span] = 1
    return ids, mask


def pool(hidden: Any, mask: Any, pooling: str) -> Any:
    import torch

    hidden, keep = hidden.float(), mask.bool()
    if pooling == "mean":
        # masked_fill, not a product: a fully masked padding row may hold NaN, and NaN * 0 is NaN.
        return hidden.masked_fill(~keep[..., None], 0.0).sum(1) / keep.sum(1, keepdim=True)
    rows = torch.arange(hidden.shape[0], device=hidden.device)
    if pooling == "cls":
        return hidden[rows, keep.long().argmax(1)]  # argmax: the first kept position
    if pooling == "last-token":
        return hidden[rows, keep.shape[1] - 1 - keep.flip(1).long().argmax(1)]
    raise ValueError(f"unknown pooling {pooling!r}")


def embed(
    model: Any, tok: Any, device: Any, ids: list[list[int]], pooling: str, normalize: bool, batch_size: int,
    extra_steps: int = 0,
) -> Any:  # fmt: skip
    """One float32 row per sequence, in input order; emits a progress event per batch."""
    import numpy as np
    import torch

    # Decoder tokenizers often have no pad token; the value is masked out, EOS is as good as any.
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else (tok.eos_token_id or 0)
    # Longest first: batches of similar lengths carry little padding, and a batch too large for memory
    # fails at once instead of at the end.
    order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    out = None
    with torch.inference_mode():
        for step, batch in enumerate(batches, start=1):
            input_ids, mask = pad([ids[i] for i in batch], pad_id, tok.padding_side == "left")
            input_ids, mask = input_ids.to(device), mask.to(device)
            vecs = pool(model(input_ids=input_ids, attention_mask=mask).last_hidden_state, mask, pooling)
            if normalize:
                vecs = torch.nn.functional.normalize(vecs, dim=-1)
            if out is None:
                out = np.empty((len(ids), vecs.shape[1]), dtype=np.float32)
            out[batch] = vecs.cpu().numpy()
            emit("progress", step=step, total=len(batches) + extra_steps)
    return out


def rank(queries: Any, corpus: Any, k: int, device: Any = "cpu") -> tuple[Any, Any]:
    """Exact top-k corpus rows by inner product per query: (indices, scores), best first.

    k is clipped to the corpus size. A stable sort rather than topk, so that equal scores keep
    corpus order.
    """
    import torch

    k = min(k, len(corpus))
    units = torch.from_numpy(corpus).to(device)
    # A block of queries at a time keeps the score matrix near 256 MB whatever the corpus size.
    block = max(1, (1 << 26) // len(corpus))
    top, best = [], []
    for start in range(0, len(queries), block):
        scores = torch.from_numpy(queries[start : start + block]).to(device) @ units.T
        order = torch.sort(scores, dim=1, descending=True, stable=True).indices[:, :k]
        top.append(order.cpu())
        best.append(scores.gather(1, order).cpu())
    return torch.cat(top).numpy(), torch.cat(best).numpy()


def encode(spec: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    record = RunRecord("encode")
    rows = read_jsonl(spec["texts_file"], ("id", "text"))
    unit_ids = [r["id"] for r in rows]
    if len(set(unit_ids)) != len(unit_ids):
        raise TrainerError("bad-spec", f"{spec['texts_file']}: ids are not unique")
    set_determinism(0)  # after the cheap checks: it imports torch and transformers
    model, tok, device = load_encoder(spec["model"], spec["precision"])
    texts = [format_text(spec["passage_format"], "{passage}", r["text"]) for r in rows]
    ids = tokenize(tok, texts, spec["max_length"], spec["append_eos"])
    started = time.monotonic()
    vectors = embed(model, tok, device, ids, spec["pooling"], spec["normalize"], spec["batch_size"])
    elapsed = time.monotonic() - started
    out = spec["output_dir"]
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "embeddings.npy"), vectors)
    with open(os.path.join(out, "ids.json"), "w", encoding="utf-8") as f:
        json.dump(unit_ids, f)
    record.tokens = sum(len(x) for x in ids)
    record.extra.update(
        count=len(rows), dim=int(vectors.shape[1]), texts_per_s=round(len(rows) / max(elapsed, 1e-9), 2),
        model=spec["model"], pooling=spec["pooling"],
    )  # fmt: skip
    return record.write(out)


def load_embeddings(path: str) -> tuple[Any, list[str]]:
    import numpy as np

    files = os.path.join(path, "embeddings.npy"), os.path.join(path, "ids.json")
    for file in files:
        if not os.path.isfile(file):
            raise TrainerError("missing-input", f"not found: {file} (written by encode)")
    corpus = np.load(files[0])
    with open(files[1], encoding="utf-8") as f:
        units = json.load(f)
    if corpus.ndim != 2 or len(units) != corpus.shape[0] or not units:
        raise TrainerError("missing-input", f"{path}: {len(units)} ids for embeddings of shape {corpus.shape}")
    return corpus.astype(np.float32, copy=False), units


def search(spec: dict[str, Any]) -> dict[str, Any]:
    record = RunRecord("dense-search")
    queries = read_jsonl(spec["queries_file"], ("id", "text"))
    corpus, units = load_embeddings(spec["embeddings_dir"])
    set_determinism(0)  # after the cheap checks: it imports torch and transformers
    model, tok, device = load_encoder(spec["model"], spec["precision"])
    texts = [format_text(spec["query_format"], "{query}", q["text"]) for q in queries]
    ids = tokenize(tok, texts, spec["max_length"], spec["append_eos"])
    vectors = embed(model, tok, device, ids, spec["pooling"], spec["normalize"], spec["batch_size"], extra_steps=1)
    if vectors.shape[1] != corpus.shape[1]:
        raise TrainerError(
            "bad-spec",
            f"{spec['embeddings_dir']} holds {corpus.shape[1]}-dimensional embeddings but {spec['model']} "
            f"gives {vectors.shape[1]} dimensions: encode the corpus with the query model",
        )
    top, scores = rank(vectors, corpus, spec["k"], device)
    k = top.shape[1]
    lines = [
        f"{q['id']} Q0 {units[int(top[qi, r])]} {r + 1} {float(scores[qi, r]):.6f} {spec['run_name']}\n"
        for qi, q in enumerate(queries)
        for r in range(k)
    ]
    os.makedirs(spec["output_dir"], exist_ok=True)
    with open(os.path.join(spec["output_dir"], "run.trec"), "w", encoding="utf-8") as f:
        f.writelines(lines)
    steps = -(-len(ids) // spec["batch_size"]) + 1  # the query batches, then the search
    emit("progress", step=steps, total=steps)
    record.tokens = sum(len(x) for x in ids)
    record.extra.update(queries=len(queries), units=len(units), k=k, model=spec["model"], pooling=spec["pooling"])
    return record.write(spec["output_dir"])
