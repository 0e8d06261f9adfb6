"""repro: a reproducibility harness for "Critical Learning Periods in Deep Networks" and its
follow-ups."""
from .config import ENGINE_VERSION, Phase, RunSpec
from .engine import Context, RunResult, get_run
from .store import RunStore

__all__ = ["ENGINE_VERSION", "Context", "Phase", "RunResult", "RunSpec", "RunStore", "get_run"]
