"""The order claims are handed to xdist workers in: longest first, so that two workers finish
together. `make claims` runs `-n <cores> --dist loadfile`: each file's claims on one worker, in
order, so a claim that reads another's runs in the same file finds them trained. xdist then hands
out files with more claims first (its default `--loadscope-reorder`), and this order among equals.

Seconds of one worker per file at the smoke tier, from the CI run of 2026-11-22 (one thread per
run); a file not listed goes last. A stale figure costs only balance, never a number.
"""
SMOKE_SECONDS = {
    "test_blur_deficit.py": 402, "test_high_level_deficits.py": 312, "test_depth.py": 314,
    "test_sensitivity_window.py": 284, "test_regularization_timing.py": 272,
    "test_deep_linear.py": 330, "test_warm_start.py": 154, "test_constant_lr.py": 145,
    "test_fisher_trace.py": 121, "test_clean_switch_control.py": 78,
    "test_multipathway.py": 12, "test_layerwise_fisher.py": 7,  # reads the blur claim's runs
}


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: -SMOKE_SECONDS.get(item.path.name, 0))  # stable within a file
