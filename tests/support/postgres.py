"""A real PostgreSQL server for the tests (Debian's binaries, started by the tests as another
user when run as root), and the relational shape of a case run through the Postgres query.
Shared by the Postgres tests of test_sql_dialects.py, test_sql_error_codes.py and
test_sql_postgres_numbers.py: `postgres`, a module-scoped fixture (tests/conftest.py makes it every
module's), and `run_postgres`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from support.backends import Case, relational_case, relational_names, sql_outcomes


def _pg_bin() -> Path:
    """Where initdb and pg_ctl are: LEADPOLICY_PG_BIN, else /usr/local/bin, else Debian's
    /usr/lib/postgresql/N/bin (the newest N)."""
    if os.environ.get("LEADPOLICY_PG_BIN"):
        return Path(os.environ["LEADPOLICY_PG_BIN"])
    candidates = [Path("/usr/local/bin"), *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)]
    return next((c for c in candidates if (c / "initdb").exists()), candidates[0])


PG_BIN = _pg_bin()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    psycopg = pytest.importorskip("psycopg", reason="the Postgres tests need pip install 'psycopg[binary]'")
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL server binaries in {PG_BIN} (set LEADPOLICY_PG_BIN)")
    as_user: list = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        if not shutil.which("runuser"):
            pytest.skip("running as root and no runuser to start PostgreSQL as another user")
        as_user = ["runuser", "-u", "nobody", "--"]
    home = Path(tempfile.mkdtemp(prefix="leadpolicy-pg-"))
    os.chmod(home, 0o777)
    data, port = home / "data", _free_port()
    # --locale=C.UTF-8: lower() of non-ASCII letters needs a UTF-8 ctype
    init = subprocess.run([*as_user, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                           "--locale=C.UTF-8"], capture_output=True, text=True)
    if init.returncode != 0:
        shutil.rmtree(home, ignore_errors=True)
        pytest.skip(f"initdb failed: {init.stderr.strip()[:300]}")
    start = subprocess.run([*as_user, str(PG_BIN / "pg_ctl"), "start", "-D", str(data), "-l", str(home / "log"), "-w", "-o",
                            f"-p {port} -k {home} -c listen_addresses=''"], capture_output=True, text=True)
    if start.returncode != 0:
        log = (home / "log").read_text(errors="replace")[-500:] if (home / "log").exists() else start.stderr
        shutil.rmtree(home, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {log}")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                con = psycopg.connect(host=str(home), port=port, user="postgres", dbname="postgres", autocommit=True)
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield con
        con.close()
    finally:
        subprocess.run([*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def run_postgres(case: Case, con) -> list:
    """The relational shape as two Postgres tables of text cells; the Postgres query over them."""
    from leadpolicy.backends.sql.inputs import Mapping
    from leadpolicy.backends.sql.text import query_text

    leads_rows, acts_rows, _ = relational_case(case)
    mapping, lead_cols, act_cols = relational_names(case)
    ints = ("lp__row", "lp__seq")
    with con.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS leads; DROP TABLE IF EXISTS activities")
        for table, cols, rows in (("leads", lead_cols, leads_rows), ("activities", act_cols, acts_rows)):
            cur.execute(f"CREATE TABLE {table} (" + ", ".join(f"{c} {'bigint' if c in ints else 'text'}" for c in cols) + ")")
            if rows:
                cur.executemany(f"INSERT INTO {table} VALUES (" + ", ".join(["%s"] * len(cols)) + ")",
                                [tuple(r.get(c) for c in cols) for r in rows])
        cur.execute("SELECT set_config('leadpolicy.as_of', %s, false)", [case.as_of])
        cur.execute(query_text(case.policy, "postgres", mapping=Mapping.from_dict(mapping)))
        names = [d.name for d in cur.description]
        return sql_outcomes([dict(zip(names, row)) for row in cur.fetchall()])
