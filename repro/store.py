"""The run store: a directory of checkpoints named by the key of the (prefix) spec they hold.

Each entry is two files: `<key>.pt` (the torch payload) and `<key>.json` (the spec, status,
metrics, and a SHA-256 over the payload and the rest of the record). Both are written to a
temporary file and renamed, the JSON last, so an entry is either complete or absent; an entry
that does not match its digest is reported, removed and retrained, never used. A file lock per
key lets two processes that need the same entry train it once: the second waits, then reads it.
Any path that several machines mount can be shared.

A payload is data, never code: tensors and plain containers (state dicts), read with torch's
weights-only loader. The checksum guards against corruption, not against a writer, so an entry
whose payload that loader refuses (a pickled object, which could run code when read) is
discarded and retrained like a corrupt one.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import tempfile
from pathlib import Path

import torch
from filelock import FileLock

log = logging.getLogger("repro.store")


class StoreError(RuntimeError):
    pass


def default_store_dir() -> Path:
    env = os.environ.get("REPRO_STORE")
    return Path(env) if env else Path.home() / ".cache" / "repro" / "store"


class RunStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        try:
            (self.root / "locks").mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".probe-", delete=True):
                pass
        except OSError as err:
            raise StoreError(f"the run store {self.root} cannot be written: {err}") from None

    def _paths(self, key: str) -> tuple[Path, Path]:
        d = self.root / key[:2]
        return d / f"{key}.pt", d / f"{key}.json"

    def lock(self, key: str) -> FileLock:
        return FileLock(str(self.root / "locks" / f"{key}.lock"))

    def has(self, key: str) -> bool:
        return self._paths(key)[1].is_file()

    def meta(self, key: str) -> dict | None:
        """The record of a complete, intact entry; None when absent or corrupt."""
        loaded = self._read(key)
        return loaded[0] if loaded else None

    def load(self, key: str, map_location="cpu") -> tuple[dict, dict] | None:
        """(record, payload) of a complete, intact entry; None when absent or corrupt."""
        loaded = self._read(key)
        if loaded is None:
            return None
        meta, blob = loaded
        try:
            return meta, torch.load(io.BytesIO(blob), map_location=map_location,
                                    weights_only=True)
        except Exception as err:  # the weights-only loader's refusal, or a damaged archive
            log.warning("store entry %s holds a payload that is not plain tensors and "
                        "containers (%s): discarded, it will be retrained", key,
                        str(err).strip().splitlines()[0][:200])
            self.discard(key)
            return None

    def _read(self, key: str) -> tuple[dict, bytes] | None:
        pt_path, meta_path = self._paths(key)
        try:
            meta = json.loads(meta_path.read_text())
            blob = pt_path.read_bytes()
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:
            log.warning("store entry %s is unreadable (%s): discarded, it will be retrained",
                        key, err)
            self.discard(key)
            return None
        if not isinstance(meta, dict) or meta.get("sha256") != _digest(blob, meta):
            log.warning("store entry %s fails its checksum: discarded, it will be retrained", key)
            self.discard(key)
            return None
        if meta.get("key") != key:  # intact, but another key's entry (a bad copy or merge)
            log.warning("store entry %s holds the entry of %s: discarded, it will be retrained",
                        key, meta.get("key"))
            self.discard(key)
            return None
        return meta, blob

    def save(self, key: str, meta: dict, payload: dict) -> None:
        buf = io.BytesIO()
        torch.save(payload, buf)
        blob = buf.getvalue()
        meta = {**meta, "key": key}
        meta["sha256"] = _digest(blob, meta)
        pt_path, meta_path = self._paths(key)
        pt_path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(pt_path, blob)
        atomic_write(meta_path, json.dumps(meta, indent=1, sort_keys=True).encode())

    def discard(self, key: str) -> None:
        for p in self._paths(key)[::-1]:
            p.unlink(missing_ok=True)


def _digest(blob: bytes, meta: dict) -> str:
    record = {k: v for k, v in meta.items() if k != "sha256"}
    h = hashlib.sha256(blob)
    h.update(json.dumps(record, sort_keys=True).encode())
    return h.hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Write, then rename: a reader sees the old file or the new one, never a part. The file
    gets the permissions the umask gives a new file (mkstemp's are the owner's alone), so that a
    store or report shared between users stays readable."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
