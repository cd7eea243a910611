"""Policy text -> AST (`nodes`). Syntax errors become diagnostics.

Three modules: this one loads the grammar and the shipped tables and is the front
door (`parse`, `parse_tests`, the nesting limits); `build.py` turns Lark's tree
into nodes; `errors.py` turns a parse error into a diagnostic.

The grammar (grammar/leadpolicy.lark) is LALR(1) and built in strict mode, so
a conflict in it is an error at build time, not a surprise at parse time.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Collection, Iterator, Optional

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import ContextualLexer

from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.build import LiteralError, TreeBuilder, number_value, span_at, unquote
from leadpolicy.syntax.diagnostics import BAD_CHARACTER, Diagnostic, PolicyError, Span
from leadpolicy.syntax.errors import syntax_diagnostic
from leadpolicy.syntax.nodes import RESERVED_WORDS, quote

__all__ = ["RESERVED_WORDS", "comments", "grammar_text", "lark_parser", "number_value", "parse", "parse_tests",
           "quote", "unquote"]

GRAMMAR_FILE = "leadpolicy.lark"


def grammar_path() -> Path:
    """The grammar shipped inside the package; in a source checkout, grammar/ beside it."""
    # Plain paths, not importlib.resources: that import alone costs start-up time.
    packaged = Path(__file__).resolve().parents[1] / "grammar" / GRAMMAR_FILE
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "grammar" / GRAMMAR_FILE


def grammar_text() -> str:
    return grammar_path().read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    """The LALR parser: from the shipped tables (syntax/tables.py says why), or built."""
    from leadpolicy.syntax import comments, tables

    keyword_types: dict[str, str] = {}
    # COMMENT's callback and the post-lexer keep comments and spellings for syntax/comments.py. IDENT
    # must come last: Lark 1.3 chains a user callback after its own keyword check with a lambda that
    # reads the loop variable, so only the last terminal of this dict is compared correctly.
    callbacks = {"COMMENT": comments.record_comment, "IDENT": _KeywordsAreNotNames(keyword_types)}
    parser = tables.load(grammar_text(), lexer_callbacks=callbacks, postlex=comments.TokenRecorder(),
                         _plugins={"ContextualLexer": _WholeWords})
    keyword_types.update(_keyword_types(parser))
    return parser


class _WholeWords(ContextualLexer):
    """Lark's contextual lexer, made to read every word whole (docs/language-reference.md 2.3: a
    name is a letter or `_` then letters, digits and `_`). It only tries the terminals the parser
    can take next, so where no name may come it matched a keyword as a prefix: `+5 percall` was
    `per call`, `expect gradeA` was `grade A`, `every3 days` was `every 3 days`. With IDENT tried
    in every state a word is read to its end (`_KeywordsAreNotNames` makes a keyword of it when it
    is one), and a glued word is a name the parser refuses; syntax/hints/glued.py shows it apart.
    A number still ends where its digits do: `30days` is `30 days` (decisions.md 68)."""

    def __init__(self, conf: Any, states: dict[int, Collection[str]], always_accept: Collection[str] = ()) -> None:
        super().__init__(conf, states, always_accept=(*always_accept, "IDENT"))

    def lex(self, lexer_state: Any, parser_state: Any) -> Iterator[Token]:
        try:
            yield from super().lex(lexer_state, parser_state)
        except (UnexpectedCharacters, UnexpectedToken) as error:
            # what the parser could take there, as before IDENT was added where it takes none
            # (the lexer of that state then holds IDENT in place of the keywords it reads as names)
            accepted = set(parser_state.parse_conf.parse_table.states[parser_state.position]) - {"$END"}
            if "IDENT" not in accepted:
                if isinstance(error, UnexpectedToken):
                    error.expected = accepted
                else:
                    error.allowed = accepted
            raise


class _KeywordsAreNotNames:
    """A lexer callback: an IDENT spelt like a word of the language becomes that word's keyword.
    Lark's contextual lexer only turns a word into its keyword where the keyword may come next;
    elsewhere (`x >= and`) it would pass it on as a name, and the error would show further on."""

    def __init__(self, keyword_types: dict[str, str]) -> None:
        self.keyword_types = keyword_types

    def __call__(self, token: Token) -> Token:
        kind = self.keyword_types.get(token.value)
        if kind is not None:
            token.type = kind
        return token


def _keyword_types(parser: Lark) -> dict[str, str]:
    """Each reserved word -> the terminal the grammar spells it with (`and` -> AND, `hours` -> UNIT)."""
    types: dict[str, str] = {}
    for terminal in parser.terminals:
        if terminal.pattern.type == "str" and terminal.pattern.value in RESERVED_WORDS:
            types[terminal.pattern.value] = terminal.name
    for terminal in parser.terminals:
        if terminal.pattern.type == "re" and terminal.name != "IDENT":
            for word in RESERVED_WORDS - set(types):
                if re.fullmatch(terminal.pattern.value, word):
                    types[word] = terminal.name
    for word in RESERVED_WORDS - set(types):
        types[word] = "RESERVED_WORD"  # a word the grammar does not spell yet: never a name all the same
    return types


# ---------------------------------------------------------------- comments

_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*')


def comments(text: str) -> list[tuple[int, str]]:
    """Every comment as (offset, text), in order; `#` inside strings is not one."""
    return [(m.start(), m.group()) for m in _STRING_OR_COMMENT.finditer(text) if m.group().startswith("#")]


# ---------------------------------------------------------------- the front door


def parse(text: str, path: str = "<memory>") -> n.Policy:
    """Parse a policy file. Raises PolicyError with a syntax diagnostic."""
    policy: n.Policy = _parse(text, path, "start")
    return policy


def parse_tests(text: str, path: str = "<memory>") -> tuple[n.TestBlock, ...]:
    """Parse a sibling `.tests` file: only test blocks."""
    blocks = _parse(text, path, "tests_file")
    return tuple(block.items[0] for block in blocks)


MAX_NESTING = 64  # conditions and arithmetic nested deeper than this are refused
MAX_PARSE_DEPTH = 2_000  # Lark tree levels (a long `or` chain is deep there, flat in the AST)


_CHAINS = frozenset({"or_", "and_"})


def _flatten_chains(tree: Tree[Any]) -> None:
    """Make each `a or b or c ...` (and each `and` chain) one node with every operand
    as a child, in place. LALR builds such a chain as a left spine one level per
    operator, so a 50,000-member list of `or`ed tests would otherwise be 50,000
    levels deep. Iterative, and linear in the size of the tree."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if node.data in _CHAINS:
            operands: list[Any] = []
            current = node
            while isinstance(current, Tree) and current.data == node.data:
                operands.extend(reversed(current.children[1:]))
                current = current.children[0]
            operands.append(current)
            operands.reverse()
            node.children = operands
        stack.extend(child for child in node.children if isinstance(child, Tree))


def _too_deep(tree: Tree[Any]) -> Optional[Tree[Any]]:
    """The first subtree nested deeper than the back ends promise to handle, or None.
    Iterative, so that a hostile input cannot exhaust the stack here."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_PARSE_DEPTH:
            return node
        for child in node.children:
            if isinstance(child, Tree):
                stack.append((child, depth + 1))
    return None


def _expression_depth(node: n.Node) -> tuple[int, Optional[n.Node]]:
    """How deep expressions nest (And/Or chains are flat), and the deepest node."""
    deepest, where = 0, None
    stack = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        depth += isinstance(current, n.Expr)
        if depth > deepest:
            deepest, where = depth, current
        stack.extend((child, depth) for child in current.children())
    return deepest, where


def _nesting_error(span: Optional[Span], path: str, text: str, message: str) -> PolicyError:
    return PolicyError(
        [
            Diagnostic(
                "too-deep",
                "error",
                message,
                span,
                "split it: give parts of it their own rules or stages",
                path,
            )
        ],
        text,
    )


# A lone surrogate (text decoded from JSON, or with surrogateescape) is no character at all: it
# cannot even be written out as UTF-8. A text-direction control makes the line display in another
# order than the parser reads it (a `-50` shown as `+50`): a reviewer could not trust the diff.
def _bad_character(text: str, path: str) -> Optional[PolicyError]:
    found = BAD_CHARACTER.search(text)
    if found is None:
        return None
    offset = found.start()
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    code = ord(found.group())
    span = Span(line, column, line, column + 1, offset, offset + 1)
    if not 0xD800 <= code <= 0xDFFF:  # the rest of BAD_CHARACTER: text-direction controls
        message = (f"the text holds an invisible text-direction character, U+{code:04X} {unicodedata.name(found.group())}: "
                   "the line would display in another order than leadpolicy reads it")
        start = text.rfind("\n", 0, offset) + 1
        end = text.find("\n", offset)
        fixed = BAD_CHARACTER.sub("", text[start:end if end >= 0 else len(text)]).strip()
        help_ = f"delete it (most editors show nothing there; above it is `\ufffd`): `{fixed}`"
        edit: Optional[tuple[int, int, str]] = (0, 1, "")  # editors offer the deletion: the writer cannot see it
    else:  # (deleting it would lose what the bytes meant: `Café` in Latin-1 would become `Caf`)
        message = f"the text holds a lone surrogate U+{code:04X}, which a policy cannot contain"
        help_ = "remove it or retype the text around it; policy files are UTF-8 text"
        edit = None
    return PolicyError([Diagnostic("bad-character", "error", message, span, help_, path, edit=edit)], text)


def _parse(text: str, path: str, start: str) -> Any:
    bad = _bad_character(text, path)
    if bad is not None:
        raise bad
    try:
        tree = lark_parser().parse(text, start=start)
    except UnexpectedInput as error:
        raise PolicyError([syntax_diagnostic(error, text, path)], text) from None
    _flatten_chains(tree)
    deep = _too_deep(tree)
    if deep is not None:
        raise _nesting_error(span_at(deep.meta), path, text, "this condition is too long or nested too deeply to read")
    try:
        result = TreeBuilder().transform(tree)  # non-recursive: the process recursion limit is never touched
    except Exception as error:  # VisitError wraps what the callbacks raised
        original = getattr(error, "orig_exc", error)
        if isinstance(original, LiteralError):
            code, message, span, help_ = original.diagnostic
            raise PolicyError([Diagnostic(code, "error", message, span, help_, path)], text) from None
        raise
    depth, deepest = _expression_depth(result if isinstance(result, n.Node) else n.Policy("", "", blocks=result))
    if depth > MAX_NESTING:
        raise _nesting_error(deepest.span if deepest is not None else None, path, text, f"this condition nests more than {MAX_NESTING} levels deep")
    if isinstance(result, n.Policy):
        from dataclasses import replace

        capital = _capital_keyword_stage(result, text, path)
        if capital is not None:
            raise PolicyError([capital], text)
        result = replace(result, path=path)
    return result


def _capital_keyword_stage(policy: n.Policy, text: str, path: str) -> Optional[Diagnostic]:
    """`mql when size >= 10 OR ok` reads as a stage `OR` without a condition, then a stage `ok`
    (an error already, said as three that miss the point): the syntax error a capital `AND` or
    `OR` gets elsewhere, with the line in lower case. A later stage with a condition is no mistake.
    So does `size > 1e3` (a stage `e3`): the number written plainly; and `x is_missing` (a stage
    `is_missing`) and `s endswith "x"` (a stage `endswith` described "x"): the words apart; and
    `mql whenok` (a stage `whenok`): `when ok`; and `x >= 2026-01-05T10:00:00z` (a stage `z`): `Z`."""
    from leadpolicy.syntax.hints import (
        apply_fix,
        capital_keyword_stage,
        data_timestamp_stage,
        exponent_stage,
        glued_keyword_stage,
        glued_test_stage,
        number_suffix_stage,
        underscored_stage,
    )

    for stage in policy.stages[1:]:
        if stage.condition is None and stage.name_span is not None:  # `... > 1e3`: a stage `e3`, too
            hint = capital_keyword_stage(text, stage.name_span.start) if stage.name.lower() in RESERVED_WORDS \
                else exponent_stage(text, stage.name_span.start) or number_suffix_stage(text, stage.name_span.start) \
                or underscored_stage(text, stage.name_span.start) or glued_test_stage(text, stage.name_span.start) \
                or glued_keyword_stage(text, stage.name_span.start) or data_timestamp_stage(text, stage.name_span.start)
            if hint is not None and _parses(apply_fix(text, hint.fix)):  # `lead Fit`: a stage, not `fit`
                start, end, replacement = hint.fix
                edit = (start - hint.span.start, end - hint.span.start, replacement)
                return Diagnostic("syntax-error", "error", hint.message, hint.span, hint.help, path, edit=edit)
    return None


def _parses(text: str) -> bool:
    try:
        lark_parser().parse(text, start="start")
    except UnexpectedInput:
        return False
    return True
