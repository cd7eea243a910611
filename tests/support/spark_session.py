"""The tests' local Spark: one per process (`getOrCreate` returns the running one, so every test module
that asks gets the session the first one made, whatever its own settings would have been)."""

from __future__ import annotations

from typing import Any


def local_spark() -> Any:
    from pyspark.sql import SparkSession

    # no codegen, no adaptive plans: these queries are many and tiny, and Spark's planning, not
    # the data, is their cost. Two task slots and 2 GB: on one slot and 1 GB, a broadcast in
    # tests/test_sql_spark_files.py (which shares this JVM) timed out after 300 s in most full
    # runs of session 18, the suite's Spark work having grown; the timeout is raised as well
    session = (SparkSession.builder.master("local[2]").appName("leadpolicy-tests")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.adaptive.enabled", "false").config("spark.sql.codegen.wholeStage", "false")
               .config("spark.sql.codegen.factoryMode", "NO_CODEGEN").config("spark.driver.memory", "2g")
               .config("spark.sql.broadcastTimeout", "900")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session
