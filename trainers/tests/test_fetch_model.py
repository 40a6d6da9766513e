"""`fetch-model` against a local stand-in for the Hugging Face Hub.

The real Hub cannot be reached from the tests, so `FakeHub` serves the part of its HTTP protocol
that huggingface_hub (the pinned 0.36) uses to resolve a revision and download files:

- `GET /api/models/{repo}[/revision/{rev}]`: the model info, whose `sha` is the resolved commit and
  whose `siblings` list the files.
- `HEAD|GET /{repo}/resolve/{rev}/{file}`: a small (git) file answers 200 with `ETag` (its git blob
  sha1), `X-Repo-Commit` and `Content-Length`; a large (LFS) file answers 302 to a CDN address with
  `X-Linked-Etag` (its sha256) and `X-Linked-Size`, as the Hub does.
- `HEAD|GET /cdn/{sha256}`: the bytes of an LFS file.
- Failures carry `X-Error-Code` (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo), which is
  how the client tells them apart.

The command runs as the runner runs it, `python -m trainers fetch-model --spec ...`, with
HF_ENDPOINT pointing at the server and a fresh HF_HOME.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from ..fetch_model import choose_files
from ..protocol import TrainerError
from .conftest import REPO, events

REPO_ID = "org/tiny"
LFS_SUFFIXES = (".safetensors", ".bin")


def _fake_safetensors() -> bytes:
    # A valid one-tensor safetensors file; its content is irrelevant to the fetch, not its size.
    header = json.dumps({"w": {"dtype": "F32", "shape": [64], "data_offsets": [0, 256]}}).encode()
    return len(header).to_bytes(8, "little") + header + bytes(range(256))


FILES = {
    "config.json": json.dumps({"model_type": "bert", "hidden_size": 8}).encode(),
    "tokenizer.json": json.dumps({"version": "1.0", "model": {"type": "WordPiece"}}).encode(),
    "tokenizer_config.json": b'{"model_max_length": 512}',
    "vocab.txt": b"[PAD]\n[UNK]\n[CLS]\n[SEP]\nriver\n",
    "model.safetensors": _fake_safetensors(),
    "pytorch_model.bin": b"\x80\x02pickled weights that must not be fetched" * 100,
    "onnx/model.onnx": b"onnx copy that must not be fetched",
    "README.md": b"# tiny\n",
}
# In download order: metadata, then weights.
WANTED = ["config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt", "model.safetensors"]


@dataclass
class Repo:
    files: dict[str, bytes]
    sha: str = hashlib.sha1(b"commit 1").hexdigest()
    branches: dict[str, str] = field(default_factory=dict)
    gated: bool = False

    def resolve(self, rev: str | None) -> str | None:
        if rev is None:
            return self.sha
        return self.sha if rev == self.sha else self.branches.get(rev)


class FakeHub:
    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.requests: list[tuple[str, str]] = []
        # (method, file name) -> faults still to serve, consumed one per request; a fault with
        # "times": None never runs out.
        self.faults: dict[tuple[str, str], dict[str, Any]] = {}
        self.blobs: dict[str, tuple[str, bytes]] = {}
        hub = self

        class Handler(_Handler):
            pass

        Handler.hub = hub
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def add(self, repo_id: str, repo: Repo) -> Repo:
        repo.branches.setdefault("main", repo.sha)
        self.repos[repo_id] = repo
        for name, data in repo.files.items():
            if name.endswith(LFS_SUFFIXES):
                self.blobs[hashlib.sha256(data).hexdigest()] = (name, data)
        return repo

    def fail(self, method: str, name: str, times: int | None = None, **fault: Any) -> None:
        self.faults[(method, name)] = {"times": times, **fault}

    def take_fault(self, method: str, name: str) -> dict[str, Any] | None:
        fault = self.faults.get((method, name))
        if fault is None:
            return None
        if fault["times"] is not None:
            fault["times"] -= 1
            if fault["times"] <= 0:
                del self.faults[(method, name)]
        return fault

    def fetched(self, method: str = "GET") -> list[str]:
        """Paths requested with `method`, in order."""
        return [p for m, p in self.requests if m == method]


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive as requests' session expects; every answer has a length.
    protocol_version = "HTTP/1.1"
    hub: FakeHub

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self._route()

    def do_GET(self) -> None:
        self._route()

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None, length: int | None = None):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, code: str | None, message: str, extra: dict[str, str] | None = None) -> None:
        headers = {"Content-Type": "application/json", "X-Error-Message": message, **(extra or {})}
        if code is not None:
            headers["X-Error-Code"] = code
        self._send(status, json.dumps({"error": message}).encode(), headers)

    def _route(self) -> None:
        path = unquote(urlsplit(self.path).path)
        self.hub.requests.append((self.command, path))
        if path.startswith("/api/models/"):
            rest = path[len("/api/models/") :]
            repo_id, _, rev = rest.partition("/revision/")
            return self._model_info(repo_id, rev or None)
        if path.startswith("/cdn/"):
            return self._blob(path[len("/cdn/") :])
        m = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
        if m:
            return self._resolve(*m.groups())
        self._error(404, None, "Not Found")

    def _fault(self, name: str, data: bytes = b"") -> bool:
        fault = self.hub.take_fault(self.command, name)
        if fault is None:
            return False
        if fault.get("truncate"):
            # Announce the whole file, send half, hang up: a connection lost mid-download.
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
            return True
        self._error(fault["status"], None, f"fault {fault['status']}", fault.get("headers"))
        return True

    def _repo(self, repo_id: str, rev: str | None) -> tuple[Repo, str] | None:
        repo = self.hub.repos.get(repo_id)
        if repo is None:
            self._error(404, "RepoNotFound", "Repository not found")
            return None
        sha = repo.resolve(rev)
        if sha is None:
            self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
            return None
        return repo, sha

    def _model_info(self, repo_id: str, rev: str | None) -> None:
        found = self._repo(repo_id, rev)
        if found is None:
            return
        repo, sha = found
        info = {
            "id": repo_id,
            "modelId": repo_id,
            "sha": sha,
            "private": False,
            "gated": "manual" if repo.gated else False,
            "disabled": False,
            "lastModified": "2024-01-01T00:00:00.000Z",
            "tags": [],
            "siblings": [{"rfilename": name} for name in sorted(repo.files)],
        }
        self._send(200, json.dumps(info).encode(), {"Content-Type": "application/json"})

    def _resolve(self, repo_id: str, rev: str, name: str) -> None:
        found = self._repo(repo_id, rev)
        if found is None:
            return
        repo, sha = found
        if repo.gated and "authorization" not in {k.lower() for k in self.headers}:
            self._error(401, "GatedRepo", f"Access to model {repo_id} is restricted. Please log in.")
            return
        data = repo.files.get(name)
        if data is None:
            self._error(404, "EntryNotFound", "Entry not found", {"X-Repo-Commit": sha})
            return
        if self._fault(name, data):
            return
        if name.endswith(LFS_SUFFIXES):
            oid = hashlib.sha256(data).hexdigest()
            body = f"Found. Redirecting to {self.hub.url}/cdn/{oid}".encode()
            headers = {
                "Location": f"{self.hub.url}/cdn/{oid}",
                "X-Repo-Commit": sha,
                "X-Linked-Etag": f'"{oid}"',
                "X-Linked-Size": str(len(data)),
                "ETag": f'"{hashlib.sha1(body).hexdigest()}"',
            }
            self._send(302, body, headers)
            return
        blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        self._send(200, data, {"ETag": f'"{blob}"', "X-Repo-Commit": sha, "Content-Type": "application/octet-stream"})

    def _blob(self, oid: str) -> None:
        if oid not in self.hub.blobs:
            self._error(404, None, "NoSuchKey")
            return
        name, data = self.hub.blobs[oid]
        if self._fault(name, data):
            return
        self._send(200, data, {"ETag": f'"{oid}"', "Content-Type": "application/octet-stream"})


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    h = FakeHub()
    h.thread.start()
    yield h
    h.server.shutdown()
    h.server.server_close()


# The client's back-off sleeps 1+2+4+8+8 s over its five retries of a 5xx; this entry point runs
# the same CLI with sleep made instant so a persistent server error fails in well under a second.
NO_SLEEP = (
    "import runpy, time; time.sleep = lambda s: None; runpy.run_module('trainers', run_name='__main__', alter_sys=True)"
)


def fetch(
    tmp: Path,
    url: str,
    revision: str | None = "main",
    repo: str = REPO_ID,
    env: dict[str, str] | None = None,
    no_sleep: bool = False,
) -> subprocess.CompletedProcess[str]:
    spec = tmp / "spec.json"
    spec.write_text(json.dumps({"output_dir": str(tmp / "out"), "repo": repo, "revision": revision}))
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "HF_HUB_OFFLINE",
            "TRANSFORMERS_OFFLINE",
            "HF_TOKEN",
            "HUGGING_FACE_HUB_TOKEN",
            "HF_TOKEN_PATH",
            "HF_HUB_ENABLE_HF_TRANSFER",
        }
    }
    clean.update(
        HF_ENDPOINT=url,
        HF_HOME=str(tmp / "hf-home"),
        HF_HUB_DISABLE_TELEMETRY="1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        CUDA_VISIBLE_DEVICES="",
        TOKENIZERS_PARALLELISM="false",
        **(env or {}),
    )
    entry = ["-c", NO_SLEEP] if no_sleep else ["-m", "trainers"]
    return subprocess.run(
        [sys.executable, *entry, "fetch-model", "--spec", str(spec)],
        cwd=REPO,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def error_of(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode != 0, proc.stdout + proc.stderr[-3000:]
    last = events(proc)[-1]
    assert last["event"] == "error", proc.stdout
    assert "\n" not in last["message"]
    assert last["reason"] == "missing-input", last
    return last["message"]


def assert_nothing_presented(out: Path) -> None:
    assert not (out / "model.json").exists()
    assert not (out / "model").exists()


def test_fetches_the_transformers_files_at_the_resolved_commit(hub: FakeHub, tmp_path: Path) -> None:
    repo = hub.add(REPO_ID, Repo(dict(FILES)))
    proc = fetch(tmp_path, hub.url, "main")
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    out = tmp_path / "out"

    assert json.loads((out / "model.json").read_text()) == {"dir": "model", "repo": REPO_ID, "revision": repo.sha}
    # Byte-identical, and nothing else: not the .bin copy, the ONNX subfolder, the README, or
    # huggingface_hub's download bookkeeping.
    got = sorted(str(p.relative_to(out / "model")) for p in (out / "model").rglob("*"))
    assert got == sorted(WANTED)
    for name in WANTED:
        assert (out / "model" / name).read_bytes() == FILES[name], name

    # Every file was resolved at the sha, never at the branch, and the .bin was never asked for.
    resolves = [p for p in hub.fetched("HEAD") + hub.fetched("GET") if "/resolve/" in p]
    assert resolves and all(f"/resolve/{repo.sha}/" in p for p in resolves)
    assert not any("pytorch_model" in p or "onnx" in p for _, p in hub.requests)

    progress = [e for e in events(proc) if e["event"] == "progress"]
    assert [(e["step"], e["total"]) for e in progress] == [(i, len(WANTED)) for i in range(1, len(WANTED) + 1)]
    result = json.loads((out / "result.json").read_text())
    assert result["command"] == "fetch-model"
    assert (result["repo"], result["revision"], result["files"]) == (REPO_ID, repo.sha, WANTED)
    assert result["bytes"] == sum(len(FILES[n]) for n in WANTED)


def test_falls_back_to_pytorch_bin_reads_shard_index_and_rides_out_a_503(hub: FakeHub, tmp_path: Path) -> None:
    index = {
        "metadata": {},
        "weight_map": {"a": "pytorch_model-00001-of-00002.bin", "b": "pytorch_model-00002-of-00002.bin"},
    }
    files = {
        "config.json": b"{}",
        "pytorch_model.bin.index.json": json.dumps(index).encode(),
        "pytorch_model-00001-of-00002.bin": b"first shard" * 50,
        "pytorch_model-00002-of-00002.bin": b"second shard" * 50,
        "tf_model.h5": b"tf copy",
    }
    hub.add(REPO_ID, Repo(files))
    # A transient server error (one success test less to pay for): huggingface_hub retries it.
    hub.fail("HEAD", "pytorch_model-00002-of-00002.bin", times=2, status=503)
    proc = fetch(tmp_path, hub.url, None, no_sleep=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert sum(1 for p in hub.fetched("HEAD") if p.endswith("/pytorch_model-00002-of-00002.bin")) == 3
    model = tmp_path / "out" / "model"
    assert sorted(p.name for p in model.iterdir()) == sorted(set(files) - {"tf_model.h5"})
    for name in files.keys() - {"tf_model.h5"}:
        assert (model / name).read_bytes() == files[name]
    # The index is read to pick the shards, then found in place rather than fetched again.
    assert sum(1 for p in hub.fetched("GET") if p.endswith("/pytorch_model.bin.index.json")) == 1


def test_missing_repository(hub: FakeHub, tmp_path: Path) -> None:
    message = error_of(fetch(tmp_path, hub.url, repo="org/absent"))
    assert "org/absent not found" in message
    assert "HF_TOKEN" in message
    assert_nothing_presented(tmp_path / "out")


def test_malformed_repo_id_is_bad_spec(hub: FakeHub, tmp_path: Path) -> None:
    proc = fetch(tmp_path, hub.url, repo="org/two words")
    assert proc.returncode != 0
    last = events(proc)[-1]
    assert (last["event"], last["reason"]) == ("error", "bad-spec")
    assert last["message"].startswith("invalid repo id 'org/two words'")
    assert hub.requests == []


def test_missing_revision(hub: FakeHub, tmp_path: Path) -> None:
    hub.add(REPO_ID, Repo(dict(FILES)))
    message = error_of(fetch(tmp_path, hub.url, "v9"))
    assert message == f"revision 'v9' not found in {REPO_ID}"


def test_gated_repository_says_token_and_licence(hub: FakeHub, tmp_path: Path) -> None:
    hub.add(REPO_ID, Repo(dict(FILES), gated=True))
    message = error_of(fetch(tmp_path, hub.url))
    assert "gated" in message and "licence" in message and "HF_TOKEN" in message
    assert_nothing_presented(tmp_path / "out")


def test_persistent_server_error_leaves_no_partial_model(hub: FakeHub, tmp_path: Path) -> None:
    hub.add(REPO_ID, Repo(dict(FILES)))
    # config.json arrives first; the weights then fail on every attempt.
    hub.fail("HEAD", "model.safetensors", status=500)
    message = error_of(fetch(tmp_path, hub.url, no_sleep=True))
    assert message == f"the Hub answered HTTP 500 for model.safetensors from {REPO_ID}"
    # huggingface_hub retried the 5xx before giving up.
    assert sum(1 for p in hub.fetched("HEAD") if p.endswith("/model.safetensors")) > 1
    assert_nothing_presented(tmp_path / "out")


def test_connection_lost_mid_file(hub: FakeHub, tmp_path: Path) -> None:
    hub.add(REPO_ID, Repo(dict(FILES)))
    hub.fail("GET", "model.safetensors", truncate=True)
    message = error_of(fetch(tmp_path, hub.url, no_sleep=True))
    assert message.startswith(f"download of model.safetensors from {REPO_ID} broke off")
    assert_nothing_presented(tmp_path / "out")


def test_rate_limited(hub: FakeHub, tmp_path: Path) -> None:
    # The pinned huggingface_hub does not retry a 429; the message says to retry later.
    hub.add(REPO_ID, Repo(dict(FILES)))
    hub.fail("HEAD", "model.safetensors", status=429, headers={"Retry-After": "30"})
    message = error_of(fetch(tmp_path, hub.url))
    assert "rate-limiting" in message and "Retry-After: 30" in message
    assert_nothing_presented(tmp_path / "out")


def test_offline_mode_is_refused(hub: FakeHub, tmp_path: Path) -> None:
    hub.add(REPO_ID, Repo(dict(FILES)))
    message = error_of(fetch(tmp_path, hub.url, env={"HF_HUB_OFFLINE": "1"}))
    assert "HF_HUB_OFFLINE" in message and "network access" in message
    assert hub.requests == []


def test_unreachable_hub(tmp_path: Path) -> None:
    # A port nothing listens on: the connection is refused at once.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    message = error_of(fetch(tmp_path, f"http://127.0.0.1:{port}"))
    assert "cannot reach the Hugging Face Hub" in message and "network access" in message


# File selection, without a server.


def _no_index(name: str) -> list[str]:
    raise AssertionError(f"read {name}")


def test_choose_prefers_single_safetensors_over_everything_else() -> None:
    names = [
        *FILES,
        "flax_model.msgpack",
        "consolidated.safetensors",
        "1_Pooling/config.json",
        "special_tokens_map.json",
    ]
    assert choose_files(names, _no_index) == [
        "config.json",
        "special_tokens_map.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "vocab.txt",
        "model.safetensors",
    ]


def test_choose_reads_the_safetensors_index_and_skips_consolidated() -> None:
    # Mistral-7B-Instruct-v0.3's layout: sharded safetensors plus a consolidated copy for mistral-inference.
    shards = [f"model-0000{i}-of-00003.safetensors" for i in (1, 2, 3)]
    names = [
        "config.json",
        "generation_config.json",
        "params.json",
        "tokenizer.model",
        "tokenizer.model.v3",
        "model.safetensors.index.json",
        *shards,
        "consolidated.safetensors",
        "pytorch_model.bin.index.json",
        "pytorch_model-00001-of-00002.bin",
    ]
    read = []

    def index(name: str) -> list[str]:
        read.append(name)
        return shards

    assert choose_files(names, index) == [
        "config.json",
        "generation_config.json",
        "params.json",
        "tokenizer.model",
        "model.safetensors.index.json",
        *shards,
    ]
    assert read == ["model.safetensors.index.json"]


def test_choose_rejects_a_repo_without_transformers_weights() -> None:
    with pytest.raises(TrainerError, match="no Transformers weights"):
        choose_files(["config.json", "consolidated.safetensors", "tf_model.h5"], _no_index)
    with pytest.raises(TrainerError, match="lacks: model-00002"):
        choose_files(
            ["model.safetensors.index.json", "model-00001.safetensors"],
            lambda _: ["model-00001.safetensors", "model-00002.safetensors"],
        )
