"""A checked policy (`nodes`) -> the Python source of one standalone module.

    source = compile_policy(checked_tree, policy_text, path)
    module = load_module(source, "acme_policy")     # the one place that runs it
    module.evaluate(fields, activities=(), as_of=None, previous_stage=None, lead_id=None)

The module (PRODUCT.md, "The compiled module") needs only the standard library:
it embeds `leadpolicy/semantics/runtime.py` verbatim, and its `evaluate` returns exactly
the decision of the reference interpreter (docs/semantics-contract.md), to the
last bit of every score, and raises the same data errors.

How the source is made. The skeleton is the Jinja template
`module.py.j2`, with no logic in it. What goes into it comes from
`_ModuleWriter`: one small emit method per node kind (`_emit_Compare`, ...),
each returning a short Python expression with its precedence, and one method
per section of `evaluate`. The same tree always gives the same bytes.

Policy text is untrusted, so:
- every string and number of the policy reaches the source only as the repr of
  a plain str, int or float (`_lit`), never through a format of its own;
- Python names are made here: a fixed prefix and either a name matching
  `[A-Za-z_][A-Za-z0-9_]*` or a number;
- comments and the docstring cite policy text only through `_say` (repr, then
  every non-ASCII character escaped), so nothing in it can end a comment: the
  generated source has no line break but `\n`.

What the generated `evaluate` does for speed:
- one pass over the raw activities both reads each one and adds it to every
  engagement rule total and `did` count of its type; each activity's decay
  factor is computed at most once, from a table of base ** k;
- windows are comparisons of the activity's time with as_of minus the window,
  computed once per lead (exactly `age <= within`, see `_uses`);
- fields a rule uses become locals; conditions are inline expressions with a
  `x is not None and ...` guard only where a value can be missing; `in` lists
  are set displays of constants (Python folds them into frozensets); enum
  members are their indices; a fit rule's condition repeated later (BANT's
  `at least 3 of`) reuses the rule's local; stage conditions are locals;
- reading: the runtime readers define every value. For plain JSON input the
  module reads values inline, repeating the runtime's own first step for that
  kind of value or looking text up in tables of the runtime's answers computed
  at compile time; anything else (other types, and every value the runtime
  would reject) goes to the runtime readers. Activities that are not a list of
  plain objects, or hold anything the runtime must report, are read again by
  `runtime.read_activities`, and its result goes through the same scoring code
  again (each rule is emitted once): the age as a timedelta, exactly the
  contract's integer ages;
- one line per fit rule, engagement cap and hit, where the statement allows.
Floating-point operations happen in the contract's order: totals summed per
rule in input order from 0.0, `points * factor`, scores summed in file order.
"""

from __future__ import annotations

import ast
import hashlib
import re
import types
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple, Optional

import jinja2

from leadpolicy.semantics import runtime
from leadpolicy.syntax import nodes as n

__all__ = ["CompileError", "compile_policy", "load_module"]

DISQUALIFIED = "disqualified"
MICROS_PER_DAY = 86_400_000_000

# Module-level names the compiled policy defines beside the embedded runtime.
MODULE_NAMES = (
    "__all__", "POLICY_NAME", "POLICY_VERSION", "SOURCE_SHA256", "evaluate", "_read_date",
    "_read_number", "_read_boolean", "_read_enum",
    "_FIELDS", "_ACTIVITY_TYPES", "_STAGE_NAMES", "_STAGE_ORDER", "_AT_LABELS", "_DECAY",
    "_datetime_module", "_DATETIME", "_TIMEDELTA", "_FROMISOFORMAT", "_UTC", "_EPOCH_UTC", "_EPOCH_NAIVE",
    "_MICROSECOND",
)
# ... and the generated families that start with these.
MODULE_PREFIXES = ("_ENUM_", "_SPAN_", "_BOOLEAN_", "_ACTIVITY_CODE_", "_PREVIOUS_")


class CompileError(ValueError):
    """The tree cannot be compiled: it was not checked, or was built by hand wrongly."""


# ---------------------------------------------------------------- the front door


def compile_policy(policy: n.Policy, source_text: str, path: str = "<memory>") -> str:
    """The Python source of the standalone module for a checked policy.

    `source_text` is the policy file's text (its sha256 goes into the module);
    `path` is named in the module's docstring. Same arguments, same bytes.
    """
    writer = _ModuleWriter(policy)
    body = writer.body()
    sha = hashlib.sha256(source_text.encode("utf-8")).hexdigest()
    source = _template().render(
        docstring=_docstring(policy, path, sha),
        runtime=runtime_text(),
        policy_name=_lit(policy.name),
        policy_version=_lit(policy.version),
        source_sha256=_lit(sha),
        constants="\n".join(writer.constants()),
        body="\n".join(("    " + line) if line else "" for line in body),
    )
    return source


def load_module(source: str, module_name: str) -> types.ModuleType:
    """Execute the source of a compiled policy (and nothing else) into a fresh module."""
    module = types.ModuleType(module_name)
    module.__file__ = f"<leadpolicy compiled {module_name}>"
    code = compile(source, module.__file__, "exec", dont_inherit=True)
    exec(code, module.__dict__)  # the compiler's own output: see the module docstring
    return module


# ---------------------------------------------------------------- the skeleton and the runtime


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("module.py.j2")


def _template_source(name: str) -> str:
    return _package_text("backends/python/" + name)


def runtime_text() -> str:
    """The text of leadpolicy/semantics/runtime.py, as embedded into every compiled module."""
    text = _package_text("semantics/runtime.py")
    return text if text.endswith("\n") else text + "\n"


def _package_text(relative: str) -> str:
    try:
        return resources.files("leadpolicy").joinpath(relative).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return (Path(__file__).resolve().parents[2] / relative).read_text(encoding="utf-8")


@lru_cache(maxsize=4)
def _runtime_names(text: str) -> frozenset:
    names = set()
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return frozenset(names)


def _check_runtime_names() -> None:
    defined = _runtime_names(runtime_text())
    clash = defined.intersection(MODULE_NAMES) | {name for name in defined if name.startswith(MODULE_PREFIXES)}
    if clash:
        raise CompileError(f"the runtime defines names the compiled module needs: {sorted(clash)}")


# ---------------------------------------------------------------- safe text


def _lit(value: object) -> str:
    """A Python literal for a plain value: the only way policy data enters the source."""
    if value is None or value is True or value is False:
        return repr(value)
    if isinstance(value, str):
        return str.__repr__(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if value != value:
            raise CompileError("a number in the policy is not a number (nan)")
        if value in (float("inf"), float("-inf")):
            return "1e999" if value > 0 else "-1e999"  # literals that read back as infinity
        return float.__repr__(value)
    if isinstance(value, tuple):
        items = [_lit(item) for item in value]
        return "(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")"
    raise CompileError(f"cannot write a {type(value).__name__} as a literal")


_PRINTABLE_ASCII = re.compile(r"[ -~]*")


def _say(text: object) -> str:
    """Text for a comment: a quoted, escaped literal of printable ASCII only.

    repr escapes every line break and control character (\\n, \\r, \\x0b, \\x0c,
    \\x1c-\\x1e, \\x85, \\u2028, \\u2029, ...); the rest of non-ASCII is escaped
    too, so nothing in it can end the comment.
    """
    quoted = str.__repr__(str(text)).encode("ascii", "backslashreplace").decode("ascii")
    if not _PRINTABLE_ASCII.fullmatch(quoted):  # cannot happen; kept as the last line of defence
        raise CompileError("unsafe text in a comment")
    return quoted


def _doc(text: object) -> str:
    """Text for the raw module docstring: `_say` with every `"` written `\\x22`."""
    return _say(text).replace('"', "\\x22")


def _at(node: Optional[n.Node]) -> str:
    span = getattr(node, "span", None)
    return f"line {int(span.line)}" if span is not None else "policy"


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _name(prefix: str, name: object, number: int) -> str:
    """A Python identifier: prefix + a plain ASCII name, else prefix + a number."""
    if isinstance(name, str) and _IDENT.fullmatch(name):
        return prefix + str.__str__(name)
    return f"{prefix}{int(number)}"


def _docstring(policy: n.Policy, path: str, sha: str) -> str:
    lines = [
        'r"""The compiled evaluator of one lead-scoring policy, generated by leadpolicy.',
        "",
        "Do not edit: change the policy and compile it again. Standard library only;",
        "the leadpolicy runtime is embedded below.",
        "",
        f"Policy:  {_doc(policy.name)}",
        f"Version: {_doc(policy.version)}",
        f"Source:  {_doc(path)}",
        f"SHA-256: {_doc(sha)[1:-1]} (of the policy text)",
        "",
        "    decision = evaluate(fields, activities=(), as_of=None, previous_stage=None)",
        '"""',
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------- expressions

# Python operator precedence, loosest first; an expression carries its level so a
# parent adds parentheses only where they are needed.
OR, AND, NOT, CMP, ADD, MUL, UNARY, ATOM = range(1, 9)


class Expr(NamedTuple):
    code: str
    level: int


def _wrap(expr: Expr, level: int) -> str:
    """The expression's code, parenthesised unless it binds at least as tightly as `level`."""
    return expr.code if expr.level >= level else f"({expr.code})"


def _number(value: float) -> Expr:
    code = _lit(float(value))
    return Expr(code, UNARY if code.startswith("-") else ATOM)


def _integer(value: int) -> Expr:
    code = _lit(int(value))
    return Expr(code, UNARY if code.startswith("-") else ATOM)


def _micros(duration: n.Duration) -> int:
    """A duration in whole microseconds (nodes.Duration.micros), or a CompileError."""
    try:
        return int(duration.micros)
    except (OverflowError, ValueError):
        raise CompileError(f"{_at(duration)}: the duration {_say(duration.text or duration.amount)} "
                           f"{_say(duration.unit)} is too long") from None


def _dict_code(table: dict) -> str:
    return "{" + ", ".join(f"{_lit(key)}: {_lit(value)}" for key, value in table.items()) + "}"


def _dedupe(items) -> list:
    return list(dict.fromkeys(items))


def _indent(lines: list[str], depth: int) -> list[str]:
    pad = "    " * depth
    return [pad + line if line else "" for line in lines]


def _statement(condition: Optional[str], body: list[str], comment: str) -> list[str]:
    """`body` under `if condition` (none: always), with a comment: on one line when
    every line of the body is a simple statement."""
    if any(line.startswith(" ") or line.endswith(":") for line in body):
        head = [f"# {comment}"]
        return head + ([f"if {condition}:", *_indent(body, 1)] if condition is not None else body)
    simple = "; ".join(body)
    return [f"if {condition}: {simple}  # {comment}" if condition is not None else f"{simple}  # {comment}"]


_PY_COMPARE = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_BARE = (n.FieldRef, n.PropRef, n.Grade)  # values held in one local that may be None
_LITERALS = (n.Number, n.String, n.DateLit, n.Bool, n.EnumValue, n.GradeValue)


class _Loop:
    """What evaluate does with each activity of one declared type."""

    def __init__(self, decl: n.ActivityDecl):
        self.decl = decl
        self.props: dict[str, str] = {}  # property name -> local
        # (comment, window in micros or None, `where` code or None, what it adds to)
        self.rules: list[tuple[str, Optional[int], Optional[str], "_RuleTotal"]] = []
        self.dids: list[tuple[str, Optional[int], Optional[str], str]] = []


class _RuleTotal:
    def __init__(self, rule: n.EngagementRule, total: str, count: str):
        self.rule = rule
        self.total = total
        self.count = count


class _ModuleWriter:
    """Emits the constants and the body of `evaluate` for one policy."""

    def __init__(self, policy: n.Policy):
        if not isinstance(policy, n.Policy):
            raise CompileError("compile_policy needs a checked nodes.Policy")
        _check_runtime_names()
        self.policy = policy
        self.fields = {decl.name: decl for decl in policy.fields}
        self.field_locals: dict[str, str] = {}  # every field a rule uses -> its local
        self.activities = {decl.name: decl for decl in policy.activities}
        self.activities_lower = {decl.name.lower(): decl for decl in policy.activities}
        self.loops: dict[str, _Loop] = {}  # activity types evaluate looks at
        self.dids: dict[tuple, str] = {}  # (activity, where, within micros) -> counter
        self.did_comments: dict[str, str] = {}  # counter -> where the `did` is in the policy
        self.windows: dict[int, str] = {}  # micros -> timedelta constant
        self.since: dict[int, str] = {}  # window micros -> local: as_of minus the window
        self.tables: dict[tuple, tuple[str, str]] = {}  # reader tables -> constant names
        self.table_values: dict[str, dict] = {}  # constant name -> {text: answer}
        self.stages = policy.stages
        if not self.stages:
            raise CompileError("a policy needs at least one stage")
        self.stage_index = {s.name: i for i, s in enumerate(self.stages)}
        self.stage_index_lower = {s.name.lower(): i for i, s in enumerate(self.stages)}
        self.stage_locals = [_name("is_", s.name, i) for i, s in enumerate(self.stages)]
        self.scope: Optional[str] = None  # the activity type whose properties are in scope
        self.named: dict[n.Expr, str] = {}  # conditions already held in a local (fit rules)
        self.used_named: set[str] = set()  # those locals that later code reads
        self.fit_locals: list[tuple] = []  # (lines, index, local, its two lines without the local)
        self.reused = False  # whether the condition just emitted reads such a local
        self.enum_notes: list[str] = []  # enum members in the code being emitted
        self.helpers: set[str] = set()  # the reading helpers the module needs
        self.counters: dict[str, int] = {}
        self.totals: list[_RuleTotal] = []  # engagement rule totals, in file order
        self.uses_days_since = False
        decay = policy.decay
        self.decay_base: Optional[str] = None  # the literal (1 - X/100)
        self.decay_every = 0  # the period in microseconds
        if decay is not None:
            self.decay_every = _micros(decay.every)
            if self.decay_every <= 0:
                raise CompileError(f"{_at(decay)}: the decay period must be positive")
            self.decay_base = _lit(float(1 - decay.percent / 100))

    def _next(self, prefix: str) -> int:
        """The next number for generated names that start with `prefix`."""
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return self.counters[prefix]

    # -- lookups

    def _activity(self, name: str, node: n.Node) -> n.ActivityDecl:
        decl = self.activities.get(name) or self.activities_lower.get(str(name).lower())
        if decl is None:
            raise CompileError(f"{_at(node)}: unknown activity {_say(name)} (was the policy checked?)")
        return decl

    def _stage(self, name: str, node: n.Node) -> int:
        index = self.stage_index.get(name)
        if index is None:
            index = self.stage_index_lower.get(str(name).lower())
        if index is None:
            raise CompileError(f"{_at(node)}: unknown stage {_say(name)} (was the policy checked?)")
        return index

    def _loop(self, decl: n.ActivityDecl) -> _Loop:
        loop = self.loops.get(decl.name)
        if loop is None:
            loop = self.loops[decl.name] = _Loop(decl)
        return loop

    def _span(self, micros: int) -> str:
        """A module constant: the timedelta of that many microseconds."""
        name = self.windows.get(micros)
        if name is None:
            if micros % MICROS_PER_DAY == 0:
                name = f"_SPAN_DAYS_{micros // MICROS_PER_DAY}"
            else:
                name = f"_SPAN_MICROS_{micros}"
            self.windows[micros] = name
        return name

    # -- dispatch

    def emit(self, node: n.Expr) -> Expr:
        method = getattr(self, "_emit_" + type(node).__name__, None)
        if method is None:
            raise CompileError(f"{_at(node)}: cannot compile a {type(node).__name__} node")
        return method(node)

    def condition(self, node: n.Expr) -> Expr:
        """A node used as a condition: a boolean value alone means `is True`."""
        if self.scope is None:
            local = self.named.get(node)
            if local is not None:
                self.used_named.add(local)
                self.reused = True
                return Expr(local, ATOM)
        if isinstance(node, (n.FieldRef, n.PropRef)):
            return Expr(f"{self.emit(node).code} is True", CMP)
        if isinstance(node, n.Paren):
            return self.condition(node.inner)
        return self.emit(node)

    def nullable(self, node: n.Expr) -> list[str]:
        """The locals that must not be None for the value of `node` to exist."""
        if isinstance(node, _BARE):
            return [self.emit(node).code]
        if isinstance(node, n.DaysSince):
            return [self._field_local(node.field_name, node)]
        if isinstance(node, n.Neg):
            return self.nullable(node.operand)
        if isinstance(node, n.Arith):
            return _dedupe(self.nullable(node.left) + self.nullable(node.right))
        if isinstance(node, n.Paren):
            return self.nullable(node.inner)
        return []

    @staticmethod
    def _guarded(guards: list[str], test: Expr) -> Expr:
        if not guards:
            return test
        parts = [f"{g} is not None" for g in guards] + [_wrap(test, NOT)]
        return Expr(" and ".join(parts), AND)

    # -- values

    def _emit_Number(self, node: n.Number) -> Expr:
        return _number(node.value)

    def _emit_String(self, node: n.String) -> Expr:
        return Expr(_lit(str(node.value).lower()), ATOM)

    def _emit_DateLit(self, node: n.DateLit) -> Expr:
        return _integer(node.micros)

    def _emit_Bool(self, node: n.Bool) -> Expr:
        return Expr("True" if node.value else "False", ATOM)

    def _emit_EnumValue(self, node: n.EnumValue) -> Expr:
        note = f"{int(node.index)} is {_say(node.member)}"
        if note not in self.enum_notes:
            self.enum_notes.append(note)
        return _integer(node.index)

    def _notes(self) -> str:
        """For the comment of the statement just emitted: the enum members its code
        compares by index ("; 2 is 'director', 3 is 'vp'"); then forget them."""
        notes, self.enum_notes = self.enum_notes, []
        return "; " + ", ".join(notes) if notes else ""

    def _emit_GradeValue(self, node: n.GradeValue) -> Expr:
        return Expr(_lit(node.letter), ATOM)

    def _field_local(self, name: str, node: n.Node) -> str:
        local = self.field_locals.get(name)
        if local is None:
            if name not in self.fields:
                raise CompileError(f"{_at(node)}: unknown field {_say(name)} (was the policy checked?)")
            local = self.field_locals[name] = _name("f_", name, self._next("f_"))
        return local

    def _emit_FieldRef(self, node: n.FieldRef) -> Expr:
        return Expr(self._field_local(node.name, node), ATOM)

    def _emit_PropRef(self, node: n.PropRef) -> Expr:
        if self.scope is None:
            raise CompileError(f"{_at(node)}: property {_say(node.name)} outside a `where`")
        decl = self._activity(node.activity, node)
        if decl.name != self.scope or node.name not in {p.name for p in decl.props}:
            raise CompileError(f"{_at(node)}: {_say(node.name)} is not a property of {_say(self.scope)}")
        loop = self._loop(decl)
        local = loop.props.get(node.name)
        if local is None:
            local = loop.props[node.name] = _name("p_", node.name, self._next("p_"))
        return Expr(local, ATOM)

    def _emit_StageRef(self, node: n.StageRef) -> Expr:
        index = self._stage(node.name, node)
        return Expr("True" if index == 0 else self.stage_locals[index], ATOM)

    def _emit_Engagement(self, node: n.Engagement) -> Expr:
        return Expr("engagement", ATOM)

    def _emit_Fit(self, node: n.Fit) -> Expr:
        return Expr("fit", ATOM)

    def _emit_Grade(self, node: n.Grade) -> Expr:
        return Expr("grade", ATOM)

    def _emit_DaysSince(self, node: n.DaysSince) -> Expr:
        local = self._field_local(node.field_name, node)
        self.uses_days_since = True
        return Expr(f"float((now - {local}) // {MICROS_PER_DAY})", ATOM)

    def _emit_Neg(self, node: n.Neg) -> Expr:
        return Expr("-" + _wrap(self.emit(node.operand), UNARY), UNARY)

    def _emit_Arith(self, node: n.Arith) -> Expr:
        if node.op not in ("+", "-", "*"):
            raise CompileError(f"{_at(node)}: unknown operator {_say(node.op)}")
        level = MUL if node.op == "*" else ADD
        left = _wrap(self.emit(node.left), level)
        right = _wrap(self.emit(node.right), level + 1)
        return Expr(f"{left} {node.op} {right}", level)

    def _emit_Paren(self, node: n.Paren) -> Expr:
        return self.emit(node.inner)

    def _emit_Name(self, node: n.Name) -> Expr:
        raise CompileError(f"{_at(node)}: the name {_say(node.name)} was not resolved; check the policy first")

    # -- conditions

    def _emit_Compare(self, node: n.Compare) -> Expr:
        op = _PY_COMPARE.get(node.op)
        if op is None:
            raise CompileError(f"{_at(node)}: unknown comparison {_say(node.op)}")
        code_l, code_r = _wrap(self.emit(node.left), ADD), _wrap(self.emit(node.right), ADD)
        left_null, right_null = self.nullable(node.left), self.nullable(node.right)
        if node.op in ("=", "!="):
            # None == value is False and None != value is True, as the contract says, so a
            # plain local against a value that is never missing needs no guard.
            bare_l, bare_r = isinstance(node.left, _BARE), isinstance(node.right, _BARE)
            if (not left_null and not right_null) or (bare_l and not right_null) or (bare_r and not left_null):
                return Expr(f"{code_l} {op} {code_r}", CMP)
            equal = self._guarded(_dedupe(left_null + right_null), Expr(f"{code_l} == {code_r}", CMP))
            return equal if node.op == "=" else Expr("not " + _wrap(equal, NOT), NOT)
        return self._guarded(_dedupe(left_null + right_null), Expr(f"{code_l} {op} {code_r}", CMP))

    def _emit_InList(self, node: n.InList) -> Expr:
        items: list[str] = []
        for item in node.items:
            if not isinstance(item, _LITERALS):
                raise CompileError(f"{_at(item)}: `in` lists hold literals only")
            items.append(self.emit(item).code)
        items = _dedupe(items)
        operand = _wrap(self.emit(node.operand), ADD)
        # A missing value (None) is in no list of literals; arithmetic needs its operands.
        guards = [] if isinstance(node.operand, _BARE) else self.nullable(node.operand)
        if not items:
            return Expr("True" if node.negated else "False", ATOM)
        # A set display of constants: Python folds it into one frozenset constant.
        members = "{" + ", ".join(items) + "}"
        if not guards:
            return Expr(f"{operand} {'not in' if node.negated else 'in'} {members}", CMP)
        member = self._guarded(guards, Expr(f"{operand} in {members}", CMP))
        return Expr("not " + _wrap(member, NOT), NOT) if node.negated else member

    def _emit_TextTest(self, node: n.TextTest) -> Expr:
        left, right = _wrap(self.emit(node.left), ATOM), _wrap(self.emit(node.right), ATOM)
        if node.op == "starts with":
            test = Expr(f"{left}.startswith({right})", ATOM)
        elif node.op == "ends with":
            test = Expr(f"{left}.endswith({right})", ATOM)
        elif node.op == "contains":
            test = Expr(f"{right} in {left}", CMP)
        else:
            raise CompileError(f"{_at(node)}: unknown text test {_say(node.op)}")
        return self._guarded(_dedupe(self.nullable(node.left) + self.nullable(node.right)), test)

    def _emit_IsMissing(self, node: n.IsMissing) -> Expr:
        leaves = self.nullable(node.operand)
        if not leaves:
            return Expr("True" if node.negated else "False", ATOM)
        if node.negated:
            return Expr(" and ".join(f"{leaf} is not None" for leaf in leaves), AND if len(leaves) > 1 else CMP)
        return Expr(" or ".join(f"{leaf} is None" for leaf in leaves), OR if len(leaves) > 1 else CMP)

    def _emit_Not(self, node: n.Not) -> Expr:
        return Expr("not " + _wrap(self.condition(node.operand), NOT), NOT)

    def _emit_And(self, node: n.And) -> Expr:
        if not node.operands:
            return Expr("True", ATOM)
        # `a and (b and c)` is `a and b and c`: the same value, the same order
        return Expr(" and ".join(_wrap(self.condition(c), AND) for c in node.operands), AND)

    def _emit_Or(self, node: n.Or) -> Expr:
        if not node.operands:
            return Expr("False", ATOM)
        return Expr(" or ".join(_wrap(self.condition(c), NOT) for c in node.operands), OR)

    def _emit_AtLeast(self, node: n.AtLeast) -> Expr:
        # Every emitted condition is a bool, so their sum counts those that hold.
        if not node.conditions:
            return Expr(f"0 >= {_wrap(_integer(node.count), ADD)}", CMP)
        terms = " + ".join(_wrap(self.condition(c), MUL) for c in node.conditions)
        return Expr(f"{terms} >= {_wrap(_integer(node.count), ADD)}", CMP)

    def _emit_Did(self, node: n.Did) -> Expr:
        counter = self._did_counter(node)
        times = _wrap(_integer(node.times), ADD)
        return Expr(f"{counter} < {times}" if node.negated else f"{counter} >= {times}", CMP)

    def _did_counter(self, node: n.Did) -> str:
        """The counter of the activities a `did` counts; one per distinct (type, where, within)."""
        within = _micros(node.within) if node.within is not None else None
        if node.activity is None:
            if node.where is not None:
                raise CompileError(f"{_at(node)}: `did activity` takes no `where`")
            decls = list(self.policy.activities)
        else:
            decls = [self._activity(node.activity, node)]
        key = (decls[0].name if node.activity is not None else None, node.where, within)
        counter = self.dids.get(key)
        if counter is not None:
            return counter
        counter = self.dids[key] = f"did_{self._next('did_')}"
        what = "activity" if node.activity is None else _say(decls[0].name)
        where, notes = self._where(decls[0], node.where) if node.where is not None else (None, "")
        comment = self.did_comments[counter] = f"{_at(node)}: did {what}{notes}"
        for decl in decls:
            self._loop(decl).dids.append((comment, within, where, counter))
        return counter

    def _where(self, decl: n.ActivityDecl, where: Optional[n.Expr]) -> tuple[Optional[str], str]:
        """A `where` filter as a condition on the property locals of one activity of `decl`,
        and the notes for its comment."""
        if where is None:
            return None, ""
        saved, self.scope = self.scope, decl.name
        outer, self.enum_notes = self.enum_notes, []
        try:
            return _wrap(self.condition(where), AND), self._notes()
        finally:
            self.scope, self.enum_notes = saved, outer

    # -- evaluate

    def body(self) -> list[str]:
        """The body of evaluate. Every section is emitted before the reading code is
        written, since emitting is what finds the fields and properties used."""
        policy = self.policy
        sections = []
        for block in policy.blocks:
            if block.kind == "engagement":
                sections.append(self._engagement_section(block))
            elif block.kind == "fit":
                sections.append(self._fit_section(block))
        if policy.block("engagement") is None:
            sections.insert(0, ["engagement = 0.0  # no engagement block"])
        if policy.block("fit") is None:
            sections.insert(0, ["fit = 0.0  # no fit block"])
        grade = self._grade_section()
        stages = self._stage_section()
        decision = self._decision_section()
        # A fit rule's local stays only where later code reads it (BANT's `at least`).
        for lines, index, local, replacement in reversed(self.fit_locals):
            if local not in self.used_named:
                lines[index:index + 2] = replacement

        lines = self._read_as_of() + [""] + self._read_fields() + [""] + self._read_activities()
        lines += ["", *self._read_previous(), "hits = []"]
        for part in (*sections, grade, stages, decision):
            lines.append("")
            lines.extend(part)
        return lines

    # -- reading the lead
    #
    # The runtime readers define what every input value means. For plain JSON-shaped
    # input (dicts, lists, str, int, float, bool) the code below reads values itself,
    # in exactly the runtime's way, and hands everything else to the runtime readers.

    def _read_as_of(self) -> list[str]:
        lines = [
            "# ---- reading the lead (docs/language-reference.md section 16), in the runtime's order: as of,",
            "# fields, activities, previous stage. The runtime readers (above) define every",
            "# value; plain JSON values are read here the same way, faster, and anything else",
            "# goes to them.",
            "if type(as_of) is _DATETIME and (as_of.tzinfo is _UTC or as_of.tzinfo is None):",
            "    now_utc = as_of if as_of.tzinfo is _UTC else as_of.replace(tzinfo=_UTC)",
            "else:",
            "    now_utc = _EPOCH_UTC + _TIMEDELTA(0, 0, read_as_of(as_of))",
        ]
        if self.uses_days_since:
            lines.append("now = (now_utc - _EPOCH_UTC) // _MICROSECOND  # as_of in microseconds")
        return lines

    def _read_fields(self) -> list[str]:
        lines = ["if type(fields) is dict:", "    get = fields.get"] if self.policy.fields else \
            ["if type(fields) is dict:", "    pass"]
        for decl in self.policy.fields:
            target = self.field_locals.get(decl.name)
            read = self._read_value(target, f"get({_lit(decl.name)})", decl.type, _lit(decl.name))
            lines += _indent(read, 1)
        lines += ["else:", "    values = read_fields(fields, _FIELDS, lead_id)"]
        for decl in self.policy.fields:
            if decl.name in self.field_locals:
                lines.append(f"    {self.field_locals[decl.name]} = values[{_lit(decl.name)}]")
        return lines

    def _read_value(self, target: Optional[str], getter: str, ftype: n.FieldType, label: str) -> list[str]:
        """Read one value into `target` as its runtime reader does (None when absent or
        null); with no target, only check it as the runtime reader would.

        Each fast branch repeats what the runtime reader does for that exact kind of
        input, or looks the text up in a table of the runtime's own answers (see
        `_tables`); every other input goes to the runtime reader itself."""
        t = target or "value"
        lines = [f"{t} = {getter}"]
        kind = ftype.kind
        if kind == "text" and target is None:
            lines += [f"if {t} is not None and type({t}) is not str:  # any str is text",
                      f"    read_text({t}, {label}, lead_id)"]
        elif kind == "text":
            lines += [f"if {t} is not None:",
                      f"    {t} = ({t}.strip().lower() or None) if type({t}) is str else "
                      f"read_text({t}, {label}, lead_id)"]
        elif kind == "number":
            self.helpers.add("number")
            lines += [f"if {t} is not None:",
                      f"    {t} = _read_number({t}, {label}, lead_id)"]
        elif kind == "boolean":
            self.helpers.add("boolean")
            self._boolean_table()
            lines += [f"if {t} is not None and {t} is not True and {t} is not False:",
                      f"    {t} = _read_boolean({t}, {label}, lead_id)"]
        elif kind == "enum":
            self.helpers.add("enum")
            members = tuple(str(m) for m in ftype.members)
            exact, lower = self._tables("_ENUM", members + tuple(m.lower() for m in members),
                                        lambda text: runtime.read_enum(text, members, "member"))
            lines += [f"if {t} is not None:",
                      f"    index = {exact}.get({t}) if type({t}) is str else None",
                      f"    {t} = _read_enum({t}, {lower}, {_lit(members)}, {label}, lead_id) if index is None else index"]
        elif kind == "date":
            lines += [f"if {t} is not None:",
                      f"    {t} = _read_date({t}, {label}, lead_id)"]
        else:
            raise CompileError(f"unknown type {_say(kind)}")
        return lines

    def _tables(self, prefix: str, candidates, answer) -> tuple[str, str]:
        """Two constants of the runtime's own answers, computed now, for input texts.

        EXACT maps each candidate text to `answer(text)`; LOWER keeps the candidates
        that are already trimmed and lower-cased. The runtime readers trim and lower-case
        a text before they look at it, so for any input `v`, LOWER[v.strip().lower()] is
        the runtime's answer for `v` whenever it is there. Texts the runtime rejects, or
        reads as missing, are left out: those inputs go to the runtime readers."""
        key = (prefix, tuple(candidates))
        names = self.tables.get(key)
        if names is None:
            exact = {}
            for text in _dedupe(candidates):
                try:
                    value = answer(text)
                except runtime.LeadDataError:
                    continue
                if value is not None:
                    exact[text] = value
            lower = {text: value for text, value in exact.items() if text.strip().lower() == text}
            number = self._next(prefix)
            if lower == exact:  # every candidate is trimmed and lower-case already
                names = self.tables[key] = (f"{prefix}_{number}", f"{prefix}_{number}")
                self.table_values[names[0]] = exact
            else:
                names = self.tables[key] = (f"{prefix}_{number}", f"{prefix}_{number}_LOWER")
                self.table_values[names[0]] = exact
                self.table_values[names[1]] = lower
        return names

    def _read_activities(self) -> list[str]:
        """One pass over the raw activities that reads each one and, at once, adds it to
        every engagement rule total and `did` count of its type; or, for input the
        runtime must read itself, a second time through the same code over
        runtime.read_activities' result (so every rule is emitted once)."""
        init = []
        for total in self.totals:
            init.append(f"{total.total} = 0.0; {total.count} = 0  # {_at(total.rule)} {_say(total.rule.name)}")
        for counter in self.dids.values():
            init.append(f"{counter} = 0  # {self.did_comments[counter]}")
        branches: list[str] = []
        keyword = "if"
        for code, decl in enumerate(self.policy.activities):
            loop = self.loops.get(decl.name)
            read: list[str] = []
            for prop in decl.props:
                target = loop.props.get(prop.name) if loop is not None else None
                read += self._read_value(target, f"item.get({_lit(prop.name)})", prop.type,
                                         _lit(decl.name + "." + prop.name))
            uses = self._uses(loop)
            branch: list[str] = []
            if read:
                again = [f"{loop.props[p.name]} = props[{_lit(p.name)}]"
                         for p in decl.props if loop is not None and p.name in loop.props]
                if again:
                    branch += ["if again:", *_indent(again, 1), "else:", *_indent(read, 1)]
                else:
                    branch += ["if not again:", *_indent(read, 1)]
            if uses:
                branch += ["if at <= ref:  # not after as_of", *_indent(uses, 1)]
            if branch:
                branches += [f"{keyword} code == {code}:  # {_say(decl.name)}", *_indent(branch, 1)]
                keyword = "elif"
        since = [f"{local} = ref - {self._span(micros)}" for micros, local in sorted(self.since.items())]
        codes, codes_lower = self._activity_codes()
        names = _lit(tuple(decl.name for decl in self.policy.activities))
        return [
            "# ---- activities: every declared activity is read and checked (those after as_of",
            "# too); each one up to as_of, in input order, goes into every engagement rule",
            "# total (after decay) and `did` count of its type. The first pass reads the raw",
            "# activities; input that is not a list of plain objects, or holds something only",
            "# the runtime reader can say, is read by runtime.read_activities and goes through",
            "# the same code again (`again`), as (type code, -age, properties): with `ref` the",
            "# zero timedelta, `at >= ref - W` is exactly `age <= W` and `(ref - at)` is the age.",
            "ref = now_utc",
            "again = False",
            "slow = type(activities) is not list and type(activities) is not tuple",
            "source = () if slow else activities",
            "while True:",
            *_indent(init, 1),
            "    if source:",
            "        try:",
            *_indent(since, 3),
            "            for item in source:",
            "                if again:",
            "                    code, at, props = item",
            "                else:",
            "                    if type(item) is not dict:",
            "                        slow = True",
            "                        break",
            "                    name = item.get('type')",
            "                    if type(name) is not str:",
            "                        slow = True",
            "                        break",
            f"                    code = {codes}.get(name)",
            "                    if code is None:",
            "                        name = name.strip().lower()",
            f"                        code = {codes_lower}.get(name)",
            "                        if code is None:",
            "                            if name:",
            "                                continue  # an undeclared type is ignored, whatever it holds",
            "                            slow = True",
            "                            break",
            "                    at = item.get('at')",
            "                    if type(at) is str:",
            "                        # What fromisoformat accepts starts with a digit and ends with a digit or",
            "                        # a zone, so it is what the runtime's strip() would leave; padded text",
            "                        # (a ValueError here) goes the slow way.",
            "                        at = _FROMISOFORMAT(at)",
            "                        if at.tzinfo is None:",
            "                            at = at.replace(tzinfo=_UTC)  # no zone means UTC",
            "                    elif at is None:",
            "                        slow = True",
            "                        break",
            "                    else:",
            "                        at = _EPOCH_UTC + _TIMEDELTA(0, 0, parse_instant(at, _AT_LABELS[code], lead_id))",
            *_indent(branches, 4),
            "        except (ValueError, OverflowError):  # LeadDataError included: the runtime reports it",
            "            if again:",
            "                raise",
            "            slow = True",
            "    if again or not slow:",
            "        break",
            "    # not a list of plain objects, or something only the runtime reader can say",
            "    acts = read_activities(activities, _ACTIVITY_TYPES, (now_utc - _EPOCH_UTC) // _MICROSECOND, lead_id)",
            f"    source = [(code, -_TIMEDELTA(0, 0, age), props) for code, name in enumerate({names})",
            "              for age, props in acts[name]]",
            "    ref = _TIMEDELTA(0)",
            "    again = True",
        ]

    def _uses(self, loop: Optional[_Loop]) -> list[str]:
        """What one activity adds to the totals and counts of its type.

        Its time is `at` (not after `ref`), and a window is `at >= since_...`, the
        start of the window (`ref` minus it) computed once per lead. On the first pass
        `ref` is as_of and `at` the activity's aware datetime; on the second (the
        runtime's reading) `ref` is the zero timedelta and `at` minus the contract's
        integer age, as a timedelta. Both are exact: age <= W exactly when
        at >= ref - W, and the number of whole k-day periods in an age is the
        timedelta `ref - at`'s `.days // k`."""
        if loop is None:
            return []

        def window(micros: Optional[int]) -> Optional[str]:
            if micros is None:
                return None
            return f"at >= {self._since(micros)}"

        def test(micros: Optional[int], where: Optional[str]) -> Optional[str]:
            parts = [part for part in (window(micros), where) if part is not None]
            return " and ".join(parts) if parts else None

        lines: list[str] = []
        # The decay factor, at most once per activity: with one rule, where it matches;
        # with two, the first time one matches; with more, before them all.
        decayed = len(loop.rules) if self.decay_base is not None else 0
        lazy = decayed == 2
        if lazy:
            lines.append("factor = None  # the decay factor, computed at most once per activity")
        elif decayed > 2:
            lines += ["# the decay factor of this activity", *self._factor()]
        for number, (comment, within, where, total) in enumerate(loop.rules):
            points = _wrap(_number(total.rule.points), MUL)
            body: list[str] = []
            if self.decay_base is None:
                body.append(f"{total.total} += {_number(total.rule.points).code}")
            else:
                if lazy and number == 0:
                    body += self._factor()  # the first rule: nothing computed it yet
                elif lazy:
                    body += ["if factor is None:", *_indent(self._factor(), 1)]
                elif decayed == 1:
                    body += self._factor()
                body.append(f"{total.total} += {points} * factor")
            body.append(f"{total.count} += 1")
            lines += _statement(test(within, where), body, comment)
        for comment, within, where, counter in loop.dids:
            lines += _statement(test(within, where), [f"{counter} += 1"], comment)
        return lines

    def _factor(self) -> list[str]:
        """factor = base ** floor(age / every), from the table of its first 64 values."""
        every = self.decay_every
        if every % MICROS_PER_DAY == 0:
            periods = f"(ref - at).days // {_lit(every // MICROS_PER_DAY)}"
        else:
            periods = f"(ref - at) // {self._span(every)}"
        return [f"periods = {periods}",
                f"factor = _DECAY[periods] if periods < 64 else {self.decay_base} ** periods"]

    def _since(self, micros: int) -> str:
        """The local holding as_of minus a window of that many microseconds."""
        name = self.since.get(micros)
        if name is None:
            days, rest = divmod(micros, MICROS_PER_DAY)
            name = self.since[micros] = f"since_{days}_days" if not rest else f"since_{micros}_us"
            self._span(micros)
        return name

    def _read_previous(self) -> list[str]:
        names = tuple(stage.name for stage in self.stages)
        exact, lower = self._tables("_PREVIOUS", (*names, DISQUALIFIED, *(name.lower() for name in names)),
                                    lambda text: runtime.read_previous_stage(text, names))
        return [
            "if previous_stage is None:",
            "    previous = None",
            "elif type(previous_stage) is str:  # a stage name is never empty text",
            f"    previous = ({exact}.get(previous_stage) or {lower}.get(previous_stage.strip().lower())",
            "                or read_previous_stage(previous_stage, _STAGE_NAMES, lead_id))",
            "else:",
            "    previous = read_previous_stage(previous_stage, _STAGE_NAMES, lead_id)",
        ]

    def _activity_codes(self) -> tuple[str, str]:
        """Tables of the activity type (its index in the declarations) the runtime reads
        for the declared names, as written and lower-cased."""
        declared = {decl.name.lower(): (decl.name, tuple((p.name, p.type.kind, tuple(p.type.members))
                                                      for p in decl.props))
                 for decl in self.policy.activities}
        codes = {decl.name: code for code, decl in enumerate(self.policy.activities)}

        def answer(text: str) -> Optional[int]:
            read = runtime.read_activities([{"type": text, "at": "1970-01-01"}], declared, 0)
            found = [name for name, acts in read.items() if acts]
            return codes[found[0]] if found else None

        names = [decl.name for decl in self.policy.activities]
        return self._tables("_ACTIVITY_CODE", names + [name.lower() for name in names], answer)

    # -- scores, grade, stage

    def _engagement_section(self, block: n.Block) -> list[str]:
        totals = []
        for item in block.items:
            if not isinstance(item, n.EngagementRule):
                continue
            decl = self._activity(item.activity, item)
            number = self._next("eng_")
            total = _RuleTotal(item, f"eng_{number}", f"n_{number}")
            within = _micros(item.within) if item.within is not None else None
            where, notes = self._where(decl, item.where)
            self._loop(decl).rules.append((f"{_at(item)} {_say(item.name)}{notes}", within, where, total))
            totals.append(total)
        self.totals.extend(totals)
        lines = [f"# ---- engagement ({_at(block)}): each rule's total capped by its `max`, then the",
                 "# score: 0.0 plus the totals in file order"]
        for total in totals:
            rule = total.rule
            if rule.max is None:
                continue
            cap = float(rule.max)
            if float(rule.points) >= 0:
                lines.append(f"if {total.total} > {_number(cap).code}: {total.total} = {_number(cap).code}"
                             f"  # {_at(rule)} {_say(rule.name)}: max")
            else:
                lines.append(f"if {total.total} < {_number(-cap).code}: {total.total} = {_number(-cap).code}"
                             f"  # {_at(rule)} {_say(rule.name)}: max")
        lines.append("engagement = " + " + ".join(["0.0"] + [t.total for t in totals]))
        for total in totals:
            lines.append(f"if {total.total} != 0.0: hits.append({{'section': 'engagement', "
                         f"'rule': {_lit(total.rule.name)}, 'points': {total.total}, 'count': {total.count}}})")
        return lines

    def _fit_section(self, block: n.Block) -> list[str]:
        lines = [f"# ---- fit ({_at(block)}): 0.0 plus the points of each rule that holds, in file order",
                 "fit = 0.0"]
        rules: list = []
        for item in block.items:
            rules.extend(item.rules if isinstance(item, n.FitGroup) else [item])
        for rule in rules:
            if not isinstance(rule, n.FitRule):
                raise CompileError(f"{_at(rule)}: not a fit rule")
            local = f"fit_{self._next('fit_')}"
            points = _number(rule.points).code
            group = "" if rule.group is None else f" (group {_say(rule.group)})"
            self.reused = False
            condition = self.condition(rule.condition).code
            comment = f"# {_at(rule)} {_say(rule.name)}{group}{self._notes()}"
            action = f"fit += {points}"
            if float(rule.points) != 0:
                action += (f"; hits.append({{'section': 'fit', 'group': {_lit(rule.group)}, "
                           f"'rule': {_lit(rule.name)}, 'points': {points}}})")
            # One line a rule; a condition that reuses earlier rules' locals (BANT's
            # `at least 3 of`) keeps its own lines, to be read.
            if self.reused:
                lines.append(comment)
                self.fit_locals.append((lines, len(lines), local, [f"if {condition}:"]))
                lines += [f"{local} = {condition}", f"if {local}:"]
                lines.append(f"    {action}")
            else:
                self.fit_locals.append((lines, len(lines), local, [f"if {condition}: {action}  {comment}"]))
                lines += [f"{local} = {condition}  {comment}", f"if {local}: {action}"]
            self.named.setdefault(rule.condition, local)
        return lines

    def _grade_section(self) -> list[str]:
        bands = self.policy.grades
        if not bands:
            return ["grade = None  # no grades block"]
        lines = [f"# ---- grade ({_at(self.policy.block('grades'))}): the first band that holds"]
        keyword = "if"
        for band in bands:
            letter = _lit(band.letter)
            if band.condition is None:
                if keyword == "if":
                    lines.append(f"grade = {letter}  # {_at(band)} otherwise")
                else:
                    lines += [f"else:  # {_at(band)} otherwise", f"    grade = {letter}"]
                return lines
            condition = self.condition(band.condition).code
            lines += [f"{keyword} {condition}:  # {_at(band)}{self._notes()}", f"    grade = {letter}"]
            keyword = "elif"
        lines += ["else:", "    grade = None"]
        return lines

    def _stage_section(self) -> list[str]:
        stages = self.stages
        lines = [f"# ---- qualified stage ({_at(self.policy.block('stages'))}): the highest stage whose entry",
                 "# condition holds; the first stage always holds"]
        for i, stage in enumerate(stages[1:], 1):
            condition = "True" if stage.condition is None else self.condition(stage.condition).code
            lines.append(f"{self.stage_locals[i]} = {condition}  # {_at(stage)} {_say(stage.name)}{self._notes()}")
        if len(stages) == 1:
            return lines + ["qualified = 0"]
        keyword = "if"
        for i in range(len(stages) - 1, 0, -1):
            lines += [f"{keyword} {self.stage_locals[i]}:", f"    qualified = {i}"]
            keyword = "elif"
        return lines + ["else:", "    qualified = 0"]

    def _decision_section(self) -> list[str]:
        policy = self.policy
        lines = ["# ---- the decision (docs/language-reference.md section 14): disqualification first; then promotion",
                 "# or a fresh placement; else the sticky previous stage and its demotions"]
        keyword = "if"
        for rule in policy.disqualifications:
            condition = self.condition(rule.condition).code
            lines += [f"{keyword} {condition}:  # {_at(rule)} {_say(rule.name)}{self._notes()}",
                      f"    stage = {_lit(DISQUALIFIED)}",
                      f"    kind = {_lit(DISQUALIFIED)}",
                      f"    rule = {_lit(rule.name)}"]
            keyword = "elif"
        lines += [f"{keyword} previous is None or previous == {_lit(DISQUALIFIED)} "
                  "or qualified >= _STAGE_ORDER[previous]:",
                  "    stage = _STAGE_NAMES[qualified]",
                  "    kind = 'qualified'",
                  "    rule = None",
                  "else:"]
        if not policy.demotions:
            lines += ["    stage = previous  # no demotion rules: the lead holds its stage",
                      "    kind = 'held'",
                      "    rule = None"]
        else:
            lines += ["    at = _STAGE_ORDER[previous]", "    rule = None", "    while at > qualified:"]
            keyword = "if"
            for rule in policy.demotions:
                source, target = self._stage(rule.source, rule), self._stage(rule.target, rule)
                if target >= source:
                    raise CompileError(f"{_at(rule)}: demotion {_say(rule.name)} does not go down")
                condition = _wrap(self.condition(rule.condition), NOT)
                lines += [f"        {keyword} at == {source} and {condition}:",
                          f"            # {_at(rule)} {_say(rule.name)}: {_say(self.stages[source].name)}"
                          f" -> {_say(self.stages[target].name)}{self._notes()}",
                          f"            rule = {_lit(rule.name)}",
                          "            at = qualified" if target == 0 else
                          f"            at = {target} if qualified < {target} else qualified"]
                keyword = "elif"
            lines += ["        else:",
                      "            break",
                      "    stage = _STAGE_NAMES[at]",
                      "    kind = 'held' if rule is None else 'demoted'"]
        return lines + [
            "return {",
            "    'policy': POLICY_NAME,",
            "    'version': POLICY_VERSION,",
            "    'stage': stage,",
            "    'previous_stage': previous,",
            "    'change': change_of(previous, stage, _STAGE_ORDER),",
            "    'engagement': engagement,",
            "    'fit': fit,",
            "    'grade': grade,",
            "    'reason': {'kind': kind, 'stage': stage, 'rule': rule},",
            "    'hits': hits,",
            "}",
        ]

    # -- module constants

    def constants(self) -> list[str]:
        policy = self.policy
        lines = ["# What the runtime readers take: every declared field as (name, kind, members), and",
                 "# every declared activity type, by its lower-cased name, as (name, properties).",
                 "_FIELDS = ("]
        for decl in policy.fields:
            lines.append(f"    {_lit((decl.name, decl.type.kind, tuple(decl.type.members)))},")
        lines += [")", "_ACTIVITY_TYPES = {"]
        for decl in policy.activities:
            props = tuple((p.name, p.type.kind, tuple(p.type.members)) for p in decl.props)
            lines.append(f"    {_lit(decl.name.lower())}: {_lit((decl.name, props))},")
        names = tuple(s.name for s in self.stages)
        order = ", ".join(f"{_lit(name)}: {i}" for i, name in enumerate(names + (DISQUALIFIED,)))
        lines += ["}",
                  "# The stages, lowest first; `disqualified` ranks above them all.",
                  f"_STAGE_NAMES = {_lit(names)}",
                  f"_STAGE_ORDER = {{{order}}}",
                  "",
                  "# The runtime readers' answers for input texts (names as declared, and trimmed and",
                  "# lower-cased), computed when this module was compiled; other texts go to them."]
        for name, table in self.table_values.items():
            lines.append(f"{name} = {_dict_code(table)}")
        lines += [f"_AT_LABELS = {_lit(tuple(decl.name + '.at' for decl in policy.activities))}",
                  "",
                  "# Time. Activity times are compared with as_of minus each window, exactly as the",
                  "# runtime's integer microseconds would be.",
                  "_DATETIME = _datetime_module.datetime",
                  "_TIMEDELTA = _datetime_module.timedelta",
                  "_FROMISOFORMAT = _datetime_module.datetime.fromisoformat",
                  "_UTC = _datetime_module.timezone.utc",
                  "_EPOCH_UTC = _datetime_module.datetime(1970, 1, 1, tzinfo=_UTC)",
                  "_EPOCH_NAIVE = _datetime_module.datetime(1970, 1, 1)",
                  "_MICROSECOND = _TIMEDELTA(microseconds=1)"]
        for micros, name in sorted(self.windows.items()):
            days, rest = divmod(micros, MICROS_PER_DAY)
            span = f"days={_lit(days)}" if not rest else f"microseconds={_lit(micros)}"
            lines.append(f"{name} = _TIMEDELTA({span})")
        if self.decay_base is not None:
            lines += ["# The decay factor base ** k for k < 64: the very floats base ** k gives.",
                      f"_DECAY = tuple({self.decay_base} ** k for k in range(64))"]
        lines += self._helpers()
        lines += [
            "",
            "",
            "def _read_date(value, field, lead_id):",
            '    """runtime.read_date(value, field, lead_id), faster for ISO 8601 text."""',
            "    if type(value) is str:",
            "        try:",
            "            moment = _FROMISOFORMAT(value.strip())",
            "        except ValueError:",
            "            return read_date(value, field, lead_id)  # blank, or an error to report",
            "        return (moment - (_EPOCH_NAIVE if moment.tzinfo is None else _EPOCH_UTC)) // _MICROSECOND",
            "    return read_date(value, field, lead_id)",
        ]
        return lines

    def _boolean_table(self) -> str:
        """The runtime's answers for the boolean words, trimmed and lower-cased."""
        exact, lower = self._tables("_BOOLEAN", ("true", "false", "yes", "no", "1", "0"),
                                    lambda text: runtime.read_boolean(text, "boolean"))
        return lower

    def _helpers(self) -> list[str]:
        """The reading helpers the code uses; each gives its runtime reader's value."""
        lines: list[str] = []
        if "number" in self.helpers:
            lines += [
                "", "",
                "def _read_number(value, field, lead_id):",
                '    """runtime.read_number(value, field, lead_id), faster for JSON numbers and digits."""',
                "    if type(value) is int and -0x7FFFFFFFFFFFFFFF <= value <= 0x7FFFFFFFFFFFFFFF:",
                "        return float(value)  # finite for any 64-bit int",
                "    if type(value) is float and value - value == 0.0:  # a finite float",
                "        return value",
                "    if type(value) is str:",
                "        text = value.strip()",
                "        if not text:",
                "            return None  # blank text is missing",
                "        if text.isdigit() and text.isascii() and len(text) < 300:",
                "            return float(text)",
                "    return read_number(value, field, lead_id)",
            ]
        if "boolean" in self.helpers:
            lines += [
                "", "",
                "def _read_boolean(value, field, lead_id):",
                '    """runtime.read_boolean(value, field, lead_id) for a value other than True and False."""',
                f"    answer = {self._boolean_table()}.get(value.strip().lower()) if type(value) is str else None",
                "    return read_boolean(value, field, lead_id) if answer is None else answer",
            ]
        if "enum" in self.helpers:
            lines += [
                "", "",
                "def _read_enum(value, lower, members, field, lead_id):",
                '    """runtime.read_enum(value, members, field, lead_id) for a value not found as it is;',
                '    `lower` holds the runtime\'s answers for the members, trimmed and lower-cased."""',
                "    index = lower.get(value.strip().lower()) if type(value) is str else None",
                "    return read_enum(value, members, field, lead_id) if index is None else index",
            ]
        return lines
