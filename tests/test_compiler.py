"""Tests for leadpolicy/compiler.py: a checked policy -> one standalone Python module.

What is pinned here (PRODUCT.md "The compiled module", docs/semantics-contract.md):

- acme compiles, and its module passes the two test blocks of LANGUAGE.md section 1;
- the module's contract: evaluate, POLICY_NAME, POLICY_VERSION, SOURCE_SHA256,
  LeadDataError; the decision dict's keys in the contract's order;
- the source is deterministic (same policy, same bytes, whatever the hash seed) and
  pinned by a golden file (LEADPOLICY_UPDATE_GOLDEN=1 rewrites it);
- the module imports only the standard library (checked in an isolated `python -I`);
- untrusted policy text (names, versions, descriptions, enum members, strings) can
  never become code: hostile policies compile into modules that behave as the
  policy means, with no side effect, and Hypothesis throws arbitrary text at it;
- the generated fast paths give exactly the reference interpreter's decision and
  data errors, on plain input and on the input shapes only the runtime reads.
  (tests/test_differential.py does the same on random policies.)
"""

from __future__ import annotations

import ast
import collections
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
import tokenize
import types
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from leadpolicy import PolicyError
from leadpolicy.backends.python.compiler import MODULE_NAMES, MODULE_PREFIXES, CompileError, _lit, compile_policy, load_module
from leadpolicy.semantics import reference
from leadpolicy.semantics.runtime import LeadDataError
from leadpolicy.syntax import nodes
from leadpolicy.syntax.diagnostics import TEXT_DIRECTION_CHARACTERS
from leadpolicy.syntax.parser import parse, quote

ROOT = Path(__file__).resolve().parents[1]
ACME = ROOT / "policies" / "acme.policy"
GOLDEN = ROOT / "tests" / "golden" / "acme_policy.py"
UTC = dt.timezone.utc
AS_OF = dt.datetime(2026, 11, 22, tzinfo=UTC)
DECISION_KEYS = ["policy", "version", "stage", "previous_stage", "change", "engagement", "fit", "grade",
                 "reason", "hits"]
# (decimal and numbers only inside the reader of numbers of other Python types: never for JSON values)
STDLIB_IMPORTS = {"datetime", "json", "math", "re", "time", "collections.abc", "decimal", "numbers"}


def check(tree: nodes.Policy):
    from leadpolicy.check.checker import check as run_checker  # written alongside this module

    return run_checker(tree)


def checked(text: str, path: str = "<memory>") -> nodes.Policy:
    result = check(parse(text, path))
    assert not result.errors, [f"{d.line}:{d.column} {d.code}: {d.message}" for d in result.errors]
    return result.policy


def build(text: str, path: str = "<memory>", name: str = "compiled_under_test"):
    """(resolved tree, generated source, loaded module) for policy text."""
    tree = checked(text, path)
    source = compile_policy(tree, text, path)
    return tree, source, load_module(source, name)


@pytest.fixture(scope="module")
def acme():
    text = ACME.read_text(encoding="utf-8")
    tree, source, module = build(text, "policies/acme.policy", "acme_policy")
    return types.SimpleNamespace(text=text, tree=tree, source=source, module=module)


def outcome(run):
    """("decision", dict, exact JSON) or ("error", field, value, message) of a LeadDataError
    (the library's, or a compiled module's own copy of the class)."""
    try:
        decision = run()
    except ValueError as error:
        if not isinstance(error, LeadDataError) and type(error).__name__ != "LeadDataError":
            raise
        return ("error", error.field, repr(error.value), str(error))
    return ("decision", decision, json.dumps(decision, ensure_ascii=False))


def same_as_reference(tree, module, *args, **kwargs):
    """The compiled module and the reference interpreter agree to the last bit; the outcome."""
    compiled = outcome(lambda: module.evaluate(*args, **kwargs))
    expected = outcome(lambda: reference.evaluate(tree, *args, **kwargs))
    assert compiled == expected
    if compiled[0] == "decision":
        assert list(compiled[1]) == DECISION_KEYS
    return compiled


# ---------------------------------------------------------------- acme and LANGUAGE.md section 1


def _moment(micros: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=micros)


def _raw(value: nodes.TestValue):
    return _moment(value.value) if value.kind in ("date", "timestamp") else value.value


def lead_of(test: nodes.TestBlock) -> dict:
    """A test block's lead as keyword arguments of evaluate (LANGUAGE.md section 9)."""
    as_of = _moment(test.as_of.value)
    activities = []
    for activity in test.activities:
        at = as_of - dt.timedelta(microseconds=activity.ago.micros) if activity.ago else _raw(activity.at)
        record = {"type": activity.activity, "at": at.isoformat()}
        record.update({p.name: _raw(p.value) for p in activity.props})
        activities += [dict(record) for _ in range(activity.count)]
    return {"fields": {f.name: _raw(f.value) for f in test.fields}, "activities": activities,
            "as_of": as_of, "previous_stage": test.previous_stage}


def unmet(test: nodes.TestBlock, decision: dict) -> list:
    hits = {hit["rule"] for hit in decision["hits"]}
    failed = []
    for x in test.expectations:
        if x.kind in ("stage", "change", "grade") and decision[x.kind] != x.value:
            failed.append((x.kind, x.value, decision[x.kind]))
        elif x.kind in ("engagement", "fit") and not {
            "=": round(decision[x.kind], 2) == round(x.value, 2), ">=": decision[x.kind] >= x.value,
            "<=": decision[x.kind] <= x.value, ">": decision[x.kind] > x.value,
            "<": decision[x.kind] < x.value, "!=": round(decision[x.kind], 2) != round(x.value, 2),
        }[x.op]:
            failed.append((x.kind, x.op, x.value, decision[x.kind]))
        elif (x.kind == "hit") != (x.value in hits) and x.kind in ("hit", "no_hit"):
            failed.append((x.kind, x.value))
    return failed


def test_acme_passes_the_section_1_tests(acme):
    tests = acme.tree.tests
    assert [t.name for t in tests] == [
        "A VP at a SaaS company who asked for a demo is sales qualified", "A quiet SQL falls back to MQL"]
    first, second = (acme.module.evaluate(**lead_of(test)) for test in tests)
    for test, decision in zip(tests, (first, second)):
        assert unmet(test, decision) == []

    assert (first["stage"], first["change"], first["fit"], first["engagement"], first["grade"]) == (
        "sql", "new", 60.0, 160.0, "B")
    assert first["reason"] == {"kind": "qualified", "stage": "sql", "rule": None}
    assert first["hits"] == [
        {"section": "engagement", "rule": "Visited pricing", "points": 60.0, "count": 3},
        {"section": "engagement", "rule": "Requested a demo", "points": 100.0, "count": 1},
        {"section": "fit", "group": "authority", "rule": "Decision maker", "points": 25.0},
        {"section": "fit", "group": "need", "rule": "Target industry", "points": 20.0},
        {"section": "fit", "group": "need", "rule": "Mid-market or larger", "points": 15.0},
    ]
    assert (second["stage"], second["change"], second["engagement"], second["fit"]) == ("lead", "demoted", 15.0, 60.0)
    assert second["reason"] == {"kind": "demoted", "stage": "lead", "rule": "Engagement faded"}
    assert second["previous_stage"] == "sql"


def test_acme_section_1_tests_match_the_reference(acme):
    for test in acme.tree.tests:
        kind, decision, *_ = same_as_reference(acme.tree, acme.module, **lead_of(test))
        assert kind == "decision"


def test_module_contract(acme):
    module = acme.module
    assert module.POLICY_NAME == "Acme Cloud handoff"
    assert module.POLICY_VERSION == "2026.11.1"
    import hashlib

    assert module.SOURCE_SHA256 == hashlib.sha256(acme.text.encode("utf-8")).hexdigest()
    assert issubclass(module.LeadDataError, ValueError)
    assert set(module.__all__) == {"evaluate", "LeadDataError", "POLICY_NAME", "POLICY_VERSION", "SOURCE_SHA256"}
    decision = module.evaluate({})
    assert list(decision) == DECISION_KEYS
    assert decision["stage"] == "lead" and decision["change"] == "new" and decision["grade"] == "D"
    with pytest.raises(module.LeadDataError) as info:
        module.evaluate({"budget": "lots"}, lead_id="L-1")
    assert (info.value.field, info.value.value, info.value.lead_id) == ("budget", "lots", "L-1")


def test_module_is_readable(acme):
    source = acme.source
    docstring = ast.get_docstring(ast.parse(source))
    assert "generated by leadpolicy" in docstring
    assert "'Acme Cloud handoff'" in docstring and "'2026.11.1'" in docstring
    assert acme.module.SOURCE_SHA256 in docstring
    assert "leadpolicy/semantics/runtime.py), embedded verbatim" in source
    runtime = (ROOT / "leadpolicy" / "semantics" / "runtime.py").read_text(encoding="utf-8")
    assert runtime in source
    for rule in ("'Read a blog post'", "'Requested a demo'", "'Three of four BANT signals'", "'Went quiet'"):
        assert f"# line {_line_of(acme.text, rule[1:-1])} {rule}" in source, rule
    assert "def evaluate(fields, activities=(), as_of=None, previous_stage=None, lead_id=None):" in source
    # BANT's `at least 3 of` reuses the locals of the fit rules it repeats
    assert "    if fit_1 + fit_2 + fit_4 + fit_6 >= 3:\n" in source


def _line_of(text: str, rule: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if f'"{rule}"' in line)


# ---------------------------------------------------------------- determinism and the golden file


def test_compiling_twice_gives_the_same_bytes(acme):
    again = compile_policy(checked(acme.text, "policies/acme.policy"), acme.text, "policies/acme.policy")
    assert again == acme.source
    assert compile_policy(acme.tree, acme.text, "policies/acme.policy") == acme.source


def test_the_source_does_not_depend_on_the_hash_seed(acme, tmp_path):
    script = (
        "import sys; from pathlib import Path\n"
        "from leadpolicy.syntax.parser import parse\nfrom leadpolicy.check.checker import check\n"
        "from leadpolicy.backends.python.compiler import compile_policy\n"
        "text = Path(sys.argv[1]).read_text(encoding='utf-8')\n"
        "sys.stdout.write(compile_policy(check(parse(text)).policy, text, 'policies/acme.policy'))\n"
    )
    outputs = set()
    for seed in ("1", "2", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
        run = subprocess.run([sys.executable, "-c", script, str(ACME)], env=env, capture_output=True,
                             check=True, cwd=tmp_path)
        outputs.add(run.stdout)
    assert outputs == {acme.source.encode("utf-8")}


def test_golden_acme_module(acme, golden):
    golden(GOLDEN, acme.source)


# ---------------------------------------------------------------- standard library only


def test_module_imports_only_the_standard_library(acme):
    tree = ast.parse(acme.source)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0
            imported.add(node.module)
    assert imported <= STDLIB_IMPORTS
    assert all(name.split(".")[0] in sys.stdlib_module_names for name in imported)


def test_module_runs_in_an_isolated_interpreter_without_leadpolicy(acme, tmp_path):
    (tmp_path / "acme_policy.py").write_text(acme.source, encoding="utf-8")
    lead = lead_of(acme.tree.tests[0])
    lead["as_of"] = lead["as_of"].isoformat()
    (tmp_path / "lead.json").write_text(json.dumps(lead), encoding="utf-8")
    script = (
        "import sys, json; before = set(sys.modules)\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "import acme_policy\n"
        f"lead = json.load(open({str(tmp_path / 'lead.json')!r}))\n"
        "decision = acme_policy.evaluate(**lead)\n"
        "new = sorted(set(sys.modules) - before - {'acme_policy'})\n"
        "print(json.dumps({'decision': decision, 'new': new, 'leadpolicy': 'leadpolicy' in sys.modules,\n"
        "                  'stdlib': sorted(sys.stdlib_module_names)}))\n"
    )
    run = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, cwd=tmp_path,
                         env={"PATH": os.environ.get("PATH", "")})
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["leadpolicy"] is False
    stdlib = set(report["stdlib"])
    assert all(name.split(".")[0] in stdlib or name.startswith("_") for name in report["new"]), report["new"]
    assert report["decision"]["stage"] == "sql" and report["decision"]["engagement"] == 160.0


# ---------------------------------------------------------------- untrusted policy text

HOSTILE = [
    '"', "'", "\\", '\\"', "\\\\", '"""', "'''", "'\"'\"\"\"",
    "line\u2028break", "para\u2029break", "next\x85line", "form\x0cfeed", "vertical\x0btab",
    "file\x1cgroup\x1drecord\x1eunit\x1fend", "nul\x00byte", "bell\x07 esc\x1b[31m", "tab\there",
    "__import__('os').system('echo PWNED')",
    "'); __import__('os').system('echo PWNED'); ('",
    '"""); import os; os.system("echo PWNED"); ("""',
    "\\'; exec(\"print(1)\")  # x",
    "{{ 7 * 7 }}", "{% for x in range(3) %}x{% endfor %}", "{# jinja comment #}", "{%- raw -%}",
    "${HOME} %s %(name)s {0} {name!r}",
    "# not a comment", "#!/bin/sh", "\\u2028 written as text", "\\N{BULLET}",
    "ｅｖａｌ(ｘ)", "Аcme (Cyrillic A)", "\u200fevil\u200e",  # marks; the overrides (U+202E) are refused by the parser (test_parser)
    "\ufeffbom", "zero\u200bwidth", "é composed e\u0301",
    "emoji 🎯 lead", "🔥" * 20, "x" * 500,
]


def hostile_policy(h: str, sentinel: Path) -> str:
    """A policy whose every piece of user text is `h` (or carries it), plus one string
    that would touch `sentinel` if any text were ever run as code."""
    attack = f"__import__('pathlib').Path({str(sentinel)!r}).touch()"
    q = quote
    triple = '"' * 3
    return f"""
policy {q(h)} version {q(h + " v1")}
owner marketing {q(h)}
owner sales {q(attack)}

fields {{
  note    text                                     {q(h)}
  status  one of (open, {q(h)}, {q("closed " + h)}) {q(attack)}
  size    number                                   {q(h + triple)}
}}

activities {{
  visit (label text) {q(h)}
  ping
}}

stages {{
  lead {q(h)}
  warm {q(attack)} when engagement >= 5 or fit >= 10
  hot  {q(h + " hot")} when warm and did visit where label = {q(h)} within 7 days
}}

engagement {{
  {q(h)}: +5 per visit where label = {q(h)} or label contains {q(attack)}
  {q(h + " ping")}: -2 per ping within 30 days max 4
  decay 50% every 30 days
}}

fit {{
  group_a {{
    {q(h + " fit")}: +10 when note contains {q(h)}
    {q(attack)}: +1 when note = {q(attack)}
  }}
  {q(h + " status")}: +3 when status = {q(h)}
  {q(h + " size")}: +2 when size >= 10 and status != {q("closed " + h)}
}}

grades {{
  A when fit >= 10
  B otherwise
}}

demote {{
  {q(h + " demote")}: hot -> lead when engagement < 0
}}

disqualify {{
  {q(h + " dq")}: when note = {q(h + " out")}
}}
"""


CALLS_NEVER_MADE = {"__import__", "eval", "exec", "compile", "open", "system", "popen", "getattr", "setattr",
                    "globals", "locals", "vars", "breakpoint", "input", "exit", "quit"}


def assert_safe_source(source: str) -> None:
    """Nothing in the source runs anything the compiler did not write itself."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                assert func.id not in CALLS_NEVER_MADE, ast.dump(node)[:200]
            if isinstance(func, ast.Attribute):
                assert func.attr not in {"system", "popen", "touch", "unlink", "spawn"}, ast.dump(node)[:200]
                assert not (isinstance(func.value, ast.Name) and func.value.id in {"os", "subprocess", "sys"})
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = {alias.name for alias in node.names} if isinstance(node, ast.Import) else {node.module}
            assert names <= STDLIB_IMPORTS, names
    # Module level: only imports, definitions and assignments to names the compiler owns.
    runtime_names = _top_level_names((ROOT / "leadpolicy" / "semantics" / "runtime.py").read_text(encoding="utf-8"))
    for node in tree.body[1:]:
        assert isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign,
                                 ast.AnnAssign)), ast.dump(node)[:200]
        for name in _defined(node):
            assert name in runtime_names or name in MODULE_NAMES or name.startswith(MODULE_PREFIXES), name
    # No line break but "\n" anywhere: repr() escaped every other kind.
    assert len(source.splitlines()) == source.count("\n")
    assert "\r" not in source
    # Comments are printable ASCII.
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            assert all(" " <= c <= "~" for c in token.string), token


def _defined(node) -> list:
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)] + [
            "<not a name>" for t in node.targets if not isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign):
        return [node.target.id]
    if isinstance(node, ast.Import):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    if isinstance(node, ast.ImportFrom):
        return [a.asname or a.name for a in node.names]
    return []


def _top_level_names(text: str) -> set:
    names = set()
    for node in ast.parse(text).body:
        names.update(_defined(node))
    return names


@pytest.mark.parametrize("h", HOSTILE, ids=[ascii(h)[:40] for h in HOSTILE])
def test_hostile_text_stays_data(h, tmp_path):
    sentinel = tmp_path / "PWNED"
    text = hostile_policy(h, sentinel)
    tree, source, module = build(text, path=f"hostile {h}.policy")
    assert_safe_source(source)
    assert module.POLICY_NAME == h and module.POLICY_VERSION == h + " v1"

    # A lead that makes every rule fire that can, with the hostile texts as its data.
    attack = f"__import__('pathlib').Path({str(sentinel)!r}).touch()"
    visits = [{"type": "visit", "at": "2026-11-20T09:00:00Z", "label": h},
              {"type": "visit", "at": "2026-11-21T09:00:00Z", "label": "x" + attack + "x"}]
    pings = [{"type": "PING", "at": "2026-11-21T00:00:00Z"}]
    leads = [
        dict(fields={"note": "[" + h + "]", "status": h, "size": 12}, activities=visits + pings),
        dict(fields={"note": attack, "status": "closed " + h, "size": "40"}, activities=pings * 3,
             previous_stage="hot"),
        dict(fields={"note": h + " out", "status": "open"}, activities=visits, previous_stage="warm"),
        dict(fields={"status": h.upper()}, activities=[]),
    ]
    for lead in leads:
        kind, decision, *_ = same_as_reference(tree, module, **lead, as_of=AS_OF, lead_id=h)
        if kind == "decision":
            assert decision["policy"] == h
            for hit in decision["hits"]:
                assert hit["rule"] in {r.name for r in tree.engagement_rules + tree.fit_rules}
    first = module.evaluate(**leads[0], as_of=AS_OF)
    fired = [hit["rule"] for hit in first["hits"]]
    assert h in fired and h + " ping" in fired and h + " status" in fired
    if h.strip() and h.lower() in ("[" + h + "]").strip().lower():
        assert h + " fit" in fired
    second = module.evaluate(**leads[1], as_of=AS_OF)
    assert attack in [hit["rule"] for hit in second["hits"]]
    assert module.evaluate(**leads[2], as_of=AS_OF)["reason"] == {
        "kind": "disqualified", "stage": "disqualified", "rule": h + " dq"}
    assert not sentinel.exists()


def test_hostile_path_and_names_stay_out_of_the_code(tmp_path):
    h = "\n\"\"\"\nimport os; os.system('echo PWNED')\n#"
    text = hostile_policy("ok", tmp_path / "PWNED")
    tree = checked(text)
    source = compile_policy(tree, text, path=h)
    assert_safe_source(source)
    module = load_module(source, "hostile_path")
    assert module.evaluate({})["policy"] == "ok"


# Text the language accepts inside a string literal: anything but a raw line break
# (a `"` or `\` is written escaped, by `quote`).
literal_text = st.text(st.characters(blacklist_characters="\n\r" + TEXT_DIRECTION_CHARACTERS, blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=literal_text, rule=literal_text, literal=literal_text, member=literal_text)
def test_any_text_compiles_and_round_trips_as_data(name, rule, literal, member):
    assume(member.lower() != "open")
    text = f"""
policy {quote(name)} version {quote(literal)}
fields {{
  note text {quote(literal)}
  status one of (open, {quote(member)})
}}
stages {{
  lead {quote(rule)}
  won when fit > 0
}}
fit {{
  {quote(rule)}: +1 when note contains {quote(literal)}
  {quote(rule + " member")}: +2 when status = {quote(member)}
}}
"""
    result = check(parse(text))
    assume(not result.errors)
    tree = result.policy
    source = compile_policy(tree, text, name)
    assert_safe_source(source)
    module = load_module(source, "any_text")
    assert (module.POLICY_NAME, module.POLICY_VERSION) == (name, literal)
    note = "x" + literal + "x"
    kind, decision, *_ = same_as_reference(tree, module, {"note": note, "status": member}, as_of=AS_OF)
    # The runtime trims and lower-cases the data; the member matches when that gives its own text.
    reads_as_member = member.strip() != "" and member.strip().lower() == member.lower()
    if reads_as_member:
        assert kind == "decision"
    if kind == "decision":
        fired = {hit["rule"]: hit["points"] for hit in decision["hits"]}
        assert (rule in fired) == (literal.lower() in note.strip().lower())
        assert (rule + " member" in fired) == reads_as_member
        assert decision["policy"] == name and decision["version"] == literal


# ---------------------------------------------------------------- the fast paths equal the runtime


def test_plain_and_messy_input_agree_with_the_reference(acme):
    acts = [
        {"type": "page_view", "at": "2026-11-20T09:00:00Z", "path": "/pricing"},
        {"type": "Page_View ", "at": "2026-10-23T00:00:00Z", "path": " /PRICING "},  # exactly 30 days
        {"type": "page_view", "at": "2026-10-22T23:59:59.999999Z", "path": "/pricing"},
        {"type": "page_view", "at": "2026-08-24", "path": "/blog/a"},  # a date: midnight UTC
        {"type": "page_view", "at": "2026-11-21T10:00:00+02:00", "path": "/blog/b"},
        {"type": "page_view", "at": "2026-11-21 10:00", "path": "/blog/c"},  # no zone: UTC
        {"type": "form_submit", "at": "2026-11-23T00:00:00Z", "form": "demo"},  # after as_of
        {"type": "form_submit", "at": dt.datetime(2026, 11, 10, 12), "form": "DEMO"},
        {"type": "form_submit", "at": dt.date(2026, 6, 1), "form": "ebook"},
        {"type": "webinar", "at": "2026-09-01T00:00:00Z", "minutes": "45", "title": 7},
        {"type": "webinar", "at": "2026-09-01T00:00:00Z", "minutes": " ", "title": None},
        {"type": "unsubscribe", "at": "2025-01-01T00:00:00Z"},
        {"type": " CHAT", "at": "2026-11-21T23:00:00-01:00"},
        {"type": "email_open", "at": "not a time", "anything": ["goes"]},
    ]
    fields = [
        {},
        {"email": " Pat@Gmail.COM ", "seniority": " VP ", "company_size": "1500", "industry": "SaaS",
         "budget": 2e4, "timeline_days": 30, "sales_status": "  Accepted ", "is_customer": " no ",
         "created": "2025-01-01"},
        {"email": 12345, "seniority": "cxo", "company_size": 800, "budget": "1e4", "timeline_days": "90.0",
         "is_customer": 0, "created": dt.date(2026, 1, 1), "sales_status": ""},
        {"email": "", "seniority": " ", "company_size": 10 ** 400, "budget": -0.0, "is_customer": 1},
        {"email": "x@rival.example"},
        {"is_customer": "YES"},
    ]
    for previous in (None, "sql", " MQL ", "lead", "disqualified", "", "Disqualified"):
        for values in fields:
            for activities in (acts, acts[:3], tuple(acts), (), None):
                for as_of in (AS_OF, "2026-11-22", dt.datetime(2026, 11, 22, 1), "2026-11-22T00:00:00+05:00",
                              dt.date(2026, 11, 22)):
                    same_as_reference(acme.tree, acme.module, values, activities, as_of, previous, "L-7")


def test_input_only_the_runtime_reads_agrees_with_the_reference(acme):
    acts = [{"type": "page_view", "at": "2026-11-20T09:00:00Z", "path": "/pricing"},
            {"type": "form_submit", "at": " 2026-11-20T09:00:00Z ", "form": "demo"},  # padded time
            {"type": "chat", "at": "2026-11-21T00:00:00Z"}]
    fields = {"seniority": "vp", "industry": "saas", "company_size": 800}
    expected = same_as_reference(acme.tree, acme.module, fields, acts, AS_OF)
    assert expected[1]["stage"] == "sql" and expected[1]["engagement"] == 120.0
    shapes = [  # each call gets its own, since an iterator is used up by one evaluation
        lambda: (collections.OrderedDict(fields), iter(acts)),
        lambda: (types.MappingProxyType(fields), (a for a in acts)),
        lambda: (fields, [collections.OrderedDict(a) for a in acts]),
        lambda: (fields, collections.deque(acts)),
        lambda: (None, acts[:1] + [dict(acts[1], at=dt.datetime(2026, 11, 20, 9))] + acts[2:]),
    ]
    for make in shapes:
        compiled = outcome(lambda: acme.module.evaluate(*make(), AS_OF))
        assert compiled == outcome(lambda: reference.evaluate(acme.tree, *make(), AS_OF))
        if make()[0] is not None:
            assert compiled == expected


@pytest.mark.parametrize("lead", [
    dict(fields={"budget": "lots"}),
    dict(fields={"seniority": "chief"}),
    dict(fields={"is_customer": "maybe"}),
    dict(fields={"created": "yesterday"}),
    dict(fields={"email": 2.5}),
    dict(fields={"budget": float("nan")}),
    dict(fields={"budget": True}),
    dict(fields=["not", "an", "object"]),
    dict(fields={}, activities=[{"type": "page_view"}]),
    dict(fields={}, activities=[{"type": "page_view", "at": "  "}]),
    dict(fields={}, activities=[{"type": "page_view", "at": "2026-13-01"}]),
    dict(fields={}, activities=[{"type": " ", "at": "2026-11-01"}]),
    dict(fields={}, activities=[{"at": "2026-11-01"}]),
    dict(fields={}, activities=[{"type": 3, "at": "2026-11-01"}]),
    dict(fields={}, activities=["page_view"]),
    dict(fields={}, activities="page_view"),
    dict(fields={}, activities={"type": "page_view"}),
    dict(fields={}, activities=[{"type": "webinar", "at": "2026-12-30T00:00:00Z", "minutes": "long"}]),
    dict(fields={}, activities=[{"type": "page_view", "at": "2026-11-01", "path": "/x"},
                                {"type": "webinar", "at": "2026-11-01", "minutes": [20]}]),
    dict(fields={"budget": "lots"}, activities=[{"type": "page_view"}], previous_stage="nowhere"),
    dict(fields={}, previous_stage="nowhere"),
    dict(fields={}, previous_stage=3),
])
def test_data_errors_are_the_runtimes(acme, lead):
    kind, *error = same_as_reference(acme.tree, acme.module, **lead, as_of=AS_OF, lead_id="L-9")
    assert kind == "error", error


def test_a_huge_history_gives_exact_decayed_sums(acme):
    acts = [{"type": "page_view", "at": (AS_OF - dt.timedelta(days=d, seconds=s)).isoformat(), "path": p}
            for d in range(0, 400, 3) for s in (0, 1) for p in ("/blog/x", "/pricing", "/")]
    acts += [{"type": "unsubscribe", "at": (AS_OF - dt.timedelta(days=d)).isoformat()} for d in range(0, 9000, 7)]
    acts += [{"type": "webinar", "at": (AS_OF - dt.timedelta(days=d)).isoformat(), "minutes": d % 40}
             for d in range(0, 3000, 11)]
    kind, decision, *_ = same_as_reference(acme.tree, acme.module, {}, acts, AS_OF)
    assert kind == "decision" and decision["engagement"] != 0


# ---------------------------------------------------------------- semantics on small policies

SMALL = {
    "missing values": """
policy "m" version "1"
fields { budget number  size number  flag boolean  kind one of (a, b, "c d")  email text  created date }
stages { lead  big when budget * 2 + size > 100 or -budget < -50 }
fit {
  "ne":      +1 when budget != 5
  "not":     +2 when not budget >= 10
  "in":      +4 when kind in (a, "c d")
  "not in":  +8 when kind not in (b)
  "flag":    +16 when flag
  "no flag": +32 when not flag
  "missing": +64 when email is missing and size is present
  "arith":   +128 when budget - size >= 0
  "arith ne": +256 when budget * size != 6
  "days":    +512 when days since created >= 30
  "at least": +1024 when at least 2 of (budget >= 1, size >= 1, flag, email ends with "x")
  "ordered": +2048 when kind >= b
  "dates":   -1 when created < 2026-01-01T12:00:00Z
}
grades { A when fit >= 100  B when fit >= 10 }
""",
    "fit before engagement, hours": """
policy "h" version "1"
fields { score number }
activities { tap (n number) "a tap" }
stages { lead  mid when engagement > 1  top when mid and grade = A }
fit { "positive": +1.5 when score > 0  "zero": +0 when score = 0 }
engagement {
  "taps": +0.1 per tap where n > 0 within 36 hours
  "old taps": -0.3 per tap where n <= 0 or n is missing max 0.5
  decay 10% every 7 hours
}
grades { A when engagement + fit > 1  C otherwise }
demote { "down": top -> lead when no tap within 2 hours  "down2": mid -> lead when did tap at least 3 times }
disqualify { "neg": when score < -10 }
""",
    "no scores": """
policy "bare" version "1"
fields { s text }
activities { x  y (k one of (p, q)) }
stages { first  second when did activity within 1 week  third when second and no y where k = q }
demote {
  "fall": third -> first when s = "z"
  "fall2": third -> second when s contains "y"
  "drop": second -> first when true
}
""",
}


@pytest.mark.parametrize("name", list(SMALL))
def test_small_policies_agree_with_the_reference(name):
    from support.leadgen import leads_for  # tests/leadgen.py: messy CRM-style leads for a policy

    tree, source, module = build(SMALL[name])
    assert_safe_source(source)

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(lead=leads_for(tree))
    def agree(lead):
        same_as_reference(tree, module, **lead)

    agree()


def test_hits_come_in_file_order_when_fit_comes_first():
    tree, _, module = build(SMALL["fit before engagement, hours"])
    lead = ({"score": 3}, [{"type": "tap", "at": "2026-01-01T23:00:00Z", "n": 1},
                           {"type": "tap", "at": "2025-12-01", "n": 0}], dt.datetime(2026, 1, 2, tzinfo=UTC))
    decision = module.evaluate(*lead)
    assert [hit["rule"] for hit in decision["hits"]] == ["positive", "taps", "old taps"]
    assert decision == reference.evaluate(tree, *lead)


def test_windows_longer_than_the_calendar_agree_with_the_reference():
    # as_of minus 140,000 weeks (about 2,700 years, near the parser's limit) is before
    # year 1: the module scores such leads the runtime's way, with integer ages
    tree, _, module = build("""
policy "long" version "1"
activities { a (n number) }
stages { s  t when did a within 140000 weeks }
engagement { "r": +1.5 per a where n > 1 within 106000 weeks  decay 25% every 10000 weeks }
""")
    for at in ("0001-01-01T00:00:00+05:00", "0001-01-02", "1999-12-31T23:59:59Z", "2026-11-21"):
        for n in (2, "3", 0):
            same_as_reference(tree, module, {}, [{"type": "a", "at": at, "n": n}] * 3, AS_OF)
    with pytest.raises(PolicyError, match="longer than any lead's history"):
        checked('policy "p" version "1"\nactivities { a }\n'
                'stages { s  t when did a within 99999999999 weeks }\n')


# ---------------------------------------------------------------- the compiler's own errors and literals


def test_an_unchecked_tree_is_refused():
    tree = parse('policy "p" version "1"\nfields { a number }\nstages { s  t when a > 1 }\n')
    with pytest.raises(CompileError, match="not resolved"):
        compile_policy(tree, "", "<memory>")
    with pytest.raises(CompileError):
        compile_policy("not a tree", "", "<memory>")


def test_literals():
    assert _lit(1e999) == "1e999" and eval(_lit(-1e999)) == -1e999  # noqa: S307 - a test of a literal
    assert _lit(0.1) == "0.1" and _lit(-0.0) == "-0.0" and _lit(10_000.0) == "10000.0"
    assert _lit(("a", 1, ("b",))) == "('a', 1, ('b',))"
    assert _lit("\u2028'\"") == "'\\u2028\\'\"'"
    with pytest.raises(CompileError):
        _lit(float("nan"))
    with pytest.raises(CompileError):
        _lit(object())

    class Sneaky(str):
        def __repr__(self):
            return "__import__('os')"

    assert _lit(Sneaky("x")) == "'x'"


def test_load_module_gives_a_fresh_module_each_time(acme):
    one = load_module(acme.source, "one")
    two = load_module(acme.source, "one")
    assert one is not two and one.evaluate is not two.evaluate
    assert "one" not in sys.modules


# ---------------------------------------------------------------- timestamps: one syntax (LANGUAGE.md section 8)

TIMES = """
policy "times" version "1"
fields { d date }
activities { a }
stages { s  t when did a within 3 days  u when days since d < 400 }
engagement { "r": +1.5 per a within 30 days  decay 10% every 1 day }
"""


def _two_digits(low: int, high: int):
    return st.integers(low, high).map(lambda v: f"{v:02d}")


# Timestamps built from the pieces of the syntax, in range and just out of it, and
# with near-miss separators, fractions, zones and padding.
timestamp_texts = st.builds(
    lambda year, month, day, time, pad_left, pad_right: pad_left + f"{year}-{month}-{day}" + time + pad_right,
    year=st.one_of(st.integers(0, 9999).map(lambda v: f"{v:04d}"), st.sampled_from(["2026", "1970", "999", "20260"])),
    month=st.one_of(_two_digits(1, 12), st.sampled_from(["00", "13", "1"])),
    day=st.one_of(_two_digits(1, 31), st.sampled_from(["00", "32", "2"])),
    time=st.one_of(
        st.just(""),
        st.builds(
            lambda sep, hour, minute, second, fraction, zone: sep + hour + ":" + minute + second + fraction + zone,
            sep=st.sampled_from(["T", "t", " ", "  ", "_", ""]),
            hour=st.one_of(_two_digits(0, 23), st.sampled_from(["24", "25", "1"])),
            minute=st.one_of(_two_digits(0, 59), st.sampled_from(["60", "5"])),
            second=st.one_of(st.just(""), _two_digits(0, 59).map(lambda v: ":" + v), st.just(":60")),
            fraction=st.one_of(st.just(""), st.text("0123456789", min_size=0, max_size=11).map(lambda v: "." + v)),
            zone=st.one_of(
                st.just(""),
                st.builds(lambda space, z: space + z, space=st.sampled_from(["", " ", "  "]),
                          z=st.one_of(
                              st.sampled_from(["Z", "z", "UTC", "+", "+5", "+053"]),
                              st.builds(lambda sign, h, sep, m: sign + h + sep + m,
                                        sign=st.sampled_from(["+", "-"]),
                                        h=st.one_of(_two_digits(0, 23), st.sampled_from(["24", "99"])),
                                        sep=st.sampled_from([":", ""]),
                                        m=st.one_of(st.just(""), _two_digits(0, 59), st.just("60")))))),
        ),
    ),
    pad_left=st.sampled_from(["", "", " ", "\t"]),
    pad_right=st.sampled_from(["", "", " ", "\n"]),
)


@pytest.fixture(scope="module")
def times_policy():
    tree, _, module = build(TIMES)
    return tree, module


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(text=st.one_of(timestamp_texts, st.text(max_size=30)))
def test_timestamp_text_reads_the_same_compiled_and_in_the_reference(times_policy, text):
    tree, module = times_policy
    as_of = "2026-11-22T10:00:00Z"
    same_as_reference(tree, module, {"d": text}, [], as_of)
    same_as_reference(tree, module, {}, [{"type": "a", "at": text}], as_of)
    same_as_reference(tree, module, {}, [{"type": "a", "at": text}] * 2, "9999-12-31T23:59:59.999999")
    same_as_reference(tree, module, {"d": "2026-01-01"}, [{"type": "a", "at": "2026-11-20"}], text)


@pytest.mark.parametrize("text", [
    "2026-11-21", "2026-11-21T10:30", "2026-11-21t10:30:05", "2026-11-21 10:30:05.123456789",
    "2026-11-21T10:30:00 Z", "2026-11-21T10:30:00z", "2026-11-21T10:30:00+0530", "2026-11-21T10:30:00-02",
    "2026-11-21T10:30:00+23:59", " 2026-11-21T10:30:00Z\n", "0001-01-01T00:00+01:00",
    # rejected: data errors in both
    "2026-W47-1", "20261120T103000Z", "2026-11-22T10", "2026-11-22T24:00", "2026-02-30", "2026-326",
    "2026-11-22T10:30:00+24:00", "2026-11-22T10:30:00.1234567890", "2026-11-22Z",
])
def test_each_timestamp_form_compiled_as_in_the_reference(times_policy, text):
    rejected = ("2026-W47-1", "20261120T103000Z", "2026-11-22T10", "2026-11-22T24:00", "2026-02-30", "2026-326",
                "2026-11-22T10:30:00+24:00", "2026-11-22T10:30:00.1234567890", "2026-11-22Z")
    _same_for_timestamp(times_policy, text, text.strip() not in rejected)


@pytest.mark.parametrize("text", [
    # 19 and 20 characters with the punctuation of the fast path (helpers._PLAIN_SHAPES)
    "2026-11-21T10:00:0Z", "2026-11-21T10:00:00z", "2026-11-21t10:00:00", "2026-11-21 10:00:00Z",
    "2026-11-21T23:59:60", "2026-11-21T24:00:00", "2026-11-21T10:00:00+", "2026-11-21T10:00:00 ",
    "2026-11-21T1a:00:00", "2026-11-21T10:00:0a", "2026-11-21T1:00:000", "2026-02-29T10:00:00Z",
    "2026-11-21T10:00:", "2026-11-21T10:00:0", "2026-11-21T10:00:00.", "+026-11-21T10:00:00",
    "2026-11-21T10:00:00Z\n", "2026-11-21T10:00:00\u00a0",
])
def test_the_fast_timestamp_check_agrees_with_the_runtime(times_policy, text):
    _same_for_timestamp(times_policy, text)


def _same_for_timestamp(times_policy, text, accepted=None):
    """Compiled and reference agree on `text` as a date field, an activity time and
    as_of; and accept it exactly when the runtime's reader does (or `accepted` says)."""
    from leadpolicy.semantics.runtime import instant_micros

    tree, module = times_policy
    if accepted is None:
        accepted = instant_micros(text.strip()) is not None
    as_of = "2026-11-22T10:00:00Z"
    for lead in (({"d": text}, [], as_of), ({}, [{"type": "a", "at": text}], as_of),
                 ({}, [{"type": "a", "at": "2026-11-20"}], text)):
        result = same_as_reference(tree, module, *lead)
        assert (result[0] == "decision") == accepted, (text, result)


def test_numbers_of_other_python_types_decide_as_their_json(acme):
    """A service's Decimal (a database driver's NUMERIC) or Fraction in a number field was a data
    error; the compiled module (its embedded runtime) and the reference read it as the number it
    holds, and the lead is decided as the same lead in JSON is (test_runtime.py has the reading)."""
    import decimal
    import fractions

    as_json = same_as_reference(acme.tree, acme.module, {"company_size": 800, "budget": 20000, "timeline_days": 30},
                                as_of="2026-11-22T00:00:00Z")
    typed = same_as_reference(acme.tree, acme.module, {"company_size": decimal.Decimal("800"), "budget": decimal.Decimal("2E+4"),
                                                       "timeline_days": fractions.Fraction(30)}, as_of="2026-11-22T00:00:00Z")
    assert typed == as_json and typed[0] == "decision"


# ---------------------------------------------------------------- the sections as named functions

SECTIONS = """
policy "sections" version "1"
fields { budget number  created date  role one of (a, b) }
activities { visit }
stages { lead  warm when fit >= 10  hot when warm and did visit at least 2 times within 30 days }
fit {
  "big": +10 when budget >= 100
  "new": +5 when days since created < 30
  "both": +1 when at least 2 of (budget >= 100, days since created < 30)
}
grades { A when budget >= 100 and role = a  B otherwise }
demote { "cool": hot -> lead when not warm  "cold": warm -> lead when grade = B }
disqualify { "rival": when role = b and hot }
"""
SECTION_FUNCTIONS = ("_fit", "_grade", "_qualified_stage", "_outcome")


def test_sections_are_functions_defined_once_and_called_from_both_entries(acme):
    """The sections after the activity loop are module-level functions, each with a
    docstring citing its policy line, called from `_decide` and `_decide_many` alike."""
    tree = ast.parse(acme.source)
    defined = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    names = [node.name for node in defined]
    by_name = {node.name: node for node in defined}
    for name in SECTION_FUNCTIONS:
        assert names.count(name) == 1, name
        assert re.search(r"\(line \d+\)", ast.get_docstring(by_name[name]) or ""), name
        for entry in ("_decide", "_decide_many"):
            called = {node.func.id for node in ast.walk(by_name[entry])
                      if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
            assert name in called, (entry, name)
    decide = ast.get_source_segment(acme.source, by_name["_decide"]) or ""
    assert "fit = 0.0" not in decide and "'Competitor'" not in decide and "is_mql =" not in decide
    fit = ast.get_source_segment(acme.source, by_name["_fit"]) or ""
    assert f"# line {_line_of(acme.text, 'Decision maker')} 'Decision maker'" in fit


def test_sections_hand_on_the_locals_later_sections_read():
    """A fit rule's local that a grade band repeats and the stage entry conditions a demotion
    and a disqualification name are returned by the section that sets them."""
    tree, source, module = build(SECTIONS)
    assert_safe_source(source)
    assert "fit, fit_1 = _fit(f_budget, f_created, now, hits)" in source  # fit_2: read in _fit alone
    assert "def _grade(fit_1, f_role):" in source
    assert "qualified, is_warm, is_hot = _qualified_stage(" in source
    assert "def _outcome(previous, qualified, engagement, fit, grade, hits, f_role, is_hot, is_warm):" in source
    visits = [{"type": "visit", "at": "2026-11-10"}, {"type": "visit", "at": "2026-11-11"}]
    for budget in (None, 50, 100, "250"):
        for created in (None, "2026-11-01", "2025-01-01"):
            for role in (None, "a", "B"):
                for activities in ((), visits):
                    for previous in (None, "lead", "warm", "hot", "disqualified"):
                        same_as_reference(tree, module, {"budget": budget, "created": created, "role": role},
                                          activities, AS_OF, previous)
        batch = list(module._decide_many([{"fields": {"budget": budget}, "activities": visits, "stage": "hot"}],
                                         AS_OF))
        assert batch == [module.evaluate({"budget": budget}, visits, AS_OF, "hot")]


NAMED_LEAD_ERRORS = (
    {"fields": {"budget": "lots"}},
    {"fields": {}, "previous_stage": "nope"},
    {"fields": {}, "activities": [{"type": "chat"}]},
    {"fields": {}, "activities": [{"type": "webinar", "at": "2026-11-01", "minutes": "long"}]},
    {"fields": "not an object"},
)


@pytest.mark.parametrize("call", NAMED_LEAD_ERRORS, ids=["field", "previous-stage", "no-time", "property", "fields"])
def test_lead_data_error_names_the_lead_in_library_and_module(acme, call) -> None:
    """PRODUCT: LeadDataError names the lead: `str()` starts with it, and `lead` is `lead_id` (the
    public name, kept), in the compiled module as in the library."""
    import leadpolicy

    module = acme.module
    library = leadpolicy.load(str(ACME))
    for evaluate, error_type in ((module.evaluate, module.LeadDataError), (library.evaluate, LeadDataError)):
        with pytest.raises(error_type) as caught:
            evaluate(as_of="2026-11-22", lead_id="L-7", **call)
        assert str(caught.value).startswith("lead L-7: ")
        assert caught.value.lead_id == caught.value.lead == "L-7"
        assert caught.value.to_dict()["message"] == str(caught.value)
    with pytest.raises(module.LeadDataError) as unnamed:
        module.evaluate(as_of="2026-11-22", **call)
    assert unnamed.value.lead is None and not str(unnamed.value).startswith("lead ")
