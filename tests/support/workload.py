"""benchmarks/workload.py (the benchmarks' generator of Acme-like leads), loaded once for the tests."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from types import ModuleType

WORKLOAD_PY = Path(__file__).resolve().parents[2] / "benchmarks" / "workload.py"


@lru_cache(maxsize=1)
def bench_workload() -> ModuleType:
    """The module: generate_leads(n, seed=..., error_rate=...), write_jsonl(path, n, ...)."""
    spec = importlib.util.spec_from_file_location("leadpolicy_bench_workload", WORKLOAD_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
