"""The compiler's parts (issue 17): the fixed helpers embedded into every module
give exactly the runtime readers' values; the expression emitter and the
reference interpreter have a method for every node kind; the generated module
has one statement per line and embeds helpers.py verbatim."""

from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import given, settings, strategies as st

from leadpolicy.backends.python import helpers
from leadpolicy.backends.python.compiler import HELPERS_MARKER, compile_policy, helpers_text
from leadpolicy.backends.python.expressions import ExpressionEmitter
from leadpolicy.check.checker import check
from leadpolicy.semantics import reference, runtime
from leadpolicy.syntax.parser import parse

ROOT = Path(__file__).resolve().parents[1]
SENIORITY = ("ic", "manager", "director", "vp", "cxo")
SENIORITY_LOWER = {"ic": 0, "manager": 1, "director": 2, "vp": 3, "cxo": 4}


def outcome(call, *args):
    try:
        return ("value", call(*args))
    except runtime.LeadDataError as error:
        return ("error", error.field, str(error))


values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=12),
    st.sampled_from([" 12 ", "1e3", "007", "١٢", "yes", " No ", "TRUE", "0", "1", "VP", " cxo", "Director ",
                     "2026-11-22", "2026-11-22T10:30:00Z", " 2026-11-22 10:30 +05:30 ", "2026-02-30",
                     "2026-11-22T10:30:00z", "2026-11-22T24:00", "9" * 400]),
    st.dates(), st.datetimes(),
)


@settings(max_examples=500, deadline=None)
@given(value=values)
def test_each_helper_reads_as_its_runtime_reader(value):
    assert outcome(helpers._read_number, value, "f", "L") == outcome(runtime.read_number, value, "f", "L")
    if value is not True and value is not False:  # the generated code handles those itself
        assert outcome(helpers._read_boolean, value, "f", "L") == outcome(runtime.read_boolean, value, "f", "L")
    assert outcome(helpers._read_date, value, "f", "L") == outcome(runtime.read_date, value, "f", "L")
    assert outcome(helpers._read_enum, value, SENIORITY_LOWER, SENIORITY, "f", "L") == \
        outcome(runtime.read_enum, value, SENIORITY, "f", "L")
    if value is not None and not (isinstance(value, str) and not value.strip()):  # the loop checks those first
        assert outcome(_at_micros, value) == outcome(runtime.parse_instant, value, "f", "L")


def _at_micros(value):
    try:
        moment = helpers._read_at(value, "f", "L")
    except runtime.LeadDataError:
        raise
    except ValueError:  # fromisoformat on an impossible date: the generated loop asks the runtime
        return runtime.parse_instant(value, "f", "L")
    return (moment - helpers._EPOCH_UTC) // helpers._MICROSECOND


def test_helpers_are_embedded_verbatim_after_the_marker():
    text = (ROOT / "leadpolicy" / "backends" / "python" / "helpers.py").read_text(encoding="utf-8")
    embedded = text.split(HELPERS_MARKER, 1)[1].lstrip("\n")
    assert helpers_text() == embedded
    acme = (ROOT / "policies" / "acme.policy").read_text(encoding="utf-8")
    source = compile_policy(check(parse(acme, "acme.policy")).policy, acme, "policies/acme.policy")
    assert embedded in source


def test_emitters_and_the_reference_handle_every_node_kind():
    assert ExpressionEmitter.missing_kinds() == []
    assert reference._Evaluator.missing_kinds() == []


def test_one_statement_per_line():
    for name in ("acme", "enterprise", "product_led", "agency"):
        text = (ROOT / "policies" / f"{name}.policy").read_text(encoding="utf-8")
        source = compile_policy(check(parse(text, name)).policy, text, name)
        tree = ast.parse(source)
        lines: dict[int, int] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.stmt):
                lines[node.lineno] = lines.get(node.lineno, 0) + 1
                if isinstance(node, (ast.If, ast.For, ast.While, ast.Try, ast.With)):
                    # a compound statement's body starts on a line of its own
                    assert node.body[0].lineno > node.lineno, (name, node.lineno)
        assert max(lines.values()) == 1, (name, [line for line, count in lines.items() if count > 1][:5])


def test_evaluate_many_reads_as_of_once_and_gives_dicts_on_request():
    import leadpolicy

    policy = leadpolicy.load(ROOT / "policies" / "acme.policy")
    leads = [{"id": "L-1", "fields": {"seniority": " VP ", "industry": "saas"},
              "activities": [{"type": "Form_Submit", "at": " 2026-11-20t09:00:00z ", "form": "demo"}]},
             {"id": "L-2", "fields": {"budget": "lots"}},
             {"id": "L-3", "fields": {}, "activities": [{"type": "chat", "at": "2026-11-21 10:00 +05"}],
              "stage": "SQL"}]
    for as_of in ("2026-11-22", "2026-11-22T00:00:00+00:00"):
        singles = []
        for lead in leads:
            try:
                singles.append(policy.evaluate(lead["fields"], lead.get("activities", ()), as_of, lead.get("stage"),
                                               lead["id"]).to_dict())
            except leadpolicy.LeadDataError as error:
                singles.append(str(error))
        many = [d.to_dict() if isinstance(d, leadpolicy.Decision) else str(d)
                for d in policy.evaluate_many(leads, as_of)]
        dicts = [d if isinstance(d, dict) else str(d) for d in policy.evaluate_many(leads, as_of, as_dicts=True)]
        assert singles == many == dicts
    bad = policy.evaluate_many(leads, "2026-W47-1")
    try:
        next(bad)
    except leadpolicy.LeadDataError as error:
        assert "as_of" in str(error)
    else:
        raise AssertionError("a bad as_of is an error")
