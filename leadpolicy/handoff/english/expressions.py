"""The expression renderer: a condition or a value as a phrase, one method per node kind."""

from __future__ import annotations

import re
from typing import Optional

from leadpolicy.handoff.english.words import (
    Clauses,
    LiteralText,
    Prose,
    duration,
    is_acronym,
    join_or,
    number,
    plural,
    reads_as_noun,
    sentence,
    stage_is_noun,
    stage_title,
    with_article,
    words,
)
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.precedence import ADD, MUL, grouped
from leadpolicy.syntax.visitor import NodeVisitor

_COMPOUND = (n.And, n.Or, n.AtLeast)

# Comparison words by the kind of the value compared.
_NUMBER_WORDS = {"=": "is", "!=": "is not", "<": "is less than", "<=": "is at most", ">": "is more than", ">=": "is at least"}
_DATE_WORDS = {"=": "is", "!=": "is not", "<": "is before", "<=": "is on or before", ">": "is after", ">=": "is on or after"}
_AGO_WORDS = {"=": "exactly", "!=": "not exactly", "<": "less than", "<=": "at most", ">": "more than", ">=": "at least"}
_COMPLEMENT = {"=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_TEXT_VERBS = {"starts with": ("starts with", "does not start with"), "ends with": ("ends with", "does not end with"), "contains": ("contains", "does not contain")}
_UNKNOWN = " (or unknown)"


def _constant(e: n.Expr) -> Optional[float]:
    """The value of a number literal, or of a negated one (`-180`); else None."""
    if isinstance(e, n.Number):
        return e.value
    if isinstance(e, n.Neg) and isinstance(e.operand, n.Number):
        return -e.operand.value
    return None


def _literal(e: n.Expr) -> bool:
    return isinstance(e, (n.Number, n.String, n.DateLit, n.Bool, n.EnumValue, n.GradeValue))


class ExpressionEnglish(LiteralText, NodeVisitor):
    """Plain English for the conditions of one resolved policy: one `visit_<Kind>` per node kind."""

    def __init__(self, policy: n.Policy):
        self.policy = policy
        self.activities = {a.name: a for a in policy.activities}
        self.stage_names = [s.name for s in policy.stages]
        # Without an `otherwise` band a lead can have no grade at all.
        self.grade_can_be_missing = not any(band.condition is None for band in policy.grades)

    # ------------------------------------------------------------ entry points

    def condition(self, expr: n.Expr) -> str:
        """A condition as one line of text."""
        if isinstance(expr, (n.FieldRef, n.PropRef)):
            return self._flag(expr, True)
        return self.value(expr)

    def negation(self, expr: n.Expr) -> str:
        """`not expr` as one line of text, said positively where English allows."""
        if isinstance(expr, n.Not):
            return self.condition(expr.operand)
        if isinstance(expr, (n.FieldRef, n.PropRef)):
            return self._flag(expr, False)
        if isinstance(expr, n.Compare):
            return self._compare(expr.left, _COMPLEMENT[expr.op], expr.right, complemented=True)
        if isinstance(expr, n.InList):
            return self.visit_InList(n.InList(expr.operand, expr.items, not expr.negated))
        if isinstance(expr, n.TextTest):
            return self._text_test(expr, negated=True)
        if isinstance(expr, n.IsMissing):
            return self.visit_IsMissing(n.IsMissing(expr.operand, not expr.negated))
        if isinstance(expr, n.Did):
            return self._did(expr, negated=not expr.negated)
        if isinstance(expr, n.StageRef):
            if expr.index == 0:
                return f"never ({self.visit_StageRef(expr)})"
            return f"it does not meet {self._criteria_of(expr.name)}"
        if isinstance(expr, n.Bool):
            return self.visit_Bool(n.Bool(not expr.value))
        if isinstance(expr, n.And):
            return "not all of: " + "; ".join(self._item(o) for o in self._flat(expr))
        if isinstance(expr, n.Or):
            return "none of: " + "; ".join(self._item(o) for o in self._flat(expr))
        if isinstance(expr, n.AtLeast):
            return f"fewer than {expr.count} of: " + "; ".join(self._item(o) for o in expr.conditions)
        return "not " + self.value(expr)

    def prose(self, expr: n.Expr) -> Prose:
        """A condition as a str when one line reads well, else as a bulleted `Clauses`."""
        if isinstance(expr, n.Not) and isinstance(expr.operand, _COMPOUND):
            inner = expr.operand
            items = tuple(self.prose(o) for o in (inner.conditions if isinstance(inner, n.AtLeast) else self._flat(inner)))
            if isinstance(inner, n.And):
                return Clauses("not all of these hold", items)
            if isinstance(inner, n.Or):
                return Clauses("none of these holds", items)
            return Clauses(f"fewer than {inner.count} of these hold", items)
        if not self._needs_list(expr):
            return self.condition(expr)
        if isinstance(expr, n.AtLeast):
            return Clauses(f"at least {expr.count} of these hold", tuple(self.prose(o) for o in expr.conditions))
        items = tuple(self.prose(o) for o in self._flat(expr))
        if isinstance(expr, n.And):
            return Clauses("all of these hold", items)
        return Clauses("at least one of these holds", items)

    def _needs_list(self, expr: n.Expr) -> bool:
        """True when one line would need parentheses or a run of `;`: then a list reads better."""
        if isinstance(expr, n.AtLeast):
            return True
        if isinstance(expr, n.Not):
            return isinstance(expr.operand, _COMPOUND)
        if isinstance(expr, (n.And, n.Or)):
            operands = self._flat(expr)
            for i, o in enumerate(operands):
                last = i == len(operands) - 1
                if isinstance(o, n.AtLeast):
                    return True
                if isinstance(o, n.Not) and isinstance(o.operand, _COMPOUND):
                    return True
                if isinstance(expr, n.Or) and isinstance(o, n.And):
                    return True
                if isinstance(expr, n.And) and isinstance(o, n.Or):
                    if not last or any(isinstance(x, _COMPOUND) for x in self._flat(o)):
                        return True
            return False
        return False

    def when(self, head: str, expr: n.Expr) -> Prose:
        """ "HEAD when CONDITION." or, for an involved condition, a list under "HEAD when all of these hold"."""
        body = self.prose(expr)
        if isinstance(body, Clauses):
            return Clauses(f"{head} when {body.intro}", body.items)
        return sentence(f"{head} when {body}")

    # ------------------------------------------------------------ names

    def activity_noun(self, name: Optional[str], count: int = 1) -> str:
        """An activity as a noun phrase, singular or plural: "page view", "page views".

        Its description when declared and short enough to be a name ("Demo
        request"), else its name as words ("page view"). When neither reads as
        a noun (`key_feature_used`, `talk_to_sales`, "Viewed the pricing
        page"), the label is quoted and called an activity:
        `"key feature used" activity`.
        """
        if name is None:
            return "activity" if count == 1 else "activities"
        candidates = []
        decl = self.activities.get(name)
        if decl is not None and decl.description:
            text = " ".join(decl.description.split()).rstrip(".")
            text = re.sub(r"^(a|an|the)\s+", "", text, flags=re.I)
            if text and len(text.split()) <= 5 and not re.search(r"[;:,()\"]", text):
                first = text.split(" ", 1)[0]
                keep_case = is_acronym(first) or (len(first) > 1 and first[1].isupper())
                candidates.append(text if keep_case else text[0].lower() + text[1:])
        candidates.append(words(name))
        for label in candidates:
            if reads_as_noun(label):
                return label if count == 1 else plural(label)
        return f'"{candidates[0]}" ' + ("activity" if count == 1 else "activities")

    def whose(self, where: n.Expr) -> str:
        """The `where` of an activity: "whose path starts with "/blog""; compound filters in parentheses."""
        text = self.condition(where)
        if isinstance(where, _COMPOUND) or (isinstance(where, n.Not) and isinstance(where.operand, _COMPOUND)):
            return f"(whose {text})"
        return f"whose {text}"

    # ------------------------------------------------------------ the visitor

    never_given = frozenset({"Name", "Paren"})  # the checker resolves names and drops parentheses

    def generic_visit(self, node: n.Node, *args: object, **kwargs: object) -> str:
        raise TypeError(f"no English for {type(node).__name__}: the documents need a checked policy")

    def value(self, e: n.Expr) -> str:
        """An expression in the place of a value (one side of a comparison)."""
        phrase: str = self.visit(e)
        return phrase

    # references
    def visit_FieldRef(self, e: n.FieldRef) -> str:
        if e.type.kind == "boolean":
            return f"its {self._flag_name(e.name)} flag"
        return f"its {words(e.name)}"

    def visit_PropRef(self, e: n.PropRef) -> str:
        if e.type.kind == "boolean":
            return f"{self._flag_name(e.name)} flag"
        return words(e.name)

    def visit_StageRef(self, e: n.StageRef) -> str:
        if e.index == 0:
            at = with_article(stage_title(e.name)) if stage_is_noun(e.name) else f"at the {stage_title(e.name)} stage"
            return f"it is at least {at} (always true)"
        return f"it meets {self._criteria_of(e.name)}"

    def _criteria_of(self, name: str) -> str:
        """ "the MQL entry criteria", "the entry criteria of the hot stage"."""
        if stage_is_noun(name):
            return f"the {stage_title(name)} entry criteria"
        return f"the entry criteria of the {stage_title(name)} stage"

    def visit_Engagement(self, e: n.Engagement) -> str:
        return "its engagement score"

    def visit_Fit(self, e: n.Fit) -> str:
        return "its fit score"

    def visit_Grade(self, e: n.Grade) -> str:
        return "its grade"

    def visit_DaysSince(self, e: n.DaysSince) -> str:
        return f"the number of whole days since its {words(e.field_name)}"

    # arithmetic
    def visit_Neg(self, e: n.Neg) -> str:
        return "minus " + grouped(self.value(e.operand), e.operand, MUL)

    def visit_Arith(self, e: n.Arith) -> str:
        word = {"+": "plus", "-": "minus", "*": "times"}[e.op]
        # the levels (syntax/precedence.py) of a reader who takes plus and times as associative
        left = grouped(self.value(e.left), e.left, MUL if e.op == "*" else ADD)
        right = grouped(self.value(e.right), e.right, ADD if e.op == "+" else MUL)
        return f"{left} {word} {right}"

    # tests
    def visit_Compare(self, e: n.Compare) -> str:
        return self._compare(e.left, e.op, e.right)

    def _compare(self, left: n.Expr, op: str, right: n.Expr, complemented: bool = False) -> str:
        """`left op right`; complemented: this is `not (left op' right)`, which holds for unknown values too."""
        if _literal(left) and not _literal(right):
            left, op, right = right, n.MIRRORED[op], left
        missing = self._can_be_missing(left) or self._can_be_missing(right)
        note = _UNKNOWN if missing and (op == "!=" or (complemented and op != "=")) else ""
        days_value = _constant(right)
        if isinstance(left, n.DaysSince) and days_value is not None:
            # `days since f OP v`: v days ago, or, for a negative v, -v days from now (the order turned).
            if days_value < 0:
                op, days_value, when = n.MIRRORED[op], -days_value, "from now"
            else:
                when = "ago"
            days = "day" if days_value == 1 else "days"
            verb = "was" if when == "ago" else "is"
            return f"its {words(left.field_name)} {verb} {_AGO_WORDS[op]} {number(days_value)} {days} {when}{note}"
        if isinstance(left, (n.FieldRef, n.PropRef)) and left.type.kind == "boolean" and isinstance(right, n.Bool):
            verb = "is" if op == "=" else "is not"
            return f"{self.value(left)} {verb} {self.value(right)}{note}"
        subject = self.value(left)
        kind = self._kind(left) or self._kind(right)
        if kind == "enum" and op not in ("=", "!=") and isinstance(right, n.EnumValue):
            return f"{subject} {self._enum_order(op, right)}{note}"
        words_ = _DATE_WORDS if kind == "date" else _NUMBER_WORDS
        return f"{subject} {words_[op]} {self.value(right)}{note}"

    def _enum_order(self, op: str, member: n.EnumValue) -> str:
        members = member.type.members
        i = member.index
        chosen = {
            "<": members[:i],
            "<=": members[: i + 1],
            ">": members[i + 1 :],
            ">=": members[i:],
        }[op]
        name = self.visit_EnumValue(member)
        lead = {"<": f"below {name}", "<=": f"{name} or lower", ">": f"above {name}", ">=": f"{name} or higher"}[op]
        listed = join_or([n.member_text(m) for m in chosen]) or "nothing"
        return f"is {lead} ({listed})"

    def visit_InList(self, e: n.InList) -> str:
        subject = self.value(e.operand)
        items = [self.value(i) for i in e.items]
        if not e.negated:
            return f"{subject} is {join_or(items)}"
        note = _UNKNOWN if self._can_be_missing(e.operand) else ""
        if len(items) == 1:
            return f"{subject} is not {items[0]}{note}"
        return f"{subject} is not one of {', '.join(items)}{note}"

    def visit_TextTest(self, e: n.TextTest) -> str:
        return self._text_test(e, negated=False)

    def _text_test(self, e: n.TextTest, negated: bool) -> str:
        verb = _TEXT_VERBS[e.op][1 if negated else 0]
        note = _UNKNOWN if negated and (self._can_be_missing(e.left) or self._can_be_missing(e.right)) else ""
        return f"{self.value(e.left)} {verb} {self.value(e.right)}{note}"

    def visit_IsMissing(self, e: n.IsMissing) -> str:
        return f"{self.value(e.operand)} is {'present' if e.negated else 'missing'}"

    # logic
    def visit_Not(self, e: n.Not) -> str:
        return self.negation(e.operand)

    def visit_And(self, e: n.And) -> str:
        operands = self._flat(e)
        parts = []
        for i, o in enumerate(operands):
            last = i == len(operands) - 1
            if isinstance(o, n.Or) and last and not any(isinstance(x, _COMPOUND) for x in self._flat(o)):
                parts.append("either " + self.condition(o))
            elif isinstance(o, _COMPOUND) and not (isinstance(o, n.AtLeast) and last):
                parts.append(f"({self.condition(o)})")
            else:
                parts.append(self.condition(o))
        return " and ".join(parts)

    def visit_Or(self, e: n.Or) -> str:
        operands = self._flat(e)
        parts = []
        for i, o in enumerate(operands):
            last = i == len(operands) - 1
            if isinstance(o, _COMPOUND) and not (isinstance(o, n.AtLeast) and last):
                parts.append(f"({self.condition(o)})")
            else:
                parts.append(self.condition(o))
        return " or ".join(parts)

    def visit_AtLeast(self, e: n.AtLeast) -> str:
        return f"at least {e.count} of: " + "; ".join(self._item(o) for o in e.conditions)

    def _item(self, e: n.Expr) -> str:
        """One item of a `;`-separated list: a nested list goes in parentheses."""
        text = self.condition(e)
        if isinstance(e, n.AtLeast) or (";" in text and isinstance(e, _COMPOUND)):
            return f"({text})"
        return text

    def visit_Did(self, e: n.Did) -> str:
        return self._did(e, e.negated)

    def _did(self, e: n.Did, negated: bool) -> str:
        noun = self.activity_noun(e.activity)
        nouns = self.activity_noun(e.activity, 2)
        if e.activity is None and e.times == 1:
            thing = "no activity" if negated else "some activity"
        elif negated:
            thing = f"no {noun}" if e.times == 1 else f"fewer than {e.times} {nouns}"
        else:
            thing = with_article(noun) if e.times == 1 else f"at least {e.times} {nouns}"
        whose = " " + self.whose(e.where) if e.where is not None else ""
        if e.within is not None:
            return f"it had {thing}{whose} in the last {duration(e.within)}"
        if negated and e.times == 1:  # no window: all of its history
            never = "any activity" if e.activity is None else with_article(noun)
            return f"it has never had {never}{whose}"
        return f"it has had {thing}{whose}"

    # ------------------------------------------------------------ helpers

    def _flat(self, e: n.Expr) -> tuple[n.Expr, ...]:
        """The operands of an And/Or, nested ones of the same kind merged (same meaning)."""
        kind = type(e)
        out: list[n.Expr] = []
        assert isinstance(e, (n.And, n.Or)), "only an and/or chain has operands"
        for o in e.operands:
            if type(o) is kind:
                out.extend(self._flat(o))
            else:
                out.append(o)
        return tuple(out)

    def _flag_name(self, name: str) -> str:
        """`is_customer` -> "customer": the flag's subject, without a leading `is_`."""
        if name.startswith("is_") and len(name) > 3:
            return words(name[3:])
        return words(name)

    def _flag(self, e: n.Expr, holds: bool) -> str:
        """A boolean field or property standing alone as a condition (missing counts as false)."""
        if isinstance(e, (n.FieldRef, n.PropRef)) and e.type.kind == "boolean":
            return f"{self.value(e)} is true" if holds else f"{self.value(e)} is not true (false or unknown)"
        return self.value(e) if holds else "not " + self.value(e)

    def _kind(self, e: n.Expr) -> Optional[str]:
        if isinstance(e, (n.FieldRef, n.PropRef)):
            return e.type.kind
        if isinstance(e, n.EnumValue):
            return "enum"
        if isinstance(e, n.DateLit):
            return "date"
        if isinstance(e, (n.Number, n.Engagement, n.Fit, n.DaysSince, n.Arith, n.Neg)):
            return "number"
        return None

    def _can_be_missing(self, e: n.Expr) -> bool:
        """Whether the value may be unknown for some lead (docs/language-reference.md section 13.12)."""
        if isinstance(e, (n.FieldRef, n.PropRef, n.DaysSince)):
            return True
        if isinstance(e, n.Grade):
            return self.grade_can_be_missing
        if isinstance(e, n.Neg):
            return self._can_be_missing(e.operand)
        if isinstance(e, n.Arith):
            return self._can_be_missing(e.left) or self._can_be_missing(e.right)
        return False
