"""Prefix Trie over identifier token sequences, for constrained decoding (Cao et al. 2020).

Identifiers are tokenised as they appear after the prompt: SentencePiece merges the space that
starts an identifier into its first piece, so tokenising an identifier alone would give pieces
the model never saw after a prompt. `identifier_tails` tokenises prompt+identifier and keeps the
tail, after checking that the prompt's own tokens are a prefix of the joint tokenisation.
Does not run a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .protocol import TrainerError

_END = -1  # key of the unit stored at a node where an identifier ends


def identifier_tails(tokenizer: Any, prompt: str, identifiers: Sequence[str]) -> list[list[int]]:
    prompt_ids = tokenizer(prompt)["input_ids"]
    tails: list[list[int]] = []
    for ident in identifiers:
        joint = tokenizer(prompt + ident)["input_ids"]
        if joint[: len(prompt_ids)] != prompt_ids:
            raise TrainerError(
                "bad-spec",
                f"identifier {ident!r} merges with the end of the prompt under this tokenizer; "
                "end prompts with a separator the tokenizer keeps apart",
            )
        tail = joint[len(prompt_ids) :]
        if not tail:
            raise TrainerError("bad-spec", f"identifier {ident!r} tokenises to nothing")
        tails.append(tail)
    return tails


class Trie:
    """Token-sequence trie; every complete path ends with EOS and carries its unit id."""

    def __init__(self, eos_token_id: int) -> None:
        self.eos = eos_token_id
        self.root: dict[int, Any] = {}

    def add(self, tokens: Sequence[int], unit: str) -> None:
        node = self.root
        for t in [*tokens, self.eos]:
            node = node.setdefault(t, {})
        if _END in node:
            raise TrainerError("bad-spec", f"units {node[_END]!r} and {unit!r} tokenise to the same identifier")
        node[_END] = unit

    def _node(self, prefix: Sequence[int]) -> dict[int, Any] | None:
        node = self.root
        for t in prefix:
            nxt = node.get(t)
            if nxt is None:
                return None
            node = nxt
        return node

    def allowed(self, prefix: Sequence[int]) -> list[int]:
        """Tokens that may follow `prefix`; EOS alone once a path is finished or left the trie.

        Never empty: recent Transformers raise on an empty allowed set, and a finished beam still
        gets asked for its next token while other beams in the batch run on.
        """
        node = self._node(prefix)
        if node is None:
            return [self.eos]
        keys = [t for t in node if t != _END]
        return keys or [self.eos]

    def unit(self, tokens: Sequence[int]) -> str | None:
        """The unit whose identifier is exactly `tokens` (with or without the final EOS)."""
        seq = list(tokens)
        if not seq or seq[-1] != self.eos:
            seq.append(self.eos)
        node = self._node(seq)
        return None if node is None else node.get(_END)


def build_trie(tokenizer: Any, prompt: str, units: dict[str, str]) -> Trie:
    trie = Trie(tokenizer.eos_token_id)
    names = list(units)
    for unit, tail in zip(names, identifier_tails(tokenizer, prompt, [units[u] for u in names])):
        trie.add(tail, unit)
    return trie
