"""The sections after the activity loop (fit, grade, qualified stage, the decision) as
named module-level functions, each written once and called from both `_decide` and
`_decide_many`.

A section's arguments are the locals of `_decide` its code reads (the expression
emitter notes them: `ExpressionEmitter.take_reads`) and those it always needs; it
returns its value and the locals it sets that a later section reads (a fit rule's
condition a later condition repeats, a stage's entry condition a demotion names).
Function and argument names are fixed words or generated locals (`f_3`, `is_mql`):
never policy text, which goes into comments only (`source.say`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leadpolicy.backends.python import source as s


@dataclass
class Section:
    function: str  # "_fit", "_grade", ...: a fixed name
    doc: list[str]  # the docstring's lines: what the section does, the policy line(s) it comes from
    body: list[str]
    reads: list[str]  # locals of `_decide` it reads: its parameters, in this order
    sets: list[str]  # locals it sets that a later section may read, its value first ([]: it returns its own)
    returns: list[str] = field(default_factory=list)  # filled by `link`

    def call(self) -> str:
        """The expression that runs the section in `_decide` (`_fit(f_budget, hits)`)."""
        return f"{self.function}({', '.join(self.reads)})"

    def assignment(self) -> str:
        """The statement that runs it and keeps what it returns (`fit = _fit(...)`)."""
        return f"{', '.join(self.returns)} = {self.call()}"

    def definition(self) -> list[str]:
        """The function, with its docstring, body and return."""
        doc = [f'"""{self.doc[0]}', *self.doc[1:]]
        doc[-1] += '"""'
        end = [f"return {', '.join(self.returns)}"] if self.returns else []
        return [f"def {self.function}({', '.join(self.reads)}):", *s.indent([*doc, *self.body, *end], 1)]


def link(sections: list[Section], final: list[str]) -> None:
    """Each section's returns: its value, and the locals it sets that a later section
    (or `final`, what `_decide` reads after them all) reads. Its own parameters are
    never what it sets (a name it both reads and sets is its own, set before read)."""
    later: set[str] = set(final)
    for section in reversed(sections):
        own = set(section.sets)
        section.reads = [name for name in section.reads if name not in own]
        section.returns = section.sets[:1] + [name for name in section.sets[1:] if name in later]
        later.update(section.reads)


def functions(sections: list[Section]) -> list[str]:
    """The module-level definitions of the sections, two blank lines apart."""
    lines: list[str] = []
    for section in sections:
        lines += ["", "", *section.definition()]
    return lines
