"""Generated policies for the report's replay tests (tests/test_report.py): stages, grades,
demotions and disqualifications that read engagement in every form, with a fine decay."""

from __future__ import annotations

from hypothesis import strategies as st

CONDITIONS = ["engagement >= {t}", "engagement < {t} and did ping", "engagement + fit >= {t}",
              "engagement * 2 - fit > {t}", "engagement in (0, {t})", "engagement = 0", "not engagement >= {t}",
              "at least 2 of (engagement > {t}, fit >= 20, did pong)", "grade = B", "-engagement <= {t}",
              "engagement * size >= {t}", "engagement != {t} and engagement > 0", "days since seen * engagement > {t}"]


# for the threshold sweep: fit compared with a number, and a stage's name used as a condition
SWEPT = ["fit >= {t} and engagement > {t}", "fit < {t} or engagement >= {t}", "mid and engagement <= {t}",
         "not mid or fit > {t}"]


@st.composite
def fine_decay_policies(draw, sweeps=False):
    """A policy whose stages, grades, demotions and disqualifications read engagement many ways,
    with a decay fine enough for thousands of steps. `sweeps`: also conditions that compare fit with
    a number and that use the stage `mid`'s name (only in `top` and the disqualify rule)."""
    t = lambda: draw(st.sampled_from(["0", "1", "30", "60", "99.5", "250", "-20", "0.001"]))  # noqa: E731
    pool = CONDITIONS + SWEPT[:2] if sweeps else CONDITIONS
    cond = lambda: draw(st.sampled_from(pool)).format(t=t())  # noqa: E731
    above = lambda: draw(st.sampled_from(pool + SWEPT[2:] if sweeps else pool)).format(t=t())  # noqa: E731
    rules = []
    for index in range(draw(st.integers(1, 3))):
        points = draw(st.sampled_from(["+10000", "+500", "+35", "-40", "-700", "+0.1"]))
        kind = draw(st.sampled_from(["ping", "pong"]))
        within = draw(st.sampled_from(["", " within 20 days", " within 90 hours"]))
        cap = draw(st.sampled_from(["", " max 300", " max 45"]))
        rules.append(f'  "r{index}": {points} per {kind}{within}{cap}')
    decay = f"  decay {draw(st.sampled_from(['0.5', '1', '3', '10', '50', '100']))}% every " \
            f"{draw(st.sampled_from(['1 hour', '6 hours', '1 day', '0.01 hours']))}"
    demote = f'demote {{ "down": top -> mid when {cond()} }}' if draw(st.booleans()) else ""
    disqualify = f'disqualify {{ "out": when {above()} }}' if draw(st.booleans()) else ""
    return f"""policy "fine" version "1"
fields {{ size number  seen date }}
activities {{ ping  pong }}
stages {{ lead  mid when {cond()}  top when {above()} }}
engagement {{
{decay}
{chr(10).join(rules)}
}}
fit {{ "big": +20 when size >= 100 }}
grades {{ A when engagement >= {t()}  B when engagement >= {t()}  C otherwise }}
{demote}
{disqualify}
"""
