"""The run store under any sequence of writes, crashes, damage and reads (Hypothesis stateful),
and what the engine does with a damaged or stale store.

The property: a read returns exactly the entry last saved under that key, or nothing; never
another key's entry, a damaged one, or a mix of two writes. A crash is a write stopped at a chosen
point (between, or in the middle of, its two files); damage is what disks and people do to files.
"""
import json
import logging
import shutil
import tempfile
from pathlib import Path

import pytest
import torch
from helpers import tiny
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

import repro.config
import repro.store
from repro import get_run
from repro.store import RunStore

# two keys in one subdirectory, one in another
KEYS = ["ab" + "0" * 18, "ab" + "1" * 18, "cd" + "2" * 18]

floats = st.floats(-1e6, 1e6, allow_nan=False, width=32)
values = st.tuples(
    st.fixed_dictionaries({
        "status": st.sampled_from(["ok", "diverged"]),
        "metrics": st.lists(st.fixed_dictionaries({"epoch": st.integers(1, 9),
                                                   "test_acc": floats}), max_size=3),
    }),
    st.lists(floats, max_size=4),
)


class Crash(BaseException):
    """The process died here."""


class StoreMachine(RuleBasedStateMachine):
    @initialize(first=st.lists(values, min_size=len(KEYS), max_size=len(KEYS)))
    def open(self, first):
        shm = Path("/dev/shm")  # memory, where it exists: fsync costs nothing there
        self.dir = Path(tempfile.mkdtemp(prefix="store-", dir=shm if shm.is_dir() else None))
        self.store = RunStore(self.dir)
        # what a read of each key may return: the last complete save, or None after damage
        self.allowed = {k: [None] for k in KEYS}
        self.record_of = {}  # the value the record file on disk was written for
        for key, value in zip(KEYS, first):
            self.save(key, value)

    def teardown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def files(self, key):
        return self.store._paths(key)

    # -- writes and reads ----------------------------------------------------------------------
    @rule(key=st.sampled_from(KEYS), value=values)
    def save(self, key, value):
        meta, weights = value
        self.store.save(key, meta, {"w": torch.tensor(weights)})
        self.allowed[key] = [_normal(key, meta, weights)]
        self.record_of[key] = (meta, weights)

    @rule(key=st.sampled_from(KEYS), value=values,
          point=st.sampled_from(["payload", "payload-rename", "record", "record-rename"]))
    def crash_while_saving(self, key, value, point):
        meta, weights = value
        calls = []
        real_os = repro.store.os

        class CrashingOS:  # the store's `os`, dying at `point`
            def __getattr__(self, name):
                return getattr(real_os, name)

            def fdopen(self, fd, mode):  # the payload's file, then the record's
                calls.append(fd)
                f = real_os.fdopen(fd, mode)
                if point == ("payload", "record")[len(calls) - 1]:
                    f.write(b"half")  # dies in the middle of writing it
                    f.close()
                    raise Crash()
                return f

            def replace(self, src, dst):
                if point == ("payload-rename", "record-rename")[len(calls) - 1]:
                    raise Crash()
                return real_os.replace(src, dst)

        repro.store.os = CrashingOS()
        try:
            with pytest.raises(Crash):
                self.store.save(key, meta, {"w": torch.tensor(weights)})
        finally:
            repro.store.os = real_os
        if point.startswith("record"):  # the new payload is in place, the old record is not
            self.allowed[key] = [*self.allowed[key], None]
            old = self.record_of.get(key)
            if old is not None and old[1] == weights:
                # the same payload bytes as the old record's: that old entry is whole again
                # (even if its payload had been damaged before), and may be read
                self.allowed[key].append(_normal(key, *old))

    @rule(keys=st.permutations(KEYS))
    def load(self, keys):
        for key in keys:
            got = self.store.load(key)
            if got is not None:
                meta, payload = got
                assert meta["key"] == key
                got = _normal(key, meta, payload["w"].tolist())
                assert self.store.meta(key) == meta
            assert got in self.allowed[key]
            self.allowed[key] = [got]  # from now on, reads agree

    @rule(key=st.sampled_from(KEYS))
    def discard(self, key):
        self.store.discard(key)
        self.allowed[key] = [None]
        self.record_of.pop(key, None)

    @rule()
    def reopen(self):
        self.store = RunStore(self.dir)

    # -- damage --------------------------------------------------------------------------------
    @rule(key=st.sampled_from(KEYS), data=st.data(), how=st.sampled_from(
        ["cut payload", "flip a payload bit", "cut record", "edit record", "record not a dict",
         "delete payload", "delete record"]))
    def damage(self, key, data, how):
        pt, record = self.files(key)
        path = pt if "payload" in how else record
        if not path.is_file() or not path.stat().st_size:
            return
        if path == record:
            self.record_of.pop(key, None)
        blob = bytearray(path.read_bytes())
        if how.startswith("delete"):
            path.unlink()
        elif how.startswith("cut"):
            path.write_bytes(blob[: data.draw(st.integers(0, len(blob) - 1))])
        elif how == "flip a payload bit":
            blob[data.draw(st.integers(0, len(blob) - 1))] ^= 1 << data.draw(st.integers(0, 7))
            path.write_bytes(blob)
        else:
            try:
                meta = json.loads(blob)
            except ValueError:
                return  # already damaged
            if how == "edit record" and isinstance(meta, dict):
                meta["metrics"] = [*meta.get("metrics", []), {"epoch": 10, "test_acc": 0.5}]
            else:
                meta = [meta]
            path.write_text(json.dumps(meta))
        self.allowed[key] = [None]

    @rule(src=st.sampled_from(KEYS), dst=st.sampled_from(KEYS))
    def misfile(self, src, dst):
        """Another key's intact entry copied under this key's names (a bad merge of stores)."""
        try:
            genuine = json.loads(self.files(src)[1].read_text())["key"] == src
        except (OSError, ValueError, TypeError, KeyError):
            genuine = False
        if src != dst and genuine and self.files(src)[0].is_file():
            for a, b in zip(self.files(src), self.files(dst)):
                b.parent.mkdir(exist_ok=True)
                shutil.copyfile(a, b)
            self.allowed[dst] = [None]

    @rule(key=st.sampled_from(KEYS), which=st.sampled_from([0, 1]))
    def leftover_temporary_file(self, key, which):
        """What a process killed in the middle of a write leaves behind."""
        path = self.files(key)[which]
        path.parent.mkdir(exist_ok=True)
        (path.parent / f".{path.name}.killed").write_bytes(b"partial")


def _normal(key, meta, weights):
    """An entry as comparable data: its record without the store's own fields, its weights."""
    record = {k: v for k, v in meta.items() if k not in ("key", "sha256")}
    return json.dumps(record, sort_keys=True), tuple(weights)


StoreMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=20, deadline=None, database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink])
test_store_stays_consistent = StoreMachine.TestCase


# -- through the engine (conftest.ctx: checkpoints at phase boundaries only) --------------------
@pytest.mark.parametrize("damage", ["cut payload", "edit record", "cut record"])
def test_a_damaged_checkpoint_is_reported_and_retrained_never_used(ctx, caplog, damage):
    spec = tiny([(1, "blur"), (1, "vflip"), (2, None)])  # checkpoints after epochs 1, 2 and 4
    whole = get_run(spec, ctx)
    ctx.store.discard(ctx.key(spec))  # the run must come from its checkpoint after epoch 2...
    key = ctx.key(spec.truncate(2))
    pt, record = ctx.store._paths(key)
    if damage == "cut payload":  # ...which is damaged
        pt.write_bytes(pt.read_bytes()[:-1])
    elif damage == "edit record":
        meta = json.loads(record.read_text())
        meta["metrics"][-1]["test_acc"] = 1.0
        record.write_text(json.dumps(meta))
    else:
        record.write_text(record.read_text()[:-2])
    with caplog.at_level(logging.WARNING, logger="repro.store"):
        again = get_run(spec, ctx)
    assert f"store entry {key}" in caplog.text and "retrained" in caplog.text
    assert (again.resumed_from, again.epochs_trained) == (1, 3)
    assert again.metrics == whole.metrics


def test_a_store_written_by_another_engine_version_is_not_reused(ctx, monkeypatch):
    spec = tiny([(2, "blur"), (2, None)])
    monkeypatch.setattr(repro.config, "ENGINE_VERSION", repro.config.ENGINE_VERSION - 1)
    assert get_run(spec, ctx).epochs_trained == 4  # by the older engine
    monkeypatch.undo()
    now = get_run(spec, ctx)
    assert (now.resumed_from, now.epochs_trained) == (0, 4)
