"""`score --engine spark` from the command line: the JVM's start-up chatter (log4j's notices, the
"incubator modules" and "hostname resolves to a loopback address" warnings) stays off the user's
terminal, and a Spark that cannot start (no Java, a wrong JAVA_HOME) is one clear line with exit 2,
not "INPUT: spark cannot read it: [JAVA_GATEWAY_EXITED]" blaming the input file. Real processes:
the leadpolicy command, the real spark-submit launcher, a real JVM."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyspark", reason="pip install 'leadpolicy[spark]'")

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["-m", "leadpolicy", "score", str(ROOT / "policies" / "acme.policy"), str(ROOT / "policies" / "acme.leads.jsonl"),
        "--engine", "spark", "--as-of", "2026-11-22T00:00:00Z"]


def _run(tmp_path: Path, **environment: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("LEADPOLICY_DEBUG", "PYSPARK_SUBMIT_ARGS")}
    return subprocess.run([sys.executable, *ARGS, "-o", str(tmp_path / "out.jsonl")], capture_output=True, text=True,
                          timeout=300, env={**env, **environment}, cwd=tmp_path)


def test_a_spark_that_cannot_start_says_why_in_one_line(tmp_path: Path) -> None:
    done = _run(tmp_path, JAVA_HOME=str(tmp_path / "no-java"))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Spark did not start: "), done.stderr
    assert str(tmp_path / "no-java" / "bin" / "java") in lines[0] and "needs Java 17 or later" in lines[0]
    assert "acme.leads.jsonl" not in lines[0] and not (tmp_path / "out.jsonl").exists()


@pytest.mark.spark
def test_a_local_spark_run_says_only_the_summary(tmp_path: Path) -> None:
    done = _run(tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0].startswith("60 leads scored in "), done.stderr
    for noise in ("log4j", "WARN", "WARNING", "incubator", "SparkContext"):
        assert noise not in done.stderr
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8").count("\n") == 60
