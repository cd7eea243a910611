"""Pass `tests`: test blocks name real stages, rules, fields, activities and values; test lints."""

from __future__ import annotations

from leadpolicy.check.base import (
    CHANGES,
    DISQUALIFIED,
    State,
    head_span,
    literal_help,
    requoted_value,
    suggest,
    type_name,
)
from leadpolicy.check.passes import lints_more as lints
from leadpolicy.syntax import nodes as n


class TestsPass(State):
    # -- tests

    def check_tests(self, resolved: n.Policy) -> None:
        self.uses_time = lints.time_dependent(resolved)
        self.test_names: dict[str, tuple[str, int]] = {}  # name -> (file, line) where it was first given
        for test in resolved.tests:
            self.check_test(test)
        if self.extra_tests:
            self._path_override = self.tests_path
            for test in self.extra_tests:
                self.check_test(test)
            self._path_override = None

    def check_test(self, test: n.TestBlock) -> None:
        stage_names = self.stages + [DISQUALIFIED]
        here = (self._path_override or self.path, test.span.line if test.span is not None else 0)
        first = self.test_names.setdefault(test.name, here)
        if first is not here:
            place = f"on line {first[1]}" if first[0] == here[0] else f"in {first[0]} on line {first[1]}"
            self.warn("duplicate-test", f"the test name {n.quote(test.name)} is used twice (first {place})",
                      head_span(test.span, 4), "name each test for what it checks, so a failure says which one it is")
        lints.test_lints(test, self.uses_time, self.warn)
        if test.previous_stage is not None and test.previous_stage not in stage_names:
            self._unknown_stage(test.previous_stage, test.previous_stage_span)
        for f in test.fields:
            decl = self.fields.get(f.name)
            if decl is None:
                guess = suggest(f.name, self.fields)
                self.error("unknown-field", f"there is no field `{f.name}`", head_span(f.span, len(f.name)), f"did you mean `{guess}`?" if guess else None)
            else:
                self._test_value(f.value, decl.type, f"field `{f.name}`", f.name)
        for a in test.activities:
            activity = self.activities.get(a.activity)
            if activity is None:
                self._unknown_activity(a.activity, a.span)
                continue
            for p in a.props:
                prop = next((q for q in activity.props if q.name == p.name), None)
                if prop is None:
                    guess = suggest(p.name, [q.name for q in activity.props])
                    self.error(
                        "unknown-property",
                        f"activity `{activity.name}` has no property `{p.name}`",
                        head_span(p.span, len(p.name)),
                        f"did you mean `{guess}`?" if guess else None,
                    )
                else:
                    self._test_value(p.value, prop.type, f"property `{p.name}`", p.name)
        for x in test.expectations:
            if x.kind == "stage" and x.value not in stage_names:
                self._unknown_stage(str(x.value), x.span)
            elif x.kind == "change" and x.value not in CHANGES:
                guess = suggest(str(x.value), CHANGES)
                self.error("unknown-change", f"`{x.value}` is not a change", x.span, f"did you mean `{guess}`?" if guess else "changes are: " + ", ".join(CHANGES))
            elif x.kind == "grade" and x.value not in self.letters:
                guess = suggest(str(x.value), self.letters)
                self.error("unknown-grade", f"there is no grade `{x.value}`", x.span, f"did you mean `{guess}`?" if guess else
                           f"the grades are: {', '.join(self.letters) or 'none (add a `grades` block)'}")
            elif x.kind in ("hit", "no_hit") and x.value not in self.rule_names:
                guess = suggest(str(x.value), self.rule_names)
                self.error("unknown-rule", f"there is no rule `{x.value}`", x.span, f"did you mean {n.quote(guess)}?" if guess else
                           "name a rule as it is written before its colon, in double quotes" if self.rule_names else
                           "the policy has no named rules yet")
            elif x.kind in ("hit", "no_hit"):
                self._hit_of_pointless_rule(x)

    def _hit_of_pointless_rule(self, x: n.Expect) -> None:
        """`expect hit` on a demotion or disqualification rule: a hit is a rule's points
        (docs/language-reference.md section 7), and those rules have none, so the expectation
        always fails (`expect no hit`: always holds). Their effect shows in the stage and change."""
        demotion = next((d for d in self.policy.demotions if d.name == x.value), None)
        disqualification = next((d for d in self.policy.disqualifications if d.name == x.value), None)
        if demotion is None and disqualification is None:
            return
        kind = "demotion" if demotion is not None else "disqualification"
        if x.kind == "hit":
            stage = demotion.target if demotion is not None else DISQUALIFIED
            help = f"test what the rule does to the stage instead: `expect stage {stage}`"
        else:
            stage = demotion.source if demotion is not None else self.stages[0] if self.stages else "lead"
            help = f"test the stage the lead keeps instead, e.g. `expect stage {stage}`"
        never = "never holds" if x.kind == "hit" else "always holds"
        self.warn("hit-without-points", f"{n.quote(str(x.value))} is a {kind} rule, which never hits: only engagement and "
                  f"fit rules have points, so this expectation {never}", x.span, help)

    def _test_value(self, value: n.TestValue, t: n.FieldType, what: str, name: str) -> None:
        ok = {
            "text": ("string",),
            "number": ("number",),
            "boolean": ("bool",),
            "date": ("date", "timestamp", "string"),
            "enum": ("word", "string"),
        }[t.kind]
        if value.kind not in ok:
            written = n.quote(str(value.value)) if value.kind == "string" else str(value.text or value.value)
            self.error(
                "test-value",
                f"{what} is {_a(type_name(self._value_type(t)))}, and `{written}` is not",
                value.span,
                literal_help(t),
                rewrite=requoted_value(value, t, name),
            )
        elif t.kind == "enum" and value.value not in t.members:
            guess = suggest(str(value.value), t.members)
            if guess is not None and guess.lower() == str(value.value).lower():  # as in a condition: member-case
                written = n.quote(guess) if value.kind == "string" else n.member_text(guess)
                self.error("member-case", f"`{value.value}` is written `{guess}` in `{t}`", value.span,
                           f"write it as declared: `{written}`")
                return
            self.error(
                "unknown-member",
                f"`{value.value}` is not one of {', '.join(t.members)}",
                value.span,
                f"did you mean `{guess}`?" if guess else None,
            )


def _a(kind: str) -> str:
    """`a number`, `a boolean`, but `text`."""
    return kind if kind == "text" else f"a {kind}"
