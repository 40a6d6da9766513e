"""Dense retrieval: pooling against hand computation, padding invariance, formats, exact search
against a NumPy ranking, and encode -> dense-search through the CLI.

Two tiny random encoders: the BERT of tiny_models (bge / Contriever stand-in, right padding) and a
Mistral decoder with no pad token (E5-mistral / GTE-Qwen2 stand-in), padded on either side.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ..dense import embed, format_text, load_encoder, rank, tokenize
from ..protocol import TrainerError
from .conftest import TOPICS, events, read_run, run_cli, write_jsonl
from .tiny_models import WORDS, bert

POOLINGS = ("cls", "mean", "last-token")
SHORT = "trout swim upstream"
LONG = " ".join(WORDS * 2)


def tiny_decoder(out_dir: str) -> str:
    """MistralModel with a word-level tokenizer that has an EOS token and no pad token."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import MistralConfig, MistralModel, PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["<unk>", "</s>", *sorted(set(WORDS))])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", eos_token="</s>").save_pretrained(out_dir)
    torch.manual_seed(0)
    config = MistralConfig(
        vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=256,
    )  # fmt: skip
    MistralModel(config).save_pretrained(out_dir)
    return out_dir


@pytest.fixture(scope="module")
def encoders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, Any, Any]]:
    tmp = tmp_path_factory.mktemp("dense-models")
    bert_enc = load_encoder(bert(str(tmp / "bert")), "fp32")
    left = load_encoder(tiny_decoder(str(tmp / "decoder")), "fp32")
    right = load_encoder(str(tmp / "decoder"), "fp32")
    left[1].padding_side, right[1].padding_side = "left", "right"
    return {"bert": bert_enc, "decoder-left": left, "decoder-right": right}


def by_hand(model: Any, ids: list[int], pooling: str) -> np.ndarray:
    """The pooled state of one unpadded sequence, straight from the model's hidden states."""
    import torch

    with torch.inference_mode():
        hidden = model(input_ids=torch.tensor([ids])).last_hidden_state[0].float().numpy()
    return {"cls": hidden[0], "mean": hidden.mean(0), "last-token": hidden[-1]}[pooling]


@pytest.mark.parametrize("which", ["bert", "decoder-left", "decoder-right"])
@pytest.mark.parametrize("pooling", POOLINGS)
def test_pooling_matches_hand_computation_whatever_the_padding(
    encoders: dict[str, tuple[Any, Any, Any]], which: str, pooling: str
) -> None:
    model, tok, device = encoders[which]
    ids = tokenize(tok, [SHORT, LONG], max_length=128, append_eos=which != "bert")
    assert len(ids[1]) > 3 * len(ids[0])
    alone = embed(model, tok, device, ids[:1], pooling, normalize=False, batch_size=1)[0]
    # Batched with a much longer text, the short one is padded (left or right) by dozens of tokens.
    batched = embed(model, tok, device, ids, pooling, normalize=False, batch_size=2)
    np.testing.assert_allclose(alone, by_hand(model, ids[0], pooling), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(batched[0], alone, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(batched[1], by_hand(model, ids[1], pooling), rtol=1e-5, atol=1e-5)


def test_normalize(encoders: dict[str, tuple[Any, Any, Any]]) -> None:
    model, tok, device = encoders["bert"]
    ids = tokenize(tok, [SHORT, LONG, "the old bridge", "owls hunt mice at dusk"], 128, append_eos=False)
    unit = np.linalg.norm(embed(model, tok, device, ids, "mean", True, 2), axis=1)
    raw = np.linalg.norm(embed(model, tok, device, ids, "mean", False, 2), axis=1)
    np.testing.assert_allclose(unit, 1.0, atol=1e-5)
    assert raw.max() - raw.min() > 1e-3


def test_append_eos_truncates_to_make_room(encoders: dict[str, tuple[Any, Any, Any]]) -> None:
    _, tok, _ = encoders["decoder-left"]
    assert tok.pad_token_id is None  # the embedding falls back to EOS for padding
    eos = tok.eos_token_id
    short, long = tokenize(tok, [SHORT, LONG], max_length=8, append_eos=True)
    assert short == [*tok(SHORT)["input_ids"], eos]
    assert long == [*tok(LONG)["input_ids"][:7], eos]
    assert tokenize(tok, [LONG], max_length=8, append_eos=False)[0] == tok(LONG)["input_ids"][:8]


def test_formats_are_the_exact_strings_the_model_sees() -> None:
    bge = "Represent this sentence for searching relevant passages: {query}"
    assert format_text(bge, "{query}", "what is {x}?") == (
        "Represent this sentence for searching relevant passages: what is {x}?"
    )
    e5 = "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery: {query}"
    assert format_text(e5, "{query}", "a {} b {query}") == (
        "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery: a {} b {query}"
    )
    assert format_text("{passage}", "{passage}", "f(x) = {x: 1}") == "f(x) = {x: 1}"


def test_rank_equals_brute_force() -> None:
    rng = np.random.default_rng(0)
    queries = rng.standard_normal((7, 16), dtype=np.float32)
    corpus = rng.standard_normal((50, 16), dtype=np.float32)
    top, scores = rank(queries, corpus, k=5)
    want = queries @ corpus.T
    np.testing.assert_array_equal(top, np.argsort(-want, axis=1, kind="stable")[:, :5])
    np.testing.assert_allclose(scores, np.take_along_axis(want, top, axis=1), rtol=1e-5)
    assert all(len(set(row)) == 5 for row in top.tolist())
    # k beyond the corpus is clipped to the corpus: every row once per query.
    top, _ = rank(queries, corpus, k=1000)
    assert top.shape == (7, 50) and all(sorted(row) == list(range(50)) for row in top.tolist())


def test_rank_breaks_ties_by_corpus_order() -> None:
    corpus = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.5, 0.5]], dtype=np.float32)
    top, _ = rank(np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32), corpus, k=4)
    assert top.tolist() == [[1, 3, 4, 0], [0, 2, 4, 1]]


def test_load_failure_is_missing_input(tmp_path: Path) -> None:
    with pytest.raises(TrainerError) as e:
        load_encoder(str(tmp_path), "fp32")
    assert e.value.reason == "missing-input"


# End to end through the CLI.


def dense_spec(tmp: Path, model: str, **over: Any) -> dict[str, Any]:
    return {"model": model, "pooling": "cls", "normalize": True, "max_length": 64, "batch_size": 8, **over}


@pytest.fixture(scope="module")
def encoded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[str]]:
    tmp = tmp_path_factory.mktemp("dense-e2e")
    model = bert(str(tmp / "bert"), texts=[c for _, c, q in TOPICS] + [q for _, _, q in TOPICS])
    texts = [c for _, c, _ in TOPICS]
    units = write_jsonl(tmp / "units.jsonl", [{"id": f"u{i:02d}", "text": t} for i, t in enumerate(texts)])
    proc = run_cli("encode", dense_spec(tmp, model, output_dir=str(tmp / "emb"), texts_file=units), tmp)
    assert [e["event"] for e in events(proc)] == ["progress"] * 3
    return tmp, model, texts


def test_encode_writes_embeddings_in_file_order(encoded: tuple[Path, str, list[str]]) -> None:
    tmp, _, texts = encoded
    vectors = np.load(tmp / "emb" / "embeddings.npy")
    assert vectors.dtype == np.float32 and vectors.shape == (len(texts), 32)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert json.loads((tmp / "emb" / "ids.json").read_text()) == [f"u{i:02d}" for i in range(len(texts))]
    result = json.loads((tmp / "emb" / "result.json").read_text())
    assert (result["command"], result["count"], result["dim"], result["pooling"]) == ("encode", 20, 32, "cls")


def test_search_ranks_an_identical_passage_first(encoded: tuple[Path, str, list[str]]) -> None:
    tmp, model, texts = encoded
    # Queries copied from passages (identical formats, normalised: cosine 1) and two real queries.
    rows = [{"id": f"q{i}", "text": texts[i]} for i in (0, 7, 19)] + [
        {"id": f"r{i}", "text": TOPICS[i][2]} for i in (1, 2)
    ]
    queries = write_jsonl(tmp / "queries.jsonl", rows)
    base = dense_spec(tmp, model, queries_file=queries, embeddings_dir=str(tmp / "emb"), run_name="bge")
    run_cli("dense-search", {**base, "output_dir": str(tmp / "s3"), "k": 3}, tmp)
    run = read_run(tmp / "s3" / "run.trec")
    assert sorted(run) == sorted(r["id"] for r in rows)
    for hits in run.values():
        assert [rank for _, rank, _ in hits] == [1, 2, 3]
        assert len({unit for unit, _, _ in hits}) == 3
        assert [s for _, _, s in hits] == sorted((s for _, _, s in hits), reverse=True)
    # A copied passage's query embedding is that passage's row, so NumPy can rank by brute force.
    corpus = np.load(tmp / "emb" / "embeddings.npy")
    for i in (0, 7, 19):
        scores = corpus @ corpus[i]
        want = np.argsort(-scores, kind="stable")[:3]
        assert want[0] == i and [u for u, _, _ in run[f"q{i}"]] == [f"u{j:02d}" for j in want]
        np.testing.assert_allclose([s for _, _, s in run[f"q{i}"]], scores[want], atol=1e-5)
        assert run[f"q{i}"][0][2] == pytest.approx(1.0, abs=1e-5)
    assert all(line.endswith(" bge") for line in (tmp / "s3" / "run.trec").read_text().splitlines())
    result = json.loads((tmp / "s3" / "result.json").read_text())
    assert (result["command"], result["k"], result["queries"]) == ("dense-search", 3, 5)


def test_search_failures(encoded: tuple[Path, str, list[str]]) -> None:
    tmp, model, _ = encoded
    queries = write_jsonl(tmp / "q1.jsonl", [{"id": "q", "text": "trout"}])
    other = tmp / "other-emb"
    other.mkdir()
    np.save(other / "embeddings.npy", np.zeros((2, 7), dtype=np.float32))
    (other / "ids.json").write_text(json.dumps(["a", "b"]))
    empty = tmp / "empty-emb"
    empty.mkdir()
    base = dense_spec(tmp, model, queries_file=queries, output_dir=str(tmp / "fail"))
    cases = (
        (other, "bad-spec", "holds 7-dimensional embeddings but"),
        (tmp / "nowhere", "missing-input", "embeddings_dir not found"),
        (empty, "missing-input", "embeddings.npy (written by encode)"),
    )
    for emb, reason, words in cases:
        proc = run_cli("dense-search", {**base, "embeddings_dir": str(emb)}, tmp, check=False)
        assert proc.returncode != 0
        last = events(proc)[-1]
        assert (last["event"], last["reason"]) == ("error", reason) and words in last["message"], last
