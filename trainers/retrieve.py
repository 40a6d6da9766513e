"""`retrieve`: ranks units per query by generating their identifiers; writes a TREC run.

Semantic identifiers: beam search constrained by the identifier Trie, beam = `beam_size`,
the top `k` finished beams become the ranking, each scored by its sequence log-probability
(sum over identifier tokens and EOS, no length normalisation). Atomic identifiers: one decoding
step, the top-k of the next-token distribution restricted to the identifier tokens (the paper's
classification-style setting). Does not train and does not evaluate the run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from .data import read_identifiers, read_jsonl
from .determinism import set_determinism
from .protocol import RunRecord, TrainerError, emit
from .trie import Trie, build_trie, identifier_tails

Ranked = list[tuple[str, float]]


def load_model(path: str) -> tuple[Any, Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device.type == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    tok = AutoTokenizer.from_pretrained(path)
    # Left padding: every prompt in a batch then ends at the same position, where generation starts.
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.unk_token or tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).to(device).eval()
    return model, tok, device


def _batches(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def beam_search(
    model: Any,
    tok: Any,
    device: Any,
    prompts: Sequence[str],
    trie: Trie | None,
    beam_size: int,
    max_new_tokens: int,
) -> list[list[tuple[list[int], float]]]:
    """Finished beams per prompt as (generated tokens, log-prob), best first.

    With `trie=None` the search is unconstrained (the benchmark's baseline).
    """
    import torch

    enc = tok(list(prompts), return_tensors="pt", padding=True).to(device)
    start = enc["input_ids"].shape[1]

    def allowed(_batch_id: int, ids: torch.Tensor) -> list[int]:
        assert trie is not None
        return trie.allowed(ids[start:].tolist())

    with torch.no_grad():
        out = model.generate(
            **enc,
            num_beams=beam_size,
            num_return_sequences=beam_size,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            early_stopping=True,
            # 0 turns the beam score into the plain sum of log-probs (no division by length).
            length_penalty=0.0,
            prefix_allowed_tokens_fn=allowed if trie is not None else None,
            output_scores=True,
            return_dict_in_generate=True,
            pad_token_id=tok.pad_token_id,
            eos_token_id=tok.eos_token_id,
        )
    seqs = out.sequences[:, start:].tolist()
    scores = out.sequences_scores.tolist()
    results: list[list[tuple[list[int], float]]] = []
    for q in range(len(prompts)):
        beams = []
        for b in range(q * beam_size, (q + 1) * beam_size):
            tokens = seqs[b]
            if tok.eos_token_id in tokens:
                tokens = tokens[: tokens.index(tok.eos_token_id) + 1]
            beams.append((tokens, scores[b]))
        beams.sort(key=lambda x: -x[1])
        results.append(beams)
    return results


def rank_semantic(
    model: Any, tok: Any, device: Any, prompts: Sequence[str], trie: Trie, beam_size: int, k: int, depth: int
) -> list[Ranked]:
    ranked: list[Ranked] = []
    for beams in beam_search(model, tok, device, prompts, trie, beam_size, depth):
        units: Ranked = []
        for tokens, score in beams:
            unit = trie.unit(tokens)
            # A beam that never reached EOS within the Trie depth is no identifier; -inf scores
            # appear when fewer valid paths than beams exist.
            if unit is not None and score != float("-inf") and unit not in dict(units):
                units.append((unit, score))
        ranked.append(units[:k])
    return ranked


def rank_atomic(
    model: Any, tok: Any, device: Any, prompts: Sequence[str], tails: dict[str, list[int]], k: int
) -> list[Ranked]:
    """Top-k over identifier tokens after the prompt and any prefix all identifiers share."""
    import torch

    units = list(tails)
    prefix = tails[units[0]][:-1]
    if any(t[:-1] != prefix for t in tails.values()):
        raise TrainerError("bad-spec", "atomic identifiers must each tokenise to one token after the prompt")
    id_tokens = torch.tensor([tails[u][-1] for u in units], device=device)
    enc = tok(list(prompts), return_tensors="pt", padding=True)
    n = len(prompts)
    pre = torch.tensor([prefix] * n, dtype=enc["input_ids"].dtype).reshape(n, len(prefix))
    ids = torch.cat([enc["input_ids"], pre], dim=1).to(device)
    mask = torch.cat([enc["attention_mask"], torch.ones_like(pre)], dim=1).to(device)
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=ids, attention_mask=mask).logits.float(), dim=-1)
    L = ids.shape[1]
    # Log-prob of the shared prefix, so scores stay sequence log-probs comparable across queries.
    prefix_lp = torch.zeros(n, device=device)
    for j, t in enumerate(prefix):
        prefix_lp += logp[:, L - len(prefix) - 1 + j, t]
    scores = logp[:, -1, :].index_select(1, id_tokens) + prefix_lp[:, None]
    top = torch.topk(scores, k=min(k, len(units)), dim=1)
    return [
        [(units[i], float(s)) for i, s in zip(idx.tolist(), val.tolist())] for idx, val in zip(top.indices, top.values)
    ]


def write_trec(path: str, qids: Sequence[str], ranked: Sequence[Ranked], run_name: str) -> None:
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        for qid, units in zip(qids, ranked):
            for rank, (unit, score) in enumerate(units, start=1):
                f.write(f"{qid} Q0 {unit} {rank} {score:.6f} {run_name}\n")
    os.replace(path + ".tmp", path)


def check_prompt_ends(tok: Any, prompts: Sequence[str], ident: str, expected: list[int]) -> None:
    """Every prompt must let the identifier tokenise as it did for the Trie's reference prompt."""
    for p in prompts:
        if identifier_tails(tok, p, [ident])[0] != expected:
            raise TrainerError(
                "bad-spec", "query prompts end differently, so identifiers tokenise differently after them"
            )


def run(spec: dict[str, Any]) -> dict[str, Any]:
    record = RunRecord("retrieve")
    set_determinism(0)
    units = read_identifiers(spec["identifiers_file"])
    queries = read_jsonl(spec["queries_file"], ("id", "prompt"))
    model, tok, device = load_model(spec["model"])
    prompts = [q["prompt"] for q in queries]
    reference = prompts[0]
    names = list(units)
    tails = dict(zip(names, identifier_tails(tok, reference, [units[u] for u in names])))
    check_prompt_ends(tok, prompts, units[names[0]], tails[names[0]])
    atomic = spec["identifier_type"] == "atomic"
    trie = None if atomic else build_trie(tok, reference, units)
    depth = max(len(t) for t in tails.values()) + 1
    ranked: list[Ranked] = []
    batches = _batches(prompts, spec["batch_size"])
    for i, batch in enumerate(batches, start=1):
        if atomic:
            ranked += rank_atomic(model, tok, device, batch, tails, spec["k"])
        else:
            assert trie is not None
            ranked += rank_semantic(model, tok, device, batch, trie, spec["beam_size"], spec["k"], depth)
        emit("progress", step=i, total=len(batches))
    os.makedirs(spec["output_dir"], exist_ok=True)
    write_trec(os.path.join(spec["output_dir"], "run.trec"), [q["id"] for q in queries], ranked, spec["run_name"])
    record.extra.update(
        queries=len(queries),
        units=len(units),
        short_rankings=sum(1 for r in ranked if len(r) < min(spec["k"], len(units))),
    )
    return record.write(spec["output_dir"])
