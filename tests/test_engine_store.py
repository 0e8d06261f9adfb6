import json
import logging
import os
from pathlib import Path

import pytest
from helpers import fresh, tiny

from repro import Context, RunStore, get_run
from repro.plan import plan


def test_a_run_is_a_pure_function_of_its_spec(ctx, tmp_path):
    spec = tiny([(2, "blur"), (2, None)])
    a = get_run(spec, ctx)
    b = get_run(spec, fresh(ctx, tmp_path, "other"))
    assert a.metrics == b.metrics and a.epochs_trained == 4
    assert get_run(tiny([(2, "blur"), (2, None)], seed=1), ctx).metrics != a.metrics


def test_continuing_from_a_stored_prefix_gives_exactly_the_uninterrupted_numbers(ctx, tmp_path):
    spec = tiny([(3, "blur"), (3, None)], augment=True)
    whole = get_run(spec, fresh(ctx, tmp_path, "whole"))
    assert whole.resumed_from == 0 and whole.epochs_trained == 6
    prefix = get_run(spec.truncate(2), ctx)  # stops mid-phase
    assert prefix.metrics == whole.metrics[:2]
    resumed = get_run(spec, ctx)
    assert resumed.resumed_from == 2 and resumed.epochs_trained == 4
    assert resumed.metrics == whole.metrics


def test_a_record_depends_on_its_spec_only_not_on_what_the_store_held(ctx, tmp_path):
    """Test evaluations at phase boundaries only (test_every=0): a run continued from a shorter
    run's checkpoint does not inherit that run's last evaluation, and a run read from a longer
    run's periodic checkpoint gets its own."""
    short, long = tiny([(2, "blur")], test_every=0), tiny([(3, "blur"), (2, None)], test_every=0)
    alone = {s.label(): get_run(s, fresh(ctx, tmp_path, f"alone{i}")).metrics
             for i, s in enumerate((short, long))}
    assert alone[long.label()][1]["test_acc"] is None  # epoch 2 is no boundary of the long run
    get_run(short, ctx)
    assert get_run(long, ctx).resumed_from == 2
    assert get_run(long, ctx).metrics == alone[long.label()]
    periodic = Context(RunStore(tmp_path / "periodic"), data_dir=ctx.data_dir, checkpoint_every=2)
    get_run(long, periodic, keep=frozenset({periodic.key(short)}))  # kept: the short run's
    from_checkpoint = get_run(short, periodic)
    assert from_checkpoint.epochs_trained == 0
    assert from_checkpoint.metrics == alone[short.label()]


def test_a_removal_sweep_trains_its_shared_deficit_prefix_once(ctx):
    sweep = [tiny([(t, "blur"), (2, None)]) for t in (1, 2, 3)]
    assert plan(sweep, ctx).epochs_total == 12
    assert plan(sweep, ctx).epochs_shared == 3 + 3 * 2
    trained = [get_run(s, ctx).epochs_trained for s in sweep]
    assert trained == [3, 3, 3]  # blur epochs 2 and 3 come from the shorter runs' checkpoints
    assert plan(sweep, ctx).epochs_to_train == 0
    assert [get_run(s, ctx).epochs_trained for s in sweep] == [0, 0, 0]


def test_a_corrupt_store_entry_is_detected_and_retrained(ctx):
    spec = tiny([(2, None)])
    first = get_run(spec, ctx)
    pt = next(ctx.store.root.glob(f"*/{ctx.key(spec)}.pt"))
    pt.write_bytes(pt.read_bytes()[:-10])
    assert ctx.store.load(ctx.key(spec)) is None  # checksum mismatch: discarded, never used
    again = get_run(spec, ctx)
    assert again.epochs_trained == 2 and again.metrics == first.metrics


def test_store_entries_record_spec_metrics_and_checksum(ctx):
    spec = tiny([(1, "vflip"), (1, None)])
    get_run(spec, ctx)
    meta = json.loads(next(ctx.store.root.glob(f"*/{ctx.key(spec)}.json")).read_text())
    assert meta["status"] == "ok" and len(meta["metrics"]) == 2 and len(meta["sha256"]) == 64
    assert meta["spec"] == spec.canonical()
    assert [m["deficit"] for m in meta["metrics"]] == ["vflip", None]


def test_an_unwritable_store_is_refused(tmp_path):
    from repro.store import StoreError

    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot be written"):
        RunStore(blocker / "store")


def test_a_diverging_run_is_stored_as_diverged(ctx):
    spec = tiny([(3, None)], lr=1e6, momentum=0.0)
    res = get_run(spec, ctx)
    assert res.status == "diverged" and "epoch" in res.reason
    assert get_run(spec, ctx).status == "diverged"  # not retrained


def test_an_altered_record_is_detected(ctx):
    spec = tiny([(2, None)])
    get_run(spec, ctx)
    path = next(ctx.store.root.glob(f"*/{ctx.key(spec)}.json"))
    record = json.loads(path.read_text())
    record["metrics"][-1]["test_acc"] = 0.99
    path.write_text(json.dumps(record))
    assert ctx.store.meta(ctx.key(spec)) is None
    assert get_run(spec, ctx).epochs_trained == 2


def test_another_engine_version_is_never_reused(monkeypatch):
    import repro.config

    spec = tiny([(2, None)])
    before = spec.key()
    monkeypatch.setattr(repro.config, "ENGINE_VERSION", repro.config.ENGINE_VERSION + 1)
    assert spec.key() != before


def test_a_run_whose_prefix_diverged_is_diverged_without_training(ctx):
    short = tiny([(3, None)], lr=1e6, momentum=0.0)
    assert get_run(short, ctx).status == "diverged"
    longer = get_run(tiny([(3, None), (2, "blur")], lr=1e6, momentum=0.0), ctx)
    assert longer.status == "diverged" and longer.epochs_trained == 0


def test_recording_fisher_or_skipping_test_evaluation_changes_no_training_number(ctx, tmp_path):
    spec = tiny([(2, "blur"), (2, None)])
    plain = get_run(spec, ctx).metrics
    probed = get_run(tiny([(2, "blur"), (2, None)], fisher_at=(1, 3), fisher_probe=20,
                          test_every=0), fresh(ctx, tmp_path, "probed")).metrics
    train_keys = ("train_loss", "train_acc", "lr", "deficit")
    assert [[m[k] for k in train_keys] for m in probed] == [[m[k] for k in train_keys]
                                                           for m in plain]
    assert [("fisher" in m) for m in probed] == [True, False, True, False]
    assert probed[0]["fisher"] > 0 and set(probed[0]["fisher_layers"]) >= {"net.0", "net.4"}
    # the test set only at phase boundaries (epochs 2 and 4), with the same numbers
    assert [m["test_acc"] is not None for m in probed] == [False, True, False, True]
    assert probed[3]["test_acc"] == plain[3]["test_acc"]


def test_fisher_inside_an_epoch_changes_no_training_number(ctx, tmp_path):
    # 100 images in batches of 32: 4 steps an epoch; steps 2 and 6 lie inside epochs 1 and 2
    plain = get_run(tiny([(3, None)]), ctx).metrics
    probed = get_run(tiny([(3, None)], fisher_steps=(2, 6), fisher_probe=20),
                     fresh(ctx, tmp_path, "probed")).metrics
    train_keys = ("train_loss", "train_acc", "test_acc", "steps")
    assert [[m[k] for k in train_keys] for m in probed] == [[m[k] for k in train_keys]
                                                           for m in plain]
    assert [m["steps"] for m in plain] == [4, 8, 12]
    assert [[s["step"] for s in m.get("fisher_steps", ())] for m in probed] == [[2], [6], []]
    assert probed[0]["fisher_steps"][0]["epoch"] == 0.5
    assert probed[0]["fisher_steps"][0]["fisher"] > 0


def test_runs_that_measure_differently_share_their_training(ctx, tmp_path):
    """Measurements are no part of a run's key: a run that measures what a stored prefix holds
    reuses it; one that measures more trains again (the same numbers), and the store then holds
    both runs' measurements."""
    measured = dict(fisher_at=(1, 2), fisher_steps=(3,), fisher_probe=20, test_every=1)
    lean, rich = tiny([(2, None), (1, "blur")], test_every=0), tiny([(2, None)], **measured)
    alone = {name: get_run(spec, fresh(ctx, tmp_path, name)).metrics
             for name, spec in (("lean", lean), ("rich", rich))}
    store = fresh(ctx, tmp_path, "shared")
    first = get_run(lean, store)
    again = get_run(rich, store)  # the stored 2-epoch prefix has no Fisher traces
    assert again.epochs_trained == 2 and again.metrics == alone["rich"]
    assert get_run(rich, store).epochs_trained == 0
    assert get_run(lean, store).epochs_trained == 0
    assert first.metrics == alone["lean"] == get_run(lean, store).metrics
    # the other way round: the richer run first, and the lean one trains only its last epoch
    other = fresh(ctx, tmp_path, "rich-first")
    get_run(rich, other)
    reused = get_run(lean, other)
    assert reused.epochs_trained == 1 and reused.metrics == alone["lean"]


def test_a_run_measuring_for_a_longer_run_lets_it_resume(ctx, tmp_path):
    """A lean run trained first with the measurements of the run that continues it (as the
    session asks, repro.measures): the longer run then resumes from its end, and each record is
    the one its run gives alone."""
    from repro.measures import for_session

    measured = dict(fisher_at=(1, 3), fisher_steps=(3,), fisher_probe=20, test_every=1)
    lean, rich = tiny([(2, None)], test_every=0), tiny([(3, None)], **measured)
    alone = {name: get_run(spec, fresh(ctx, tmp_path, name)).metrics
             for name, spec in (("lean", lean), ("rich", rich))}
    store = fresh(ctx, tmp_path, "shared")
    richer = for_session(lean, [lean, rich], store.run_tag(lean.dataset))
    assert richer.fisher_at == (1,) and richer.test_every == 1
    assert store.key(richer) == store.key(lean)
    first = get_run(lean, store, measure=richer)
    assert first.spec == lean and first.metrics == alone["lean"]
    again = get_run(rich, store)
    assert again.resumed_from == 2 and again.epochs_trained == 1 and again.metrics == alone["rich"]
    assert get_run(lean, store).metrics == alone["lean"]  # the stored extras are not its record
    with pytest.raises(ValueError, match="not the training"):
        get_run(lean, store, measure=rich)


def test_fisher_of_a_stored_network_equals_the_one_recorded_in_training(ctx):
    from repro.engine import load_model, measure_fisher
    spec = tiny([(3, None)], fisher_at=(3,), fisher_probe=20)
    recorded = get_run(spec, ctx).metrics[-1]
    model, data = load_model(spec, ctx)
    again = measure_fisher(model, data, spec, 3)
    assert again["fisher"] == pytest.approx(recorded["fisher"], rel=1e-6)
    assert load_model(tiny([(5, None)]), ctx) is None


class _RunsCode:
    """A payload object whose unpickling would run a shell command."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_planted_entry_that_would_run_code_is_refused_and_retrained(ctx, tmp_path, caplog):
    """A writer to a shared store plants a prefix checkpoint whose payload runs a command when
    unpickled, with a matching record and checksum: reading it runs nothing, and the run that
    would resume from it is trained from scratch, to the same numbers."""
    spec = tiny([(2, "blur"), (2, None)])
    clean = get_run(spec, fresh(ctx, tmp_path, "clean"))
    prefix = spec.truncate(2)
    get_run(prefix, ctx)
    key = ctx.key(prefix)
    marker = tmp_path / "ran"
    ctx.store.save(key, ctx.store.meta(key), {"model": _RunsCode(marker)})
    assert ctx.store.meta(key) is not None  # the record and checksum hold
    with caplog.at_level(logging.WARNING, logger="repro.store"):
        got = get_run(spec, ctx)
    assert not marker.exists()
    assert "not plain tensors" in caplog.text
    assert got.resumed_from == 0 and got.epochs_trained == 4
    assert got.metrics == clean.metrics


def test_store_entries_are_readable_as_the_umask_allows(ctx):
    """A store shared between users: entries get a new file's permissions, not mkstemp's 0600."""
    mask = os.umask(0o022)
    try:
        get_run(tiny([(1, None)]), ctx)
    finally:
        os.umask(mask)
    files = list(ctx.store.root.glob("*/*.json")) + list(ctx.store.root.glob("*/*.pt"))
    assert files and all(f.stat().st_mode & 0o777 == 0o644 for f in files)
