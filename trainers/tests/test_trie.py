"""The identifier Trie with the real Mistral v3 tokenizer: reachability and exclusivity."""

from __future__ import annotations

import pytest

from trainers.trie import Trie, build_trie, identifier_tails

from .conftest import SHARED_TOKENIZER

PROMPT = "Query: which fish swims upstream\nIdentifier:"
IDENTIFIERS = {
    "a": " river trout",
    "b": " river trout farming",  # extends a's identifier: EOS and a continuation share a node
    "c": " river delta",  # shares a first piece with a and b
    "d": "river trout",  # differs from a only by the leading space
    "e": "  river trout",  # two leading spaces
    "f": " mountain pass 12",
}


@pytest.fixture(scope="module")
def tok():
    if not SHARED_TOKENIZER.is_file():
        pytest.skip(f"Mistral v3 tokenizer not found at {SHARED_TOKENIZER} (shared data absent)")
    from trainers.tokenizer import load_sentencepiece_tokenizer

    return load_sentencepiece_tokenizer(str(SHARED_TOKENIZER))


def generable(trie: Trie) -> set[tuple[int, ...]]:
    """Every token sequence constrained decoding can produce: walk `allowed` from the root to EOS."""
    out: set[tuple[int, ...]] = set()
    stack: list[list[int]] = [[]]
    while stack:
        prefix = stack.pop()
        for t in trie.allowed(prefix):
            if t == trie.eos:
                out.add(tuple(prefix + [t]))
            else:
                stack.append(prefix + [t])
    return out


def test_every_identifier_reachable_and_nothing_else(tok) -> None:
    trie = build_trie(tok, PROMPT, IDENTIFIERS)
    tails = identifier_tails(tok, PROMPT, list(IDENTIFIERS.values()))
    expected = {tuple(t + [tok.eos_token_id]) for t in tails}
    assert generable(trie) == expected
    for unit, tail in zip(IDENTIFIERS, tails):
        assert trie.unit(tail) == unit


def test_tails_are_the_tokens_that_follow_the_prompt(tok) -> None:
    for ident in IDENTIFIERS.values():
        [tail] = identifier_tails(tok, PROMPT, [ident])
        assert tok(PROMPT + ident)["input_ids"] == tok(PROMPT)["input_ids"] + tail
        assert tok.decode(tail).strip() == ident.strip()
    # SentencePiece merges the leading space into the first piece.
    [tail] = identifier_tails(tok, PROMPT, [" river trout"])
    assert tok.convert_ids_to_tokens(tail)[0] == "▁river"


def test_leading_space_variants_are_distinct_paths(tok) -> None:
    trie = build_trie(tok, PROMPT, IDENTIFIERS)
    a, d, e = identifier_tails(tok, PROMPT, [IDENTIFIERS["a"], IDENTIFIERS["d"], IDENTIFIERS["e"]])
    assert len({tuple(a), tuple(d), tuple(e)}) == 3
    assert (trie.unit(a), trie.unit(d), trie.unit(e)) == ("a", "d", "e")


def test_prefix_identifier_allows_eos_and_continuation(tok) -> None:
    trie = build_trie(tok, PROMPT, IDENTIFIERS)
    [a, b] = identifier_tails(tok, PROMPT, [IDENTIFIERS["a"], IDENTIFIERS["b"]])
    assert b[: len(a)] == a
    allowed = trie.allowed(a)
    assert tok.eos_token_id in allowed and b[len(a)] in allowed
    assert trie.unit(a[:-1]) is None  # a strict prefix is no identifier


def test_allowed_is_never_empty(tok) -> None:
    trie = build_trie(tok, PROMPT, IDENTIFIERS)
    [a] = identifier_tails(tok, PROMPT, [IDENTIFIERS["a"]])
    assert trie.allowed(a + [tok.eos_token_id]) == [tok.eos_token_id]
    assert trie.allowed([123, 456]) == [tok.eos_token_id]


def test_duplicate_identifiers_fail_clearly(tok) -> None:
    from trainers.protocol import TrainerError

    with pytest.raises(TrainerError, match="tokenise to the same identifier"):
        trie = Trie(tok.eos_token_id)
        trie.add([5, 6], "x")
        trie.add([5, 6], "y")


def test_identifier_merging_with_prompt_is_rejected(tok) -> None:
    from trainers.protocol import TrainerError

    # The prompt ends in a space that the identifier's first piece would absorb.
    with pytest.raises(TrainerError, match="merges with the end of the prompt"):
        identifier_tails(tok, "Identifier: ", ["river"])
