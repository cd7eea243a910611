"""`leadpolicy diff`: what a change to the agreement means, and what it does to real leads.

    result = diff("main:policies/acme.policy", "policies/acme.policy", leads="policies/acme.leads.jsonl",
                  as_of="2026-11-22")
    result.changes          # the semantic diff (semantic.py), in the handoff document's English
    result.leads            # the replay (replay.py, summarised by result.py), or None without leads
    result.to_dict()        # the JSON of `--format json`

Modules: `sources` reads a file or git `REV:PATH`; `semantic` compares the
checked trees; `replay` runs both versions over leads; `result` shapes the
JSON; `render_text` and `render_markdown` write the reports.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from typing import Any, BinaryIO, Iterable, Optional, Union, cast

from leadpolicy.tools.diff.result import DiffResult, summarize_leads, version_info
from leadpolicy.tools.diff.semantic import compare
from leadpolicy.tools.diff.sources import PolicySource, SourceError, read_at_revision, read_policy_source

__all__ = ["diff", "diff_policies", "load_version", "as_of_moment", "DiffResult", "PolicySource", "SourceError",
           "read_policy_source", "read_at_revision"]

ENGINES = ("python", "duckdb")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def as_of_moment(as_of: Any) -> datetime:
    """`as_of` (None for now, a datetime, or ISO 8601 text) as one aware UTC datetime. Raises LeadDataError,
    also for a time outside the datetime range in UTC (`9999-12-31T23:59:59-05:00`: an OverflowError)."""
    from leadpolicy.semantics.runtime import LeadDataError, read_as_of

    micros = read_as_of(as_of)
    try:
        return _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        raise LeadDataError(f"`{as_of}` is outside the times leadpolicy reads: 0001-01-01 to 9999-12-31, in UTC",
                            field="as_of", value=as_of) from None


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def load_version(version: Any) -> Any:
    """A Policy and its label from a Policy, a file path, or git's `REV:PATH`.

    Raises SourceError (cannot be read) or PolicyError (does not check; its
    diagnostics carry the version's own name, e.g. `main:policies/acme.policy`).
    """
    import leadpolicy

    if isinstance(version, leadpolicy.Policy):
        return version, version.path
    if isinstance(version, str) and "\n" in version:  # it was "no such file: " and the whole text
        first = version.strip().partition("\n")[0][:60]
        raise SourceError(f"`{first}` ... is a policy's text, not a file or `REV:PATH`: "
                          "pass leadpolicy.loads(text) instead")
    if not isinstance(version, (str, os.PathLike)):
        raise TypeError(f"a version is a leadpolicy.Policy, a file's path or git's `REV:PATH`, not {type(version).__name__}")
    source = read_policy_source(os.fspath(version))
    return leadpolicy.loads(source.text, source.label), source.label


def diff_policies(old: Any, new: Any, old_label: str, new_label: str, leads: Optional[Union[str, "os.PathLike[str]", Iterable[Any]]] = None,
                  as_of: Any = None, *, jobs: int = 1, input_format: Optional[str] = None, progress: Any = None,
                  leads_label: Optional[str] = None, warn: Any = None, engine: str = "python",
                  memory_limit: Optional[str] = None, activities: Optional[Union[str, "os.PathLike[str]"]] = None,
                  mapping: Optional[dict[str, Any]] = None, leads_table: Optional[str] = None,
                  activities_table: Optional[str] = None) -> DiffResult:
    """The diff of two loaded policies; `leads` a JSON Lines or CSV file's path (or a Parquet file of
    leads in the JSON Lines shape, read through a JSON Lines copy as `score` reads it), a binary stream of
    one, or an iterable of lead dicts; `leads_label` names them in the report. `engine` "duckdb" replays a file through the SQL
    back end (replay_sql.py; the same report), within `memory_limit` (e.g. "4GB"); with
    `activities`, `leads` and `activities` are the relational shape's tables (Parquet or
    CSV files, column names as `mapping` says: docs/sql.md), read by the duckdb engine only.
    A DuckDB database as `leads` is read by the duckdb engine too: its tables `leads_table`
    and `activities_table` (default: the mapping's, else `leads` and `activities`)."""
    from leadpolicy.tools.diff.replay import replay_leads, replay_stream

    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r} (one of {', '.join(ENGINES)})")
    if (activities is not None or mapping is not None or leads_table or activities_table) and engine != "duckdb":
        raise ValueError("the relational shape (activities, mapping, tables) is read by engine='duckdb'")
    if isinstance(leads, (str, os.PathLike)) and activities is None and not (leads_table or activities_table):
        from leadpolicy.tools.parquet_leads import is_nested_parquet, json_lines_copy

        path = os.fspath(leads)
        if is_nested_parquet(path):  # leads as in JSON Lines (a `fields` column): read as score reads them
            with json_lines_copy(path) as copy:
                return diff_policies(old, new, old_label, new_label, copy, as_of, jobs=jobs, input_format="jsonl",
                                     progress=progress, leads_label=leads_label or path, warn=warn, engine=engine,
                                     memory_limit=memory_limit)
        if path.lower().endswith(".parquet") and os.path.isfile(path):
            raise ValueError(f"{path}: Parquet leads without a `fields` column are the relational shape: give their "
                             "activities table too")
    moment = as_of_moment(as_of)  # a bad one raises without leads too (it was ignored)
    changes = compare(old.tree, new.tree)
    summary = None
    if leads is not None:
        if engine == "duckdb":
            from leadpolicy.tools.diff.replay_sql import replay_duckdb

            if not isinstance(leads, (str, os.PathLike)):
                raise ValueError("engine='duckdb' replays a file of leads: pass its path")
            path = os.fspath(leads)
            fmt = input_format or ("csv" if path.lower().endswith(".csv") else "jsonl")
            tally, _ = replay_duckdb(old, new, path, as_of=moment, input_format=fmt, memory_limit=memory_limit,
                                     progress=progress, warn=warn,
                                     activities=os.fspath(activities) if activities is not None else None, mapping=mapping,
                                     leads_table=leads_table, activities_table=activities_table)
            label = (leads_label or path) if activities is None else f"{path} + {os.fspath(activities)}"
        elif isinstance(leads, (str, os.PathLike)):
            path = os.fspath(leads)
            fmt = input_format or ("csv" if path.lower().endswith(".csv") else "jsonl")
            with open(path, "rb") as stream:
                tally, _ = replay_stream(old, new, stream, as_of=moment, input_format=fmt, jobs=jobs, progress=progress,
                                         warn=warn)
            label = leads_label or path
        elif hasattr(leads, "read"):  # a binary stream, such as standard input
            tally, _ = replay_stream(old, new, cast(BinaryIO, leads), as_of=moment, input_format=input_format or "jsonl", jobs=jobs,
                                     progress=progress, warn=warn)
            name = getattr(leads, "name", None)
            label = leads_label or (name if isinstance(name, str) else "<stream>")
        else:
            from leadpolicy import refuse_one_lead

            refuse_one_lead(leads, "diff(leads=...)", paths=True)
            tally, label = replay_leads(old, new, leads, as_of=moment), "<leads>"
        summary = summarize_leads(tally, old.tree, new.tree, source=label, as_of=iso(moment))
    return DiffResult(version_info(old, old_label), version_info(new, new_label), changes, summary)


def diff(old: Any, new: Any, leads: Any = None, as_of: Any = None, engine: str = "python", *, activities: Any = None,
         mapping: Optional[dict[str, Any]] = None) -> DiffResult:
    """What changes from policy `old` to policy `new`, and, given leads, what it does to them.

    `old` and `new`: a loaded `leadpolicy.Policy`, a policy file's path, or git's
    `REV:PATH` (`"main:policies/acme.policy"`). `leads`: a JSON Lines or CSV
    file's path (read as `leadpolicy score` reads it), or an iterable of leads
    in the shape of docs/language-reference.md section 16. `as_of`: a datetime or ISO 8601 text,
    one moment for both versions (default: now). `engine`: "python" (default) or
    "duckdb" (a file of leads decided by the SQL back end: the same result,
    faster on large files; needs pip install 'leadpolicy[duckdb]'). `activities` (duckdb): `leads`
    is the relational shape's leads table and this its activities table (Parquet or CSV
    files), named as `mapping` says (docs/sql.md). Raises PolicyError when a
    version does not check, SourceError when one cannot be read.
    """
    old_policy, old_label = load_version(old)
    new_policy, new_label = load_version(new)
    return diff_policies(old_policy, new_policy, old_label, new_label, leads, as_of, engine=engine, activities=activities,
                         mapping=mapping)
