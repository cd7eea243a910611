"""The optional packages of the SQL back end, imported on first use with a clear error."""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtra(ImportError):
    """An optional package is not installed: the message names the extra to install."""


class SparkStartError(RuntimeError):
    """Spark (its Java process) did not start; the message says why, in the JVM's own last words."""


def _need(module: str, extra: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(f"{module} is not installed: pip install 'leadpolicy[{extra}]'") from None


def sqlglot() -> ModuleType:
    return _need("sqlglot", "sql")


def duckdb() -> ModuleType:
    return _need("duckdb", "duckdb")


def pyspark() -> ModuleType:
    return _need("pyspark", "spark")
