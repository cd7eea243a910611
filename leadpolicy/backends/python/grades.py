"""Emitter of the grade section: the first band whose condition holds."""

from __future__ import annotations

from leadpolicy.backends.python import source as s
from leadpolicy.backends.python.context import Context


def grade_section(ctx: Context) -> list[str]:
    bands = ctx.policy.grades
    if not bands:
        return ["grade = None  # no grades block"]
    emitter = ctx.expressions
    lines = [f"# ---- grade ({s.at(ctx.policy.block('grades'))}): the first band that holds"]
    branches: list[tuple[str, list[str]]] = []
    otherwise = ("", ["grade = None"])
    for band in bands:
        letter = s.lit(band.letter)
        if band.condition is None:
            if not branches:
                return lines + [f"grade = {letter}  # {s.at(band)} otherwise"]
            otherwise = (f"  # {s.at(band)} otherwise", [f"grade = {letter}"])
            break
        condition = emitter.condition(band.condition).code
        branches.append((f"{condition}:  # {s.at(band)}{emitter.notes()}", [f"grade = {letter}"]))
    return lines + s.chain(branches, otherwise, "no_band")
