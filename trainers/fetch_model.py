"""`fetch-model`: a checkpoint from the Hugging Face Hub into `<output_dir>/model/`, at a pinned commit.

Trainer steps run without network (HF_HUB_OFFLINE=1), so a hub checkpoint is fetched once, by this
command in a step that may use the network, and later steps load the local directory. The requested
revision (a branch, a tag, or null for the default branch) is resolved to its commit sha first and
every file is downloaded at that sha, so the files form one snapshot and `model.json` says which.

Only what a Transformers load reads is fetched: the top-level configuration and tokenizer files and
one copy of the weights. Hub repositories often hold the same weights several times (PyTorch .bin,
TF, Flax, ONNX, Mistral's `consolidated.safetensors`), which would multiply a 15 GB download.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .protocol import RunRecord, TrainerError, emit, log

# Top-level files besides the weights: configs (config, tokenizer_config, generation_config,
# special_tokens_map, tokenizer.json, vocab.json), SentencePiece models, vocab/merges lists.
_METADATA_SUFFIXES = (".json", ".model", ".txt")
# Weight layouts in the order Transformers tries them: safetensors before pickled PyTorch, a single
# file before a sharded index.
_WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")


def choose_files(names: Iterable[str], read_index: Callable[[str], list[str]]) -> list[str]:
    """The files to fetch, in download order: metadata first, then one layout of the weights.

    `read_index(name)` fetches a shard index and returns the shard names it maps to; it is only
    called for the layout chosen, so the other format's index is never downloaded.
    """
    # Subfolders hold other libraries' copies (onnx/, openvino/) or sentence-transformers modules.
    top = {n for n in names if "/" not in n}
    metadata = sorted(n for n in top if n.endswith(_METADATA_SUFFIXES) and not n.endswith(".index.json"))
    for weights in _WEIGHTS:
        if weights not in top:
            continue
        if not weights.endswith(".index.json"):
            return [*metadata, weights]
        shards = read_index(weights)
        missing = [s for s in shards if s not in top]
        if missing:
            raise TrainerError("missing-input", f"{weights} names shards the repository lacks: {', '.join(missing)}")
        return [*metadata, weights, *shards]
    raise TrainerError("missing-input", f"no Transformers weights in the repository (looked for {', '.join(_WEIGHTS)})")


def _shards(index_path: str) -> list[str]:
    with open(index_path, encoding="utf-8") as f:
        weight_map = json.load(f).get("weight_map")
    if not isinstance(weight_map, dict) or not weight_map:
        raise TrainerError("missing-input", f"{os.path.basename(index_path)} has no weight_map")
    return sorted(set(weight_map.values()))


def _chain(e: BaseException) -> Iterator[BaseException]:
    # huggingface_hub wraps network and server failures in LocalEntryNotFoundError ("check your
    # connection"); the cause says which it was.
    seen: set[int] = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        cur = cur.__cause__ or cur.__context__


def _explain(e: Exception, repo: str, revision: str | None, current: str | None) -> TrainerError | None:
    """A one-line account of a Hub failure, or None for failures that are not about the Hub."""
    import requests
    from huggingface_hub import constants
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HFValidationError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    what = f"{current} from {repo}" if current else repo
    token = "set HF_TOKEN to a token of an account that has access"
    chain = list(_chain(e))

    def find(kind: type[BaseException] | tuple[type[BaseException], ...]) -> Any:
        return next((c for c in chain if isinstance(c, kind)), None)

    if isinstance(e, HFValidationError):
        return TrainerError("bad-spec", f"invalid repo id {repo!r}: {str(e).splitlines()[0]}")
    if find(GatedRepoError):
        return TrainerError("missing-input", f"{repo} is gated: accept its licence on the model's Hub page and {token}")
    if find(RepositoryNotFoundError):
        return TrainerError(
            "missing-input", f"repository {repo} not found on the Hub (if it is private or gated, {token})"
        )
    if find(RevisionNotFoundError):
        return TrainerError("missing-input", f"revision {revision!r} not found in {repo}")
    if find(OfflineModeIsEnabled):
        return TrainerError("missing-input", _OFFLINE)
    # The first error in the chain that carries a server response (the wrappers carry none).
    http = next((c for c in chain if isinstance(c, requests.HTTPError) and c.response is not None), None)
    status = http.response.status_code if http is not None else None
    if status in (401, 403):
        return TrainerError("missing-input", f"not authorised to download {what} (HTTP {status}): {token}")
    if status == 429:
        retry = http.response.headers.get("Retry-After")
        after = f" (Retry-After: {retry} s)" if retry else ""
        return TrainerError("missing-input", f"the Hub is rate-limiting downloads of {what}{after}; retry later")
    if status is not None:
        return TrainerError("missing-input", f"the Hub answered HTTP {status} for {what}")
    if isinstance(e, EntryNotFoundError) and find((requests.ConnectionError, requests.Timeout)) is None:
        return TrainerError("missing-input", f"{what} is listed by the Hub but cannot be downloaded")
    if find((requests.ConnectionError, requests.Timeout, ConnectionError)):
        return TrainerError(
            "missing-input",
            f"cannot reach the Hugging Face Hub at {constants.ENDPOINT} while fetching {what}: "
            "fetch-model needs network access (is the step running without network?)",
        )
    broken = find(requests.RequestException)
    if broken is not None:
        return TrainerError(
            "missing-input", f"download of {what} broke off (connection lost mid-file: {type(broken).__name__})"
        )
    if isinstance(e, OSError) and "Consistency check failed" in str(e):
        return TrainerError("missing-input", f"download of {what} is incomplete (size mismatch)")
    return None


_OFFLINE = (
    "HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set, but fetch-model downloads from the Hub: "
    "run this step with network access and offline mode off"
)


def run(spec: dict[str, Any]) -> dict[str, Any]:
    from huggingface_hub import HfApi, constants, hf_hub_download
    from huggingface_hub.utils import disable_progress_bars

    record = RunRecord("fetch-model")
    repo, wanted = spec["repo"], spec["revision"]
    if constants.HF_HUB_OFFLINE:
        raise TrainerError("missing-input", _OFFLINE)
    # tqdm's carriage-return bars would flood the stderr log; progress events report per file.
    disable_progress_bars()
    out = os.path.join(spec["output_dir"], "model")
    model_json = os.path.join(spec["output_dir"], "model.json")
    # model.json is what says `model/` is complete: a stale one goes first, the new one is written last.
    if os.path.exists(model_json):
        os.remove(model_json)

    current: str | None = None
    try:
        info = HfApi().model_info(repo, revision=wanted)
        sha = info.sha
        if not sha or info.siblings is None:
            raise TrainerError("missing-input", f"the Hub listed no commit or files for {repo}")

        # File by file rather than snapshot_download: the shard list comes from the index, each file
        # is a progress event, and the failing file can be named.
        def fetch(name: str) -> str:
            nonlocal current
            current = name
            # At the sha, not the branch: a push between files cannot mix two commits.
            return hf_hub_download(repo, name, revision=sha, local_dir=out)

        files = choose_files([s.rfilename for s in info.siblings], lambda index: _shards(fetch(index)))
        log(f"fetch-model: {repo} at {wanted or 'the default branch'} is {sha}; {len(files)} files")
        size = 0
        for i, name in enumerate(files, 1):
            # A fetched index is found in place (its download metadata names this sha): no request.
            size += os.path.getsize(fetch(name))
            emit("progress", step=i, total=len(files))
        current = None
    except BaseException as e:
        # Nothing partial is left for a later step (or a rerun) to mistake for the model.
        shutil.rmtree(out, ignore_errors=True)
        explained = None
        if isinstance(e, Exception) and not isinstance(e, TrainerError):
            explained = _explain(e, repo, wanted, current)
        if explained is not None:
            raise explained from e
        raise

    # hf_hub_download's bookkeeping (per-file metadata with timestamps, locks) is not the model.
    shutil.rmtree(os.path.join(out, ".cache"), ignore_errors=True)
    tmp = model_json + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"dir": "model", "repo": repo, "revision": sha}, f)
    os.replace(tmp, model_json)
    record.extra.update(repo=repo, revision=sha, files=files, bytes=size)
    return record.write(spec["output_dir"])
