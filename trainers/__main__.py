"""CLI: `python -m trainers <command> --spec spec.json`.

Converts every failure into the protocol's final error line and a non-zero exit; an unexpected
exception is reported as "internal" with its type, and its traceback goes to stderr only.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Callable
from typing import Any

from . import spec as specs
from .protocol import TrainerError, claim_stdout, emit, log

# command -> (module, function). Imported on use: torch and transformers take seconds to import,
# and a bad spec should not wait for them.
_COMMANDS = {
    "init-model": ("init_model", "run"),
    "sft": ("sft", "run"),
    "rpo": ("rpo", "run"),
    "retrieve": ("retrieve", "run"),
    "bm25": ("bm25", "run"),
    "encode": ("dense", "encode"),
    "dense-search": ("dense", "search"),
    "doct5query": ("doct5query", "run"),
    "rerank": ("rerank", "run"),
    "fetch-model": ("fetch_model", "run"),
}


def _command(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    module, function = _COMMANDS[name]
    return getattr(importlib.import_module(f".{module}", __package__), function)


def _is_oom(e: BaseException) -> bool:
    if isinstance(e, MemoryError):
        return True
    try:
        import torch

        return isinstance(e, torch.cuda.OutOfMemoryError)
    except ImportError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainers")
    parser.add_argument("command", choices=sorted(specs.SPECS))
    parser.add_argument("--spec", required=True)
    args = parser.parse_args(argv)
    claim_stdout()
    try:
        spec = specs.load(args.command, args.spec)
        _command(args.command)(spec)
        return 0
    except TrainerError as e:
        emit("error", reason=e.reason, message=e.message.replace("\n", " "))
    except Exception as e:  # the boundary: anything else is a bug or resource failure
        traceback.print_exc(file=sys.stderr)
        reason = "out-of-memory" if _is_oom(e) else "internal"
        message = f"{type(e).__name__}: {e}".splitlines()[0] if str(e) else type(e).__name__
        emit("error", reason=reason, message=message)
    log("trainer failed")
    return 1


if __name__ == "__main__":
    sys.exit(main())
