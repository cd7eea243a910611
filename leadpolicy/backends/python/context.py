"""What the section emitters share while they write one module: the analysis, the
expression emitter, and the module constants they ask for on the way (tables of
the runtime's answers, window lengths), written out after `evaluate`'s body."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from leadpolicy.backends.python import source as s
from leadpolicy.backends.python.analysis import Analysis
from leadpolicy.backends.python.expressions import ExpressionEmitter
from leadpolicy.semantics import runtime


class Context:
    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.policy = analysis.policy
        self.expressions = ExpressionEmitter(analysis)
        self.tables: dict[tuple[Any, ...], tuple[str, str]] = {}  # (prefix, candidates) -> constant names
        self.table_values: dict[str, dict[str, Any]] = {}  # constant name -> {text: answer}
        self.windows: dict[int, str] = {}  # micros -> timedelta constant
        self.since: dict[int, str] = {}  # window micros -> local: as_of minus the window
        self.counters: dict[str, int] = {}
        # Writing the body of `_decide_many` (the batch), not `_decide`: the same code, but
        # activity type names and text values are looked up in the batch's memo tables
        # first, and the decision goes into `result` instead of being returned.
        self.batch = False
        self.memos: dict[str, tuple[str, str]] = {}  # the batch's memo tables: local -> (first value, comment)

    def next(self, prefix: str) -> int:
        """The next number for generated names that start with `prefix`."""
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return self.counters[prefix]

    def table(self, prefix: str, candidates: Iterable[str], answer: Callable[[str], object]) -> tuple[str, str]:
        """Two constants of the runtime's own answers, computed now, for input texts.

        EXACT maps each candidate text to `answer(text)`; LOWER keeps the candidates
        that are already trimmed and lower-cased. The runtime readers trim and lower-case
        a text before they look at it, so for any input `v`, LOWER[v.strip().lower()] is
        the runtime's answer for `v` whenever it is there. Texts the runtime rejects, or
        reads as missing, are left out: those inputs go to the runtime readers."""
        candidates = tuple(candidates)
        key = (prefix, candidates)
        names = self.tables.get(key)
        if names is None:
            exact = {}
            for text in s.dedupe(candidates):
                try:
                    value = answer(text)
                except runtime.LeadDataError:
                    continue
                if value is not None:
                    exact[text] = value
            lower = {text: value for text, value in exact.items() if text.strip().lower() == text}
            number = self.next(prefix)
            if lower == exact:  # every candidate is trimmed and lower-case already
                names = self.tables[key] = (f"{prefix}_{number}", f"{prefix}_{number}")
                self.table_values[names[0]] = exact
            else:
                names = self.tables[key] = (f"{prefix}_{number}", f"{prefix}_{number}_LOWER")
                self.table_values[names[0]] = exact
                self.table_values[names[1]] = lower
        return names

    def memo(self, local: str, first: str, comment: str) -> str:
        """A memo table of the batch (`_decide_many` makes it before the first lead)."""
        self.memos.setdefault(local, (first, comment))
        return local

    def span(self, micros: int) -> str:
        """A module constant: the timedelta of that many microseconds."""
        name = self.windows.get(micros)
        if name is None:
            if micros % s.MICROS_PER_DAY == 0:
                name = f"_SPAN_DAYS_{micros // s.MICROS_PER_DAY}"
            else:
                name = f"_SPAN_MICROS_{micros}"
            self.windows[micros] = name
        return name

    def since_local(self, micros: int) -> str:
        """The local holding as_of minus a window of that many microseconds."""
        name = self.since.get(micros)
        if name is None:
            days, rest = divmod(micros, s.MICROS_PER_DAY)
            name = self.since[micros] = f"since_{days}_days" if not rest else f"since_{micros}_us"
            self.span(micros)
        return name
