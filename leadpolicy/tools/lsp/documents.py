"""Parse and check a text buffer: a policy and its sibling `.tests` file, as one unit.

A `.tests` file means nothing without the policy beside it (`NAME.tests`
beside `NAME.policy`, as `leadpolicy check` reads them: see
`leadpolicy.cli.common.check_file`), so the server always analyses the pair:
the policy's diagnostics go to the policy, the tests' to the tests file. The
texts come from the editor when the file is open there, else from disk.

Nothing here raises for bad input: a policy that does not parse gives its
syntax diagnostic; an internal error in the checker becomes a diagnostic too
(and is logged), so half-written text can never stop the server.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional, Union

from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import Diagnostic, PolicyError, Span
from leadpolicy.tools.lsp.positions import LineIndex

if TYPE_CHECKING:
    from leadpolicy.check.base import CheckResult
    from leadpolicy.tools.lsp.symbols import SymbolIndex

log = logging.getLogger("leadpolicy.lsp")

# Reads a file's current text (the editor's buffer, or the disk), None if there is none.
Reader = Callable[[str], Optional[str]]


@dataclass
class Source:
    path: str
    text: str
    encoding: str = "utf-16"  # how the editor counts columns
    index: LineIndex = field(init=False)

    def __post_init__(self) -> None:
        if self.text.startswith("\ufeff"):  # a byte-order mark: blank it, keep the columns
            self.text = " " + self.text[1:]
        self.index = LineIndex(self.text, self.encoding)


@dataclass
class Unit:
    """One policy and its `.tests` file, parsed and checked together."""

    policy: Optional[Source]  # None: a .tests file with no policy beside it
    tests: Optional[Source]
    tree: Optional[n.Policy] = None  # the policy as parsed (None: it does not parse)
    resolved: Optional[n.Policy] = None  # after the checker's resolve pass
    test_blocks: tuple[n.TestBlock, ...] = ()  # from the .tests file (spans in that file)
    tests_parsed: bool = False
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _index: Optional["SymbolIndex"] = field(default=None, repr=False)
    _partial: Optional[tuple[Optional[n.Policy], frozenset[str]]] = field(default=None, repr=False)

    def source(self, path: str) -> Optional[Source]:
        for s in (self.policy, self.tests):
            if s is not None and s.path == path:
                return s
        return None

    def diagnostics_for(self, path: str) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.path == path]

    @property
    def partial(self) -> Optional[n.Policy]:
        """For a policy that does not parse: its top-level blocks that parse on their own
        (`incremental.declared`), checked, for hover and go to definition to answer from; None
        when the policy parses, or no block does. Made on first use."""
        return self._blocks_that_parse()[0]

    def unparsed_words(self) -> frozenset[str]:
        """The words and strings (lower case, unquoted) of a policy that does not parse that lie
        outside the blocks `partial` holds: a name among them may be used where no tree shows it."""
        return self._blocks_that_parse()[1]

    def _blocks_that_parse(self) -> tuple[Optional[n.Policy], frozenset[str]]:
        if self._partial is None:
            self._partial = (None, frozenset())
            if self.tree is None and self.policy is not None:
                self._partial = _blocks_that_parse(self.policy)
        return self._partial

    @property
    def index(self) -> "SymbolIndex":
        """Every name's declaration and uses (built on first use; see `symbols`)."""
        if self._index is None:
            from leadpolicy.tools.lsp.symbols import SymbolIndex

            self._index = SymbolIndex.build(self)
        return self._index


def _blocks_that_parse(policy: Source) -> tuple[Optional[n.Policy], frozenset[str]]:
    from leadpolicy.syntax.parser import unquote
    from leadpolicy.tools.lsp.incremental import declared
    from leadpolicy.tools.lsp.positions import scan

    tree = declared(policy.text, policy.path)
    if tree is None:
        return None, frozenset()
    lines, text = policy.index, policy.text
    covered = sorted(
        (lines.offset(b.span.line, b.span.column), lines.offset(b.span.end_line, b.span.end_column)) for b in tree.blocks if b.span is not None
    )
    gaps, at = [], 0
    for start, end in covered:
        gaps.append((at, start))
        at = max(at, end)
    gaps.append((at, len(text)))
    words = set()
    for start, end in gaps:
        for tok in scan(text, start, end):
            if tok.kind == "word":
                words.add(tok.text.lower())
            elif tok.kind in ("string", "open_string"):
                words.add(unquote(tok.text).lower() if tok.kind == "string" else tok.text[1:].lower())
    resolved = _checked(tree, (), None).policy
    return resolved, frozenset(words)


def policy_path_for(path: str) -> str:
    return str(Path(path).with_suffix(".policy"))


def tests_path_for(path: str) -> str:
    return str(Path(path).with_suffix(".tests"))


def is_tests_path(path: str) -> bool:
    return path.endswith(".tests")


def read_disk(path: str) -> Optional[str]:
    """A file's text, or None when there is none. Bytes that are not UTF-8 become lone
    surrogates, which the parser reports (`bad-character`) instead of the file seeming absent."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    try:
        return data.decode("utf-8-sig", errors="surrogatepass")
    except UnicodeDecodeError:
        return data.decode("utf-8-sig", errors="surrogateescape")


def analyse_path(path: str, read: Reader = read_disk, encoding: str = "utf-16") -> Unit:
    """The unit a file belongs to, its texts read with `read`."""
    policy_path, tests_path = policy_path_for(path), tests_path_for(path)
    policy_text = read(policy_path)
    tests_text = read(tests_path)
    return analyse(
        Source(policy_path, policy_text, encoding) if policy_text is not None else None,
        Source(tests_path, tests_text, encoding) if tests_text is not None else None,
    )


def analyse(policy: Optional[Source], tests: Optional[Source]) -> Unit:
    unit = Unit(policy, tests)
    try:
        _analyse(unit)
    except Exception as error:  # a bug; the editor must keep working
        log.exception("analysis failed")
        where = policy or tests
        if where is not None:
            unit.diagnostics.append(_internal_error(error, where.path))
    return unit


@lru_cache(maxsize=8)
def _parsed(text: str, path: str, tests: bool) -> Union[n.Policy, tuple[n.TestBlock, ...], PolicyError]:
    """Parse once per text: editing a `.tests` file does not re-parse its policy.
    (Trees are immutable; a PolicyError is cached as the result too.)"""
    from leadpolicy.tools.lsp.incremental import parse, parse_tests

    try:
        return (parse_tests if tests else parse)(text, path)
    except PolicyError as error:
        return error


def parse(text: str, path: str) -> n.Policy:
    result = _parsed(text, path, False)
    if isinstance(result, PolicyError):
        raise result
    assert isinstance(result, n.Policy)
    return result


def parse_tests(text: str, path: str) -> tuple[n.TestBlock, ...]:
    result = _parsed(text, path, True)
    if isinstance(result, PolicyError):
        raise result
    assert isinstance(result, tuple)
    return result


def _analyse(unit: Unit) -> None:
    if unit.tests is not None:
        try:
            unit.test_blocks = parse_tests(unit.tests.text, unit.tests.path)
            unit.tests_parsed = True
        except PolicyError as error:
            unit.diagnostics.extend(error.diagnostics)
    if unit.policy is None:
        if unit.tests is not None:
            name = Path(unit.tests.path).with_suffix(".policy").name
            unit.diagnostics.append(
                Diagnostic(
                    "no-policy",
                    "warning",
                    f"there is no `{name}` beside this file, so only its syntax is checked",
                    Span(1, 1, 1, 2, 0, 1),
                    "a `.tests` file holds the tests of the policy with the same name",
                    unit.tests.path,
                )
            )
        return
    try:
        unit.tree = parse(unit.policy.text, unit.policy.path)
    except PolicyError as error:
        unit.diagnostics.extend(error.diagnostics)
        return
    result = _checked(unit.tree, unit.test_blocks, unit.tests.path if unit.tests is not None and unit.tests_parsed else None)
    unit.resolved = result.policy
    unit.diagnostics.extend(result.diagnostics)


_checks: dict[tuple[int, int, Optional[str]], tuple[n.Policy, tuple[n.TestBlock, ...], CheckResult]] = {}
_checks_lock = threading.Lock()


def _checked(tree: n.Policy, tests: tuple[n.TestBlock, ...], tests_path: Optional[str]) -> CheckResult:
    """Check once per policy tree and test blocks: while a `.tests` file is edited, or does not
    parse, its policy is not checked again. (`_parsed` gives the same objects for the same texts;
    the objects are kept with the result, so their ids stay theirs.)"""
    from leadpolicy.check.checker import check

    key = (id(tree), id(tests), tests_path)
    with _checks_lock:
        hit = _checks.get(key)
    if hit is not None and hit[0] is tree and hit[1] is tests:
        return hit[2]
    result = check(tree, tests, tests_path)
    with _checks_lock:
        if len(_checks) >= 8:
            _checks.clear()
        _checks[key] = (tree, tests, result)
    return result


def _internal_error(error: Exception, path: str) -> Diagnostic:
    return Diagnostic(
        "internal-error",
        "error",
        f"leadpolicy could not check this file: {type(error).__name__}: {error}",
        Span(1, 1, 1, 2, 0, 1),
        "this is a bug in leadpolicy; `leadpolicy check` shows the same, please report it",
        path,
    )
