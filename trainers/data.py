"""Reading the runner's JSONL inputs, with located errors for malformed lines."""

from __future__ import annotations

import json
import os
from typing import Any

from .protocol import TrainerError


def read_jsonl(path: str, required: tuple[str, ...]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if not os.path.isfile(path):
        raise TrainerError("missing-input", f"not found: {path}")
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise TrainerError("bad-spec", f"{path}:{n}: invalid JSON ({e.msg})") from e
            missing = [k for k in required if not isinstance(row.get(k), str)]
            if missing:
                raise TrainerError("bad-spec", f"{path}:{n}: missing string field(s) {', '.join(missing)}")
            rows.append(row)
    if not rows:
        raise TrainerError("missing-input", f"{path} is empty")
    return rows


def read_identifiers(path: str) -> dict[str, str]:
    """unit id -> identifier text; identifiers must be unique (the runner dedupes them)."""
    units: dict[str, str] = {}
    seen: dict[str, str] = {}
    for row in read_jsonl(path, ("unit", "identifier")):
        unit, ident = row["unit"], row["identifier"]
        if unit in units:
            raise TrainerError("bad-spec", f"{path}: unit {unit!r} listed twice")
        if ident in seen:
            raise TrainerError("bad-spec", f"{path}: units {seen[ident]!r} and {unit!r} share identifier {ident!r}")
        units[unit] = ident
        seen[ident] = unit
    return units
