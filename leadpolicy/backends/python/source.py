"""Safe Python text for the compiled module, and the shapes of code it is made of.

Policy text is untrusted, so:
- every string and number of the policy reaches the source only as the repr of
  a plain str, int or float (`lit`), never through a format of its own;
- Python names are made here (`name`): a fixed prefix and either a name matching
  the language's identifiers (`nodes.IDENTIFIER`) or a number;
- comments and the docstring cite policy text only through `say` (repr, then
  every non-ASCII character escaped), so nothing in it can end a comment: the
  generated source has no line break but `\\n`.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, NamedTuple, Optional

from leadpolicy.syntax import nodes as n

DISQUALIFIED = n.DISQUALIFIED
MICROS_PER_DAY = n.MICROS_PER_DAY
# The longest if/elif chain and `+` sum written as one statement. CPython's compiler
# recurses once per `elif` and per `+`, so a policy with thousands of rules in one
# block gets flat code instead: chains cut into chunks, sums as `+=` lines.
CHAIN = 64


class CompileError(ValueError):
    """The tree cannot be compiled: it was not checked, or was built by hand wrongly."""


# ---------------------------------------------------------------- literals and names


def lit(value: object) -> str:
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
        items = [lit(item) for item in value]
        return "(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")"
    raise CompileError(f"cannot write a {type(value).__name__} as a literal")


_PRINTABLE_ASCII = re.compile(r"[ -~]*")


def say(text: object) -> str:
    """Text for a comment: a quoted, escaped literal of printable ASCII only.

    repr escapes every line break and control character (\\n, \\r, \\x0b, \\x0c,
    \\x1c-\\x1e, \\x85, \\u2028, \\u2029, ...); the rest of non-ASCII is escaped
    too, so nothing in it can end the comment.
    """
    quoted = str.__repr__(str(text)).encode("ascii", "backslashreplace").decode("ascii")
    if not _PRINTABLE_ASCII.fullmatch(quoted):  # cannot happen; kept as the last line of defence
        raise CompileError("unsafe text in a comment")
    return quoted


def doc(text: object) -> str:
    """Text for the raw module docstring: `say` with every `"` written `\\x22`."""
    return say(text).replace('"', "\\x22")


def at(node: Optional[n.Node]) -> str:
    """Where a node is in the policy, for comments and errors."""
    span = getattr(node, "span", None)
    return f"line {int(span.line)}" if span is not None else "policy"


IDENT = n.IDENTIFIER


def name(prefix: str, text: object, number: int) -> str:
    """A Python identifier: prefix + a plain ASCII name, else prefix + a number."""
    if isinstance(text, str) and IDENT.fullmatch(text):
        return prefix + str.__str__(text)
    return f"{prefix}{int(number)}"


def micros(duration: n.Duration) -> int:
    """A duration in whole microseconds (nodes.Duration.micros), or a CompileError."""
    try:
        return int(duration.micros)
    except (OverflowError, ValueError):
        raise CompileError(f"{at(duration)}: the duration {say(duration.text or duration.amount)} "
                           f"{say(duration.unit)} is too long") from None


def dict_code(table: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{lit(key)}: {lit(value)}" for key, value in table.items()) + "}"


def dedupe(items: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(items))


# ---------------------------------------------------------------- expressions with precedence

# Python operator precedence, loosest first; an expression carries its level so a
# parent adds parentheses only where they are needed.
OR, AND, NOT, CMP, ADD, MUL, UNARY, ATOM = range(1, 9)


class Expr(NamedTuple):
    code: str
    level: int


def wrap(expr: Expr, level: int) -> str:
    """The expression's code, parenthesised unless it binds at least as tightly as `level`."""
    return expr.code if expr.level >= level else f"({expr.code})"


def number(value: float) -> Expr:
    code = lit(float(value))
    return Expr(code, UNARY if code.startswith("-") else ATOM)


def integer(value: int) -> Expr:
    code = lit(int(value))
    return Expr(code, UNARY if code.startswith("-") else ATOM)


# ---------------------------------------------------------------- statements


def indent(lines: list[str], depth: int) -> list[str]:
    pad = "    " * depth
    return [pad + line if line else "" for line in lines]


def statement(condition: Optional[str], body: list[str], comment: str) -> list[str]:
    """`body` under `if condition` (none: always), after a comment line."""
    head = [f"# {comment}"]
    return head + ([f"if {condition}:", *indent(body, 1)] if condition is not None else body)


def chain(branches: list[tuple[str, list[str]]], otherwise: Optional[tuple[str, list[str]]],
          flag: str) -> list[str]:
    """`if HEAD / elif HEAD / else` over `branches` [(head after the keyword, body)]:
    the first branch whose condition holds runs, else `otherwise` (the text after
    `else:`, its body). A chain longer than CHAIN becomes chunks of at most CHAIN
    branches, each run only while `flag` says no branch has run yet."""
    if len(branches) <= CHAIN:
        lines: list[str] = []
        for position, (head, body) in enumerate(branches):
            lines += [f"{'if' if position == 0 else 'elif'} {head}", *indent(body, 1)]
        if otherwise is not None:
            lines += [f"else:{otherwise[0]}", *indent(otherwise[1], 1)]
        return lines
    lines = [f"{flag} = True  # no branch below has run yet"]
    for start in range(0, len(branches), CHAIN):
        chunk = [(head, [*body, f"{flag} = False"]) for head, body in branches[start:start + CHAIN]]
        code = chain(chunk, None, flag)
        lines += code if start == 0 else [f"if {flag}:", *indent(code, 1)]
    if otherwise is not None:
        lines += [f"if {flag}:{otherwise[0]}", *indent(otherwise[1], 1)]
    return lines


def dispatch(cases: list[tuple[int, list[str]]], variable: str) -> list[str]:
    """Run the body of the case whose number equals `variable` (numbers ascending;
    each body's first line is the text after the colon): an elif chain, or for many
    cases a binary search over chains, so both the nesting and the comparisons per
    value grow as log(cases)."""
    if len(cases) <= CHAIN:
        return chain([(f"{variable} == {value}:{body[0]}", body[1:]) for value, body in cases], None, "")
    middle = len(cases) // 2
    return [f"if {variable} < {cases[middle][0]}:", *indent(dispatch(cases[:middle], variable), 1),
            "else:", *indent(dispatch(cases[middle:], variable), 1)]


def sum_lines(target: str, terms: list[str]) -> list[str]:
    """`target = 0.0 + a + b ...`, summed left to right; `+=` lines when there are many."""
    if len(terms) <= CHAIN:
        return [f"{target} = " + " + ".join(["0.0", *terms])]
    return [f"{target} = 0.0", *(f"{target} += {term}" for term in terms)]
