"""The expression emitter: one `emit_<Kind>` method per node kind, each returning a
short Python expression with its precedence (`source.Expr`).

Conditions are inline expressions with a `x is not None and ...` guard only where
a value can be missing; `in` lists are set displays of constants (Python folds
them into frozensets); enum members are their indices; a fit rule's condition
repeated later (BANT's `at least 3 of`) reads the rule's local; stage conditions
are locals; or-ed tests of one value against literals are one tuple or set test.
"""

from __future__ import annotations

from typing import Any, Optional

from leadpolicy.backends.python import source as s
from leadpolicy.backends.python.analysis import RUN, Analysis, runs
from leadpolicy.backends.python.source import ADD, AND, ATOM, CMP, MUL, NOT, OR, UNARY, Expr, wrap
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.visitor import NodeVisitor

_PY_COMPARE = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_BARE = (n.FieldRef, n.PropRef, n.Grade)  # values held in one local that may be None
LITERALS = (n.Number, n.String, n.DateLit, n.Bool, n.EnumValue, n.GradeValue)


class ExpressionEmitter(NodeVisitor):
    """Python expressions for the nodes of one analysed policy."""

    prefix = "emit_"
    never_given = frozenset({"Name"})  # the checker resolves every name first

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.scope: Optional[n.ActivityDecl] = None  # the activity whose properties are in scope
        self.named: dict[n.Expr, str] = {}  # conditions held in a local (fit rules written so far)
        self.enum_notes: list[str] = []  # enum members in the code being emitted
        # The locals of `_decide` the code emitted since the last `take_reads` reads: the
        # arguments of the section function that code goes into (sections.py).
        self.reads: dict[str, None] = {}

    def generic_visit(self, node: Any, *args: Any, **kwargs: Any) -> None:
        raise s.CompileError(f"{s.at(node)}: cannot compile a {type(node).__name__} node")

    def emit(self, node: n.Expr) -> Expr:
        emitted: Expr = self.visit(node)
        return emitted

    def condition(self, node: n.Expr) -> Expr:
        """A node used as a condition: a boolean value alone means `is True`."""
        if self.scope is None:
            local = self.named.get(node)
            if local is not None:
                return Expr(self.read(local), ATOM)
        if isinstance(node, (n.FieldRef, n.PropRef)):
            return Expr(f"{self.emit(node).code} is True", CMP)
        if isinstance(node, n.Paren):
            return self.condition(node.inner)
        return self.emit(node)

    def where(self, decl: n.ActivityDecl, where: Optional[n.Expr]) -> tuple[Optional[str], str]:
        """A `where` filter as a condition on the property locals of one activity of
        `decl`, and the notes for its comment."""
        if where is None:
            return None, ""
        saved, self.scope = self.scope, decl
        outer, self.enum_notes = self.enum_notes, []
        try:
            return wrap(self.condition(where), AND), self.notes()
        finally:
            self.scope, self.enum_notes = saved, outer

    def read(self, local: str) -> str:
        """`local`, noted as read by the code being emitted."""
        self.reads[local] = None
        return local

    def take_reads(self) -> list[str]:
        """The locals read since the last call, in the order first read; then forget them."""
        reads, self.reads = list(self.reads), {}
        return reads

    def notes(self) -> str:
        """For the comment of the statement just emitted: the enum members its code
        compares by index ("; 2 is 'director', 3 is 'vp'"); then forget them."""
        notes, self.enum_notes = self.enum_notes, []
        return "; " + ", ".join(notes) if notes else ""

    def nullable(self, node: n.Expr) -> list[str]:
        """The locals that must not be None for the value of `node` to exist."""
        if isinstance(node, _BARE):
            return [self.emit(node).code]
        if isinstance(node, n.DaysSince):
            return [self._field_local(node.field_name, node)]
        if isinstance(node, n.Neg):
            return self.nullable(node.operand)
        if isinstance(node, n.Arith):
            return s.dedupe(self.nullable(node.left) + self.nullable(node.right))
        if isinstance(node, n.Paren):
            return self.nullable(node.inner)
        return []

    @staticmethod
    def _guarded(guards: list[str], test: Expr) -> Expr:
        if not guards:
            return test
        parts = [f"{g} is not None" for g in guards] + [wrap(test, NOT)]
        return Expr(" and ".join(parts), AND)

    # -- values

    def emit_Number(self, node: n.Number) -> Expr:
        return s.number(node.value)

    def emit_String(self, node: n.String) -> Expr:
        return Expr(s.lit(str(node.value).lower()), ATOM)

    def emit_DateLit(self, node: n.DateLit) -> Expr:
        return s.integer(node.micros)

    def emit_Bool(self, node: n.Bool) -> Expr:
        return Expr("True" if node.value else "False", ATOM)

    def emit_EnumValue(self, node: n.EnumValue) -> Expr:
        note = f"{int(node.index)} is {s.say(node.member)}"
        if note not in self.enum_notes:
            self.enum_notes.append(note)
        return s.integer(node.index)

    def emit_GradeValue(self, node: n.GradeValue) -> Expr:
        return Expr(s.lit(node.letter), ATOM)

    def _field_local(self, name: str, node: n.Node) -> str:
        local = self.analysis.field_locals.get(name)
        if local is None:
            raise s.CompileError(f"{s.at(node)}: unknown field {s.say(name)} (was the policy checked?)")
        return self.read(local)

    def emit_FieldRef(self, node: n.FieldRef) -> Expr:
        return Expr(self._field_local(node.name, node), ATOM)

    def emit_PropRef(self, node: n.PropRef) -> Expr:
        if self.scope is None:
            raise s.CompileError(f"{s.at(node)}: property {s.say(node.name)} outside a `where`")
        decl = self.analysis.activity(node.activity, node)
        local = self.analysis.loops[self.scope.name].props.get(node.name) if decl.name == self.scope.name else None
        if not local:
            raise s.CompileError(f"{s.at(node)}: {s.say(node.name)} is not a property of {s.say(self.scope.name)}")
        return Expr(local, ATOM)

    def emit_StageRef(self, node: n.StageRef) -> Expr:
        index = self.analysis.stage(node.name, node)
        return Expr("True" if index == 0 else self.read(self.analysis.stage_locals[index]), ATOM)

    def emit_Engagement(self, node: n.Engagement) -> Expr:
        return Expr(self.read("engagement"), ATOM)

    def emit_Fit(self, node: n.Fit) -> Expr:
        return Expr(self.read("fit"), ATOM)

    def emit_Grade(self, node: n.Grade) -> Expr:
        return Expr(self.read("grade"), ATOM)

    def emit_DaysSince(self, node: n.DaysSince) -> Expr:
        local = self._field_local(node.field_name, node)
        return Expr(f"float(({self.read('now')} - {local}) // {s.MICROS_PER_DAY})", ATOM)

    def emit_Neg(self, node: n.Neg) -> Expr:
        return Expr("-" + wrap(self.emit(node.operand), UNARY), UNARY)

    def emit_Arith(self, node: n.Arith) -> Expr:
        if node.op not in ("+", "-", "*"):
            raise s.CompileError(f"{s.at(node)}: unknown operator {s.say(node.op)}")
        level = MUL if node.op == "*" else ADD
        left = wrap(self.emit(node.left), level)
        right = wrap(self.emit(node.right), level + 1)
        return Expr(f"{left} {node.op} {right}", level)

    def emit_Paren(self, node: n.Paren) -> Expr:
        return self.emit(node.inner)

    def emit_Name(self, node: n.Name) -> Expr:
        raise s.CompileError(f"{s.at(node)}: the name {s.say(node.name)} was not resolved; check the policy first")

    # -- conditions

    def emit_Compare(self, node: n.Compare) -> Expr:
        op = _PY_COMPARE.get(node.op)
        if op is None:
            raise s.CompileError(f"{s.at(node)}: unknown comparison {s.say(node.op)}")
        code_l, code_r = wrap(self.emit(node.left), ADD), wrap(self.emit(node.right), ADD)
        left_null, right_null = self.nullable(node.left), self.nullable(node.right)
        if node.op in ("=", "!="):
            # None == value is False and None != value is True, as the contract says, so a
            # plain local against a value that is never missing needs no guard.
            bare_l, bare_r = isinstance(node.left, _BARE), isinstance(node.right, _BARE)
            if (not left_null and not right_null) or (bare_l and not right_null) or (bare_r and not left_null):
                return Expr(f"{code_l} {op} {code_r}", CMP)
            equal = self._guarded(s.dedupe(left_null + right_null), Expr(f"{code_l} == {code_r}", CMP))
            return equal if node.op == "=" else Expr("not " + wrap(equal, NOT), NOT)
        return self._guarded(s.dedupe(left_null + right_null), Expr(f"{code_l} {op} {code_r}", CMP))

    def emit_InList(self, node: n.InList) -> Expr:
        items: list[str] = []
        for item in node.items:
            if not isinstance(item, LITERALS):
                raise s.CompileError(f"{s.at(item)}: `in` lists hold literals only")
            items.append(self.emit(item).code)
        items = s.dedupe(items)
        operand = wrap(self.emit(node.operand), ADD)
        # A missing value (None) is in no list of literals; arithmetic needs its operands.
        guards = [] if isinstance(node.operand, _BARE) else self.nullable(node.operand)
        if not items:
            return Expr("True" if node.negated else "False", ATOM)
        # A set display of constants: Python folds it into one frozenset constant.
        members = "{" + ", ".join(items) + "}"
        if not guards:
            return Expr(f"{operand} {'not in' if node.negated else 'in'} {members}", CMP)
        member = self._guarded(guards, Expr(f"{operand} in {members}", CMP))
        return Expr("not " + wrap(member, NOT), NOT) if node.negated else member

    def emit_TextTest(self, node: n.TextTest) -> Expr:
        left, right = wrap(self.emit(node.left), ATOM), wrap(self.emit(node.right), ATOM)
        if node.op == "starts with":
            test = Expr(f"{left}.startswith({right})", ATOM)
        elif node.op == "ends with":
            test = Expr(f"{left}.endswith({right})", ATOM)
        elif node.op == "contains":
            test = Expr(f"{right} in {left}", CMP)
        else:
            raise s.CompileError(f"{s.at(node)}: unknown text test {s.say(node.op)}")
        return self._guarded(s.dedupe(self.nullable(node.left) + self.nullable(node.right)), test)

    def emit_IsMissing(self, node: n.IsMissing) -> Expr:
        leaves = self.nullable(node.operand)
        if not leaves:
            return Expr("True" if node.negated else "False", ATOM)
        if node.negated:
            return Expr(" and ".join(f"{leaf} is not None" for leaf in leaves), AND if len(leaves) > 1 else CMP)
        return Expr(" or ".join(f"{leaf} is None" for leaf in leaves), OR if len(leaves) > 1 else CMP)

    def emit_Not(self, node: n.Not) -> Expr:
        return Expr("not " + wrap(self.condition(node.operand), NOT), NOT)

    def emit_And(self, node: n.And) -> Expr:
        if not node.operands:
            return Expr("True", ATOM)
        # `a and (b and c)` is `a and b and c`: the same value, the same order
        return Expr(" and ".join(wrap(self.condition(c), AND) for c in node.operands), AND)

    def emit_Or(self, node: n.Or) -> Expr:
        if not node.operands:
            return Expr("False", ATOM)
        parts: list[str] = []
        for run in runs(node.operands):
            if len(run) >= RUN:
                parts.append(wrap(self._run(run), NOT))
            else:
                parts += [wrap(self.condition(operand), NOT) for operand in run]
        return Expr(" or ".join(parts), OR)

    def _run(self, run: list[Any]) -> Expr:
        """Several tests of one value against literals, or-ed (`email ends with "a" or
        email ends with "b" ...`, `x = 1 or x = 2 ...`), as one test against a tuple or
        a set: the same truth value, in time that does not grow with the list."""
        first = run[0]
        value = self.emit(first.left).code
        items = s.dedupe(self.emit(test.right).code for test in run)
        if isinstance(first, n.Compare):
            return Expr(f"{value} in {{{', '.join(items)}}}", CMP)  # None is in no set of literals
        method = "startswith" if first.op == "starts with" else "endswith"
        return Expr(f"{value} is not None and {value}.{method}(({', '.join(items)},))", AND)

    def emit_AtLeast(self, node: n.AtLeast) -> Expr:
        # Every emitted condition is a bool, so their sum counts those that hold.
        count = wrap(s.integer(node.count), ADD)
        if not node.conditions:
            return Expr(f"0 >= {count}", CMP)
        terms = [wrap(self.condition(c), MUL) for c in node.conditions]
        if len(terms) > s.CHAIN:  # a flat tuple: `a + b + ...` nests once per `+`
            return Expr(f"sum(({', '.join(terms)},)) >= {count}", CMP)
        return Expr(f"{' + '.join(terms)} >= {count}", CMP)

    def emit_Did(self, node: n.Did) -> Expr:
        counter = self.read(self.analysis.counters[self.analysis.counter_key(node)].name)
        times = wrap(s.integer(node.times), ADD)
        return Expr(f"{counter} < {times}" if node.negated else f"{counter} >= {times}", CMP)
