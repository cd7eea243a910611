"""Pass `resolve`, part two: comparisons, where bare enum members and grade letters are read and types must agree."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional

from leadpolicy.check.base import (
    BOOLEAN,
    COND,
    DATE,
    GRADE,
    NUMBER,
    TEXT,
    State,
    Type,
    boolean_fix,
    compare_help,
    quoting_fix,
    same_type,
    suggest,
    type_name,
    what_is,
)
from leadpolicy.check.show import show
from leadpolicy.syntax import nodes as n

# what other languages write for a missing value, and for true and false
_NULL_WORDS = frozenset({"null", "none", "nil", "undefined", "nan"})
_BOOLEAN_WORDS = {"yes": "true", "y": "true", "on": "true", "no": "false", "n": "false", "off": "false"}


class TypesPass(State):
    # -- comparisons: the place where bare enum members and grade letters are read

    def _null_compare(self, e: n.Compare, ctx: Any) -> bool:
        """`email = null`, `budget != None`: said as `is missing` / `is present`, not as a field `null`
        to declare. True when it was said (the comparison is not read further)."""
        for side, other in ((e.right, e.left), (e.left, e.right)):
            if isinstance(side, n.Name) and side.name.lower() in _NULL_WORDS and not self._is_declared(side.name, ctx) \
                    and side.name.lower() not in self._members_of(other, ctx):  # `one of (none, some)`: a member
                break
        else:
            return False
        self.expr(other, ctx)  # its own mistakes are said as usual
        test = {"=": "is missing", "!=": "is present"}.get(e.op)
        self.error(
            "unknown-field",
            f"there is no `{side.name}` in a policy: a value that is absent or blank is missing",
            side.span,
            f"write `{show(other)} {test}`" if test else "ask for it with `is missing` or `is present`",
        )
        return True

    def _members_of(self, e: n.Expr, ctx: Any) -> set[str]:
        """The members, lower-cased, of the enum field or property `e` names; empty for anything else."""
        if not isinstance(e, n.Name):
            return set()
        if ctx.kind == "where":
            types = [p.type for p in self.props_of(ctx.activity).get(e.name, ())]
        else:
            types = [self.fields[e.name].type] if e.name in self.fields else []
        return {m.lower() for t in types if t.kind == "enum" for m in t.members}

    def _clock_word(self, e: n.Expr, ctx: Any, other_type: Optional[Type]) -> bool:
        """`created > today`: a policy has no clock value; `days since FIELD` measures from the evaluation time."""
        if other_type != DATE or not isinstance(e, n.Name) or self._is_declared(e.name, ctx):
            return False
        if e.name.lower() not in ("today", "now", "current_date", "current_timestamp", "sysdate", "getdate"):
            return False
        dates = [f.name for f in self.policy.fields if f.type.kind == "date"]
        example = f"days since {dates[0]} < 30" if dates else "days since FIELD < 30"
        self.error("unknown-field", f"there is no `{e.name}` in a policy: the time of evaluation is measured with "
                   "`days since`", e.span, f"write, for example, `{example}` (within the last 30 days)")
        return True

    def _boolean_word(self, e: n.Expr, ctx: Any, other_type: Optional[Type]) -> bool:
        """`is_customer = yes`: a boolean is `true` or `false` in a policy (data may say yes and no)."""
        if other_type != BOOLEAN or not isinstance(e, n.Name) or self._is_declared(e.name, ctx):
            return False
        word = _BOOLEAN_WORDS.get(e.name.lower())
        if word is None:
            return False
        self.error("unknown-field", f"`{e.name}` is not a value in a policy: a boolean is `true` or `false`",
                   e.span, f"write `{word}`")
        return True

    def _operand(self, e: n.Expr, ctx: Any, other_type: Optional[Type]) -> Any:
        """Resolve one side of a comparison, reading a bare name or string as an
        enum member or grade letter when the other side calls for one."""
        if isinstance(other_type, n.FieldType) and isinstance(e, (n.Name, n.String)):
            text = e.name if isinstance(e, n.Name) else e.value
            if isinstance(e, n.String) or text in other_type.members or not self._is_declared(text, ctx):
                return self._member(e, text, other_type), other_type
        if other_type == GRADE and isinstance(e, n.Name) and (e.name in self.letters or not self._is_declared(e.name, ctx)):
            # a declared letter, even where a field or stage has its name (`grade = hot` beside a stage `hot`):
            # grade compares only with letters
            return self._letter(e), GRADE
        if self._boolean_word(e, ctx, other_type):
            return e, BOOLEAN
        if self._clock_word(e, ctx, other_type):
            return e, DATE
        return self.expr(e, ctx)

    def _is_declared(self, name: str, ctx: Any) -> bool:
        if ctx.kind == "where":
            return name in self.props_of(ctx.activity)
        return name in self.fields or name in self.stage_index

    def _member(self, e: n.Expr, text: str, t: n.FieldType) -> n.Expr:
        if text in t.members:
            return n.EnumValue(text, t.members.index(text), t, span=e.span)
        if not text.strip():  # `tier = ""`: it said "`` is not one of gold, silver"
            self.error("unknown-member", f"`{n.quote(text)}` is not one of {', '.join(t.members)}: blank text in the data "
                       "counts as missing", e.span, "to ask for a blank value, write `is missing`")
            return e
        guess = suggest(text, t.members)
        if guess is not None and guess.lower() == text.lower():
            written = n.quote(guess) if isinstance(e, n.String) else n.member_text(guess)
            self.error(
                "member-case",
                f"`{text}` is written `{guess}` in `{t}`",
                e.span,
                f"write it as declared: `{written}`",
            )
        else:
            self.error(
                "unknown-member",
                f"`{text}` is not one of {', '.join(t.members)}",
                e.span,
                f"did you mean `{guess}`?" if guess else "use one of the declared members",
            )
        return e

    def _letter(self, e: n.Name) -> n.Expr:
        if e.name in self.letters:
            return n.GradeValue(e.name, span=e.span)
        guess = suggest(e.name, self.letters)
        self.error(
            "unknown-grade",
            f"there is no grade `{e.name}`",
            e.span,
            f"did you mean `{guess}`?" if guess else f"the grades are: {', '.join(self.letters) or 'none (add a `grades` block)'}",
        )
        return e

    def _side(self, left: n.Expr, right: n.Expr, ctx: Any) -> Any:
        """Resolve both sides of a binary comparison; the side that is not a bare
        literal name goes first so the other can be read against its type."""
        if isinstance(left, n.Name) and isinstance(right, n.Name) and not self._is_declared(left.name, ctx) and not self._is_declared(right.name, ctx):
            # neither side is known: report the left one only, not a cascade
            l, lt = self.expr(left, ctx)
            return l, None, right, None
        if isinstance(left, (n.Name, n.String)) and not (isinstance(left, n.Name) and self._is_declared(left.name, ctx)):
            r, rt = self.expr(right, ctx)
            l, lt = self._operand(left, ctx, rt)
        else:
            l, lt = self.expr(left, ctx)
            r, rt = self._operand(right, ctx, lt)
        return l, lt, r, rt

    def expr_Compare(self, e: n.Compare, ctx: Any) -> Any:
        if self._null_compare(e, ctx):
            return e, COND
        left, lt, right, rt = self._side(e.left, e.right, ctx)
        if lt is not None and rt is not None:
            if not same_type(lt, rt):
                self.error(
                    "type-mismatch",
                    f"cannot compare {what_is(left, lt)} with {what_is(right, rt)}",
                    e.span,
                    compare_help(lt, rt),
                    rewrite=boolean_fix(e, lt, rt) or quoting_fix(e, lt, rt),
                )
            elif e.op not in ("=", "!=") and not (lt in (NUMBER, DATE) or isinstance(lt, n.FieldType)):
                self.error(
                    "bad-operator",
                    f"`{e.op}` does not apply to {what_is(left, lt)}",
                    e.span,
                    "order comparisons work on numbers, dates and `one of` fields; use `=` or `!=`: "
                    f"`{show(e.left)} = {show(e.right)}`",
                )
        if lt == COND or rt == COND:
            self.error(
                "type-mismatch",
                "a condition cannot be compared with `" + e.op + "`",
                e.span,
                "write the condition alone, or with `not`",
            )
        elif lt == TEXT and rt == TEXT and e.op in ("=", "!="):
            self._blank_text_compare(e)
        return replace(e, left=left, right=right), COND

    # -- blank text in a policy: the data's blank text is missing (docs/language-reference.md 13.5),
    # so a comparison with it never holds, or always does

    def _blank_text_compare(self, e: n.Compare) -> None:
        for blank, other in ((e.right, e.left), (e.left, e.right)):
            if _is_blank(blank) and not _is_blank(other):
                break
        else:
            return
        if e.op == "=":
            self.warn("blank-text", f"`{show(e)}` never holds: blank text in the data counts as missing", e.span,
                      f"to ask for a blank value, write `{show(other)} is missing`")
        else:
            self.warn("blank-text", f"`{show(e)}` always holds: blank text in the data counts as missing, and a missing "
                      "value is not equal to anything", e.span, f"to ask for a value, write `{show(other)} is present`")

    def _blank_text_items(self, e: n.InList, t: Optional[Type]) -> None:
        if t != TEXT:
            return
        for item in e.items:
            if _is_blank(item):
                self.warn("blank-text", f"`{show(item)}` in this list never matches: blank text in the data counts as missing",
                          item.span, f"remove it; for a blank value too, add `or {show(e.operand)} is missing`"
                          if not e.negated else f"remove it; to leave out blank values too, add `and {show(e.operand)} is present`")

    def _blank_text_test(self, e: n.TextTest) -> None:
        if isinstance(e.right, n.String) and e.right.value == "" and not _is_blank(e.left):
            self.warn("blank-text", f"`{show(e)}` holds for every value: all text {e.op} the empty text", e.span,
                      f"to ask for a value, write `{show(e.left)} is present`")

    def expr_InList(self, e: n.InList, ctx: Any) -> Any:
        operand, t = self.expr(e.operand, ctx)
        items = []
        for item in e.items:
            if t is None and isinstance(item, n.Name) and not self._is_declared(item.name, ctx):
                # `senority in (vp, cxo)`: the operand's error is said; its members are no fields to report
                items.append(item)
                continue
            reported = len(self.diagnostics)
            resolved, it = self._operand(item, ctx, t)
            if len(self.diagnostics) > reported:
                it = None  # `VP` or `ceo` among the members: said once (member-case, unknown-member), no cascade
            if t is not None and it is not None and not same_type(t, it):
                self.error("type-mismatch", f"cannot look for a {type_name(it)} among {type_name(t)} values", item.span, compare_help(t, it))
            if not isinstance(resolved, (n.Number, n.String, n.DateLit, n.Bool, n.EnumValue, n.GradeValue)) and it is not None:
                self.error(
                    "bad-list",
                    f"the list after `in` holds only literal values, and `{show(item)}` is not one",
                    item.span,
                    "write the values themselves",
                )
            items.append(resolved)
        self._blank_text_items(e, t)
        return replace(e, operand=operand, items=tuple(items)), COND

    def expr_TextTest(self, e: n.TextTest, ctx: Any) -> Any:
        left, lt = self.expr(e.left, ctx)
        right, rt = self.expr(e.right, ctx)
        for side, t in ((e.left, lt), (e.right, rt)):
            if t not in (TEXT, None):
                self.error(
                    "type-mismatch",
                    f"`{e.op}` works on text, but `{show(side)}` is a {type_name(t)}",
                    side.span,
                    "use `=` or `in (...)` for `one of` fields" if isinstance(t, n.FieldType) else None,
                )
        if lt == TEXT and rt == TEXT:
            self._blank_text_test(e)
        return replace(e, left=left, right=right), COND

    def expr_IsMissing(self, e: n.IsMissing, ctx: Any) -> Any:
        operand, t = self.expr(e.operand, ctx)
        if t == COND:
            self.error("type-mismatch", "`is missing` applies to a value, not to a condition", e.span, "test a field or property")
        return replace(e, operand=operand), COND

    # -- fallbacks for already-resolved nodes (a policy checked twice)
    def expr_FieldRef(self, e: n.FieldRef, ctx: Any) -> Any:
        return e, self._value_type(e.type)

    def expr_PropRef(self, e: n.PropRef, ctx: Any) -> Any:
        return e, self._value_type(e.type)

    def expr_StageRef(self, e: n.StageRef, ctx: Any) -> Any:
        return e, COND

    def expr_EnumValue(self, e: n.EnumValue, ctx: Any) -> Any:
        return e, e.type

    def expr_GradeValue(self, e: n.GradeValue, ctx: Any) -> Any:
        return e, GRADE


def _is_blank(e: n.Expr) -> bool:
    """A string literal that is empty or white space alone: no value read from the data equals it."""
    return isinstance(e, n.String) and not e.value.strip()
