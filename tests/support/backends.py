"""The back-end registry of the differential tests: every evaluator of a policy,
behind one signature, so tests/test_backends_differential.py can demand that
they all decide alike.

    run(case) -> [("decision", canonical JSON text) or ("error", field), ...]

A `Case` is a policy and a batch of leads, each lead as its JSON Lines text
(LANGUAGE.md section 8): what every engine reads. The batch shares one `as_of`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import note, strategies as st
from hypothesis.errors import InvalidArgument

import leadpolicy
from leadpolicy.semantics import reference
from leadpolicy.syntax import nodes

ROOT = Path(__file__).resolve().parents[2]
# the example policies that have sample leads (policies/NAME.leads.jsonl)
EXAMPLE_POLICIES = sorted(p.stem for p in (ROOT / "policies").glob("*.policy") if (ROOT / "policies" / f"{p.stem}.leads.jsonl").exists())
KEYS = ("stage", "previous_stage", "change", "engagement", "fit", "grade", "reason", "hits")


@dataclass
class Case:
    policy: leadpolicy.Policy
    lines: list  # JSON text of each lead
    as_of: str

    @property
    def tree(self) -> nodes.Policy:
        return self.policy.tree

    def leads(self) -> list:
        return [json.loads(line) for line in self.lines]


def _json_default(value):
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"not JSON: {value!r}")


def lead_line(lead: dict) -> str:
    """A generated lead (keyword arguments of `evaluate`) as its JSON Lines text."""
    record = {"id": lead.get("lead_id"), "fields": lead.get("fields"), "activities": lead.get("activities"),
              "stage": lead.get("previous_stage")}
    return json.dumps(record, default=_json_default, ensure_ascii=False)


def as_of_text(value) -> str:
    return value.isoformat() if isinstance(value, (dt.datetime, dt.date)) else str(value)


def canonical(decision: dict) -> tuple:
    return ("decision", json.dumps({key: decision[key] for key in KEYS}, ensure_ascii=False))


def _python_like(evaluate: Callable, case: Case) -> list:
    out = []
    for lead in case.leads():
        try:
            decision = evaluate(lead)
        except leadpolicy.LeadDataError as error:
            out.append(("error", error.field))
            continue
        out.append(canonical(decision))
    return out


def run_reference(case: Case) -> list:
    return _python_like(lambda lead: reference.evaluate(case.tree, lead.get("fields"), lead.get("activities"), case.as_of,
                                                        lead.get("stage"), lead.get("id")), case)


def run_python(case: Case) -> list:
    return _python_like(lambda lead: case.policy.evaluate(lead.get("fields"), lead.get("activities"), case.as_of,
                                                          lead.get("stage"), lead.get("id")).to_dict(), case)


def sql_outcomes(rows: list) -> list:
    """Rows of the SQL query (dicts by column) as outcomes."""
    out = []
    for row in rows:
        if row["error"] is not None:
            out.append(("error", json.loads(row["error"])["field"]))
            continue
        decision = {
            "stage": row["stage"], "previous_stage": row["previous_stage"], "change": row["change"],
            "engagement": row["engagement"], "fit": row["fit"], "grade": row["grade"],
            "reason": {"kind": row["reason_kind"], "stage": row["stage"], "rule": row["reason_rule"]},
            "hits": json.loads(row["hits"]),
        }
        out.append(canonical(decision))
    return out


_DUCKDB = None


def _duckdb():
    global _DUCKDB
    import duckdb

    if _DUCKDB is None:
        _DUCKDB = duckdb.connect()
        _DUCKDB.execute("SET threads = 1")  # small batches: no gain from threads, less noise
    return _DUCKDB


def run_duckdb(case: Case) -> list:
    """The nested shape: the leads as a JSON Lines file read by DuckDB."""
    from leadpolicy.backends.sql.engines import score_duckdb

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as handle:
        handle.write("\n".join(case.lines) + "\n")
    try:
        relation = score_duckdb(case.policy, _duckdb(), leads=handle.name, as_of=case.as_of)
        columns = relation.columns
        return sql_outcomes([dict(zip(columns, row)) for row in relation.fetchall()])
    finally:
        os.unlink(handle.name)


# ---------------------------------------------------------------- the relational shape


def cell(value):
    """A JSON value as a warehouse text cell (None stays NULL)."""
    if value is None or isinstance(value, str):
        return value
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)


def _held_names(case: Case) -> tuple[set, set]:
    """The field names some lead of the case holds a value for, and the property names some
    activity does."""
    fields, props = set(), set()
    for lead in case.leads():
        if not isinstance(lead, dict):
            continue
        if isinstance(lead.get("fields"), dict):
            fields.update(name for name, value in lead["fields"].items() if value is not None)
        for act in lead.get("activities") if isinstance(lead.get("activities"), list) else ():
            if isinstance(act, dict):
                props.update(name for name, value in act.items() if value is not None)
    return fields, props


def relational_names(case: Case) -> tuple:
    """Column names for the relational test: every field and property mapped to a
    column of its own (DuckDB's names ignore case: a field `STAGE` would be the
    `stage` column), which also exercises the mapping; one that no lead holds a value
    for has no column at all, mapped to null (docs/sql.md, "A table without the column")."""
    held_fields, held_props = _held_names(case)
    fields = {decl.name: f"f_{index}" if decl.name in held_fields else None for index, decl in enumerate(case.tree.fields)}
    props: dict = {}
    for decl in case.tree.activities:
        for prop in decl.props:
            props.setdefault(prop.name, f"p_{len(props)}" if prop.name in held_props else None)
    mapping = {"id": "lp__id", "stage": "lp__stage", "lead_id": "lp__lead", "type": "lp__type", "at": "lp__at",
               "order": "lp__seq", "lead_order": "lp__row", "fields": fields, "props": props}
    return (mapping, ["lp__id", "lp__row", "lp__stage", *filter(None, fields.values())],
            ["lp__lead", "lp__seq", "lp__type", "lp__at", *filter(None, props.values())])


def relational_case(case: Case) -> tuple:
    """The batch as the relational shape (every cell text, as a warehouse or CSV
    holds it) and the same leads as JSON with those text values, for the
    reference. Leads whose `fields` or `activities` have no relational form (not
    an object, not an array of objects) are left out; the test counts them."""
    mapping, _, _ = relational_names(case)
    leads_rows, acts_rows, texts = [], [], []
    for row, lead in enumerate(case.leads(), 1):
        fields, acts = lead.get("fields"), lead.get("activities")
        if not (fields is None or isinstance(fields, dict)) or not (acts is None or (
                isinstance(acts, list) and all(isinstance(a, dict) for a in acts))):
            continue
        lead_id = f"R{row}"
        text_fields = {decl.name: cell((fields or {}).get(decl.name)) for decl in case.tree.fields}
        leads_rows.append({"lp__id": lead_id, "lp__row": row, "lp__stage": cell(lead.get("stage")),
                           **{mapping["fields"][name]: value for name, value in text_fields.items() if mapping["fields"][name]}})
        text_acts = []
        for seq, act in enumerate(acts or []):
            record = {"type": cell(act.get("type")), "at": cell(act.get("at"))}
            for name in mapping["props"]:
                record[name] = cell(act.get(name))
            acts_rows.append({"lp__lead": lead_id, "lp__seq": seq, "lp__type": record["type"], "lp__at": record["at"],
                              **{mapping["props"][name]: record[name] for name in mapping["props"] if mapping["props"][name]}})
            text_acts.append(record)
        texts.append(json.dumps({"id": lead_id, "fields": text_fields, "activities": text_acts, "stage": cell(lead.get("stage"))}))
    return leads_rows, acts_rows, Case(case.policy, texts, case.as_of)


def run_duckdb_relational(case: Case) -> list:
    import pyarrow as pa

    from leadpolicy.backends.sql.engines import score_duckdb

    leads_rows, acts_rows, _ = relational_case(case)
    mapping, lead_cols, act_cols = relational_names(case)
    con = _duckdb()
    ints = ("lp__row", "lp__seq")
    leads = con.from_arrow(pa.table({c: pa.array([r.get(c) for r in leads_rows], type=pa.int64() if c in ints else pa.string())
                                     for c in lead_cols}))
    acts = con.from_arrow(pa.table({c: pa.array([r.get(c) for r in acts_rows], type=pa.int64() if c in ints else pa.string())
                                    for c in act_cols}))
    relation = score_duckdb(case.policy, con, leads=leads, activities=acts, as_of=case.as_of, mapping=mapping)
    columns = relation.columns
    return sql_outcomes([dict(zip(columns, row)) for row in relation.fetchall()])


TYPED_COLUMNS: dict = {}  # Arrow type -> columns run_duckdb_typed_relational typed (the test counts them)


def _typed_array(values: list, kind: str):
    """The column of text cells `values` read as `kind` (runtime's readers, section 8) in an Arrow
    type, as a warehouse would type it: numbers as int64 where all are whole (else float64),
    booleans as bool, times as UTC microsecond timestamps (DuckDB's TIMESTAMPTZ). None: some
    cell cannot be read (a typed column holds no such text), or no cell holds a value."""
    import pyarrow as pa

    from leadpolicy.semantics import runtime

    reader = {"number": runtime.read_number, "boolean": runtime.read_boolean, "date": runtime.read_date}.get(kind)
    if reader is None:
        return None
    try:
        read = [None if v is None else reader(v, "x") for v in values]
    except runtime.LeadDataError:
        return None
    if all(v is None for v in read):
        return None
    if kind == "number":
        whole = all(v is None or (v == int(v) and abs(v) < 2 ** 53 and str(v) != "-0.0") for v in read)
        return pa.array([None if v is None else int(v) for v in read], pa.int64()) if whole else pa.array(read, pa.float64())
    if kind == "boolean":
        return pa.array(read, pa.bool_())
    return pa.array(read, pa.timestamp("us", tz="UTC"))  # (read_date: microseconds since the epoch, UTC)


def run_duckdb_typed_relational(case: Case) -> list:
    """The relational shape with typed columns (docs/sql.md, "Typed columns"): each column of a
    number, boolean or date (and `at`) whose every cell reads, typed as it reads; the rest text.
    The reference reads the same cells as text, so decisions must not change."""
    import pyarrow as pa

    from leadpolicy.backends.sql.engines import score_duckdb

    leads_rows, acts_rows, _ = relational_case(case)
    mapping, lead_cols, act_cols = relational_names(case)
    con = _duckdb()
    field_kinds = {mapping["fields"][d.name]: d.type.kind for d in case.tree.fields if mapping["fields"][d.name]}
    prop_kinds: dict = {}
    for decl in case.tree.activities:
        for prop in decl.props:
            column = mapping["props"][prop.name]
            if column:
                prop_kinds[column] = prop.type.kind if prop_kinds.get(column, prop.type.kind) == prop.type.kind else "several"
    ints = ("lp__row", "lp__seq")
    relations = []
    for rows, cols, kinds in ((leads_rows, lead_cols, field_kinds), (acts_rows, act_cols, {**prop_kinds, "lp__at": "date"})):
        arrays = {}
        for c in cols:
            values = [r.get(c) for r in rows]
            typed = _typed_array(values, kinds[c]) if c in kinds else None
            if typed is not None:
                TYPED_COLUMNS[str(typed.type)] = TYPED_COLUMNS.get(str(typed.type), 0) + 1
            arrays[c] = typed if typed is not None else pa.array(values, type=pa.int64() if c in ints else pa.string())
        relations.append(con.from_arrow(pa.table(arrays)))
    relation = score_duckdb(case.policy, con, leads=relations[0], activities=relations[1], as_of=case.as_of, mapping=mapping)
    columns = relation.columns
    return sql_outcomes([dict(zip(columns, row)) for row in relation.fetchall()])


def run_reference_relational(case: Case) -> list:
    return run_reference(relational_case(case)[2])


BACKENDS = {
    "python": run_python,
    "duckdb": run_duckdb,
}


def run_spark_relational(case: Case, spark) -> list:
    """The relational shape through a real Spark: DataFrames of text cells, the query over temporary views."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    from leadpolicy.backends.sql.engines import score_spark

    leads_rows, acts_rows, _ = relational_case(case)
    mapping, lead_cols, act_cols = relational_names(case)
    ints = ("lp__row", "lp__seq")

    def frame(rows: list, cols: list):
        schema = StructType([StructField(c, LongType() if c in ints else StringType()) for c in cols])
        return spark.createDataFrame([tuple(r.get(c) for c in cols) for r in rows], schema)

    frame_rows = score_spark(case.policy, spark, frame(leads_rows, lead_cols), frame(acts_rows, act_cols),
                             as_of=case.as_of, mapping=mapping).collect()
    return sql_outcomes([row.asDict() for row in frame_rows])


# ---------------------------------------------------------------- shared by the differential tests


def assert_agree(name: str, got: list, expected: list, case: Case) -> None:
    """Every outcome of back end `name` equals the reference's, lead by lead."""
    assert len(got) == len(expected), f"{name}: {len(got)} rows for {len(expected)} leads"
    for number, (a, b) in enumerate(zip(got, expected), 1):
        if a != b:
            with contextlib.suppress(InvalidArgument):  # outside a Hypothesis test the message says it all
                note(f"policy:\n{case.policy.source}")
            pytest.fail(f"{name} disagrees with the reference on lead #{number} (as_of {case.as_of}):\n"
                        f"  {name}:  {a}\n  reference: {b}\n  lead: {case.lines[number - 1]}")


def generated_case(data) -> Case:
    """A generated policy (support.leadgen) with 6-8 generated leads, drawn from `data` (st.data())."""
    from support.leadgen import leads_for, policy_texts

    text = data.draw(policy_texts(), label="policy text")
    try:
        policy = leadpolicy.loads(text)
    except leadpolicy.PolicyError as error:
        pytest.fail("the generator wrote a policy with errors:\n" + error.render())
    leads = data.draw(st.lists(leads_for(policy.tree), min_size=6, max_size=8), label="leads")
    return Case(policy, [lead_line(lead) for lead in leads], as_of_text(leads[0]["as_of"]))


def _text(value):
    """A JSON value as a warehouse text cell (None stays NULL)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def relational_files(tmp_path: Path) -> tuple:
    """Acme's leads and some with bad cells as Parquet tables of text cells (leads.parquet,
    acts.parquet, names.json, the mapping) and as JSON Lines of the same text, in the same order."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    tree = leadpolicy.load(ROOT / "policies" / "acme.policy").tree
    fields = [d.name for d in tree.fields]
    props = list(dict.fromkeys(p.name for d in tree.activities for p in d.props))
    leads = [json.loads(line) for line in (ROOT / "policies" / "acme.leads.jsonl").read_text(encoding="utf-8").splitlines()[:12]]
    leads += [{"id": "Z-1", "fields": {"company_size": "lots"}}, {"id": "Z-2", "stage": "nowhere"},
              {"id": "Z-3", "activities": [{"type": "page_view", "at": "yesterday"}]},
              {"id": "Z-4", "fields": {"industry": "mining", "is_customer": "maybe"}},
              {"id": "Z-5", "activities": [{"type": "webinar", "at": "2026-11-01", "minutes": "ten"}]}]
    leads.sort(key=lambda lead: lead["id"])
    lead_rows, act_rows, texts = [], [], []
    for lead in leads:
        values = {name: _text((lead.get("fields") or {}).get(name)) for name in fields}
        lead_rows.append({"lead_key": lead["id"], "stage": _text(lead.get("stage")), **values})
        acts = []
        for seq, act in enumerate(lead.get("activities") or []):
            record = {"type": _text(act.get("type")), "at": _text(act.get("at")), **{p: _text(act.get(p)) for p in props}}
            act_rows.append({"lead_key": lead["id"], "seq": seq, **record})
            acts.append(record)
        texts.append(json.dumps({"id": lead["id"], "stage": _text(lead.get("stage")), "fields": values, "activities": acts}))
    leads_file, acts_file, mapping = tmp_path / "leads.parquet", tmp_path / "acts.parquet", tmp_path / "names.json"
    pq.write_table(pa.Table.from_pylist(lead_rows), leads_file)
    pq.write_table(pa.Table.from_pylist(act_rows), acts_file)
    mapping.write_text(json.dumps({"id": "lead_key", "lead_id": "lead_key", "order": "seq"}), encoding="utf-8")
    as_text = tmp_path / "leads.jsonl"
    as_text.write_text("\n".join(texts) + "\n", encoding="utf-8")
    return leads_file, acts_file, mapping, as_text


def csv_without_id(path: Path, count: int) -> Path:
    """The first `count` Acme sample leads as a CRM-style CSV with no `id` column (headers
    spelt as exports spell them, activities as indented JSON: quoted cells over several
    lines), then four bad rows: bad activities, a short row, an empty row, an extra cell."""
    import csv

    leads = [json.loads(line) for line in (ROOT / "policies" / "acme.leads.jsonl").read_text(encoding="utf-8").splitlines()[:count]]
    names = sorted({key for lead in leads for key in (lead.get("fields") or {})})
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Stage", "activities", *[name.replace("_", " ").title() for name in names]])
        for lead in leads:
            fields = lead.get("fields") or {}
            writer.writerow([lead.get("stage") or "", json.dumps(lead.get("activities") or [], indent=1),
                             *["" if fields.get(n) is None else str(fields[n]) for n in names]])
        writer.writerows([["", "[1,2", "abc"], ["nowhere"], [], ["", "", "x", *[""] * len(names), "extra"]])
    return path


def whitespace_case() -> Case:
    """Leads whose text, enum and number values are padded with each character Python's
    str.strip() removes (U+0085, U+2028 and U+3000 among them), or with a control character
    that is not whitespace (kept: the value then does not match). Every back end writes the
    set of those characters into its query as code (CHR(n), or an escape), not as themselves."""
    from leadpolicy.backends.sql.fragments import WHITESPACE

    policy = leadpolicy.loads(
        'policy "Padded" version "1"\nfields {\n  email text\n  tier one of (gold, silver)\n  size number\n}\n'
        'stages {\n  lead\n  mql when email ends with "@x.com" and tier = gold and size >= 10\n}\n')
    lines = []
    for number, pad in enumerate(list(WHITESPACE) + ["\x01", "\x7f"]):
        fields = {"email": f"{pad}p@x.com{pad}", "tier": f"{pad}Gold{pad}", "size": f"{pad}12{pad}"}
        lines.append(json.dumps({"id": f"L{number:02d}", "fields": fields}))
    return Case(policy, lines, "2026-11-22T00:00:00Z")
