"""Emitter of the grade section: the first band whose condition holds."""

from __future__ import annotations

from leadpolicy.backends.python import source as s
from leadpolicy.backends.python.context import Context
from leadpolicy.backends.python.sections import Section


def grade_section(ctx: Context) -> Section | None:
    """The function `_grade`; None without a grades block (the grade is None)."""
    bands = ctx.policy.grades
    if not bands:
        return None
    emitter = ctx.expressions
    emitter.take_reads()
    doc = [f"The grade section ({s.at(ctx.policy.block('grades'))}): the letter of the first band that holds."]
    lines: list[str] = []
    branches: list[tuple[str, list[str]]] = []
    otherwise = ("", ["grade = None"])
    for band in bands:
        letter = s.lit(band.letter)
        if band.condition is None:
            if not branches:
                lines = [f"grade = {letter}  # {s.at(band)} otherwise"]
                return Section("_grade", doc, lines, emitter.take_reads(), ["grade"])
            otherwise = (f"  # {s.at(band)} otherwise", [f"grade = {letter}"])
            break
        condition = emitter.condition(band.condition).code
        branches.append((f"{condition}:  # {s.at(band)}{emitter.notes()}", [f"grade = {letter}"]))
    lines = s.chain(branches, otherwise, "no_band")
    return Section("_grade", doc, lines, emitter.take_reads(), ["grade"])
