"""The order claims are handed to xdist workers in: longest first, so that two workers finish
together. `make claims` runs `-n <cores> --dist loadfile --no-loadscope-reorder`: each file's
claims on one worker, in order, so that a claim that reads another's runs in the same file finds
them trained; files are handed out in this order (xdist's default would put files with more claims
first: in the run below that left one worker idle for the last 5 minutes).

Seconds of one worker per file at the smoke tier, from `make claims` on an empty store on
2026-11-23 (one thread per run). A file that trains runs other files share is charged for them,
so the figures hold for this order; a file not listed goes last. A stale figure costs only
balance, never a number.
"""
SMOKE_SECONDS = {
    "test_high_level_deficits.py": 671, "test_depth.py": 364, "test_deep_linear.py": 321,
    "test_sensitivity_window.py": 310, "test_regularization_timing.py": 233,
    "test_blur_deficit.py": 194, "test_warm_start.py": 140, "test_fisher_trace.py": 115,
    "test_constant_lr.py": 70, "test_multipathway.py": 11,
    "test_layerwise_fisher.py": 7,  # reads the blur claim's runs
    "test_clean_switch_control.py": 1,  # reads the high-level claims' runs
}


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: -SMOKE_SECONDS.get(item.path.name, 0))  # stable within a file
