"""When an engagement rule's decayed points can be added in any order (docs/sql.md, "Sums").

The reference adds a rule's terms `points * base ** k` (k whole decay periods)
to 0.0 one by one in activity input order; float addition is not associative,
so the SQL query folds them in that order (an ordered list per lead). But
when every term is an integer multiple of one power of two and no partial sum
can need more than 53 bits, every addition is exact: any order, any grouping
(an unordered SUM, parallel partial sums) gives the same float, the exact sum.

That holds when the decay base is a power of two (`decay 50%`, `75%`,
`87.5%`; or no decay, or `0%`) and, per lead, n * |P| * 2^(j * k_max) < 2^53:
- points = P * 2^e (P an odd integer, or 0) with e >= -1021, base = 2^-j;
- a matched activity's term is points * 2^(-j k): exact (base ** k = 2^(-j k) is
  representable for j k < 53, and so is the product: its exponent
  e - j k >= -1074);
- every term is an integer multiple of 2^-E, E = j k_max - e, and the sum of
  their absolute values is at most n |P| 2^(j k_max) units of 2^-E < 2^53
  units: every partial sum of any subset is an integer below 2^53 units of
  2^-E, a representable number, so every addition is exact;
- n <= 2 needs no bound: 0.0 + a + b = a + b = b + a.
The query takes k_max over all the lead's activities up to as_of, not per rule (one
aggregate, not one per rule): a larger k_max only makes the test stricter.
The SUM's result is the exact sum; `+ 0.0` turns a -0.0 into the reference's
+0.0 (it starts at +0.0, and x + -0.0 = x). Leads outside the bound (very old
activities, thousands of them) are folded in order, in a second, filtered pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from leadpolicy.backends.sql.fragments import exp, frag, num
from leadpolicy.syntax import nodes

__all__ = ["Dyadic", "dyadic", "exact_condition"]

_MIN_POINTS_EXPONENT = -1021  # with j k < 53, every term's exponent stays >= -1074 (exact products)


@dataclass(frozen=True)
class Dyadic:
    """A rule whose terms are P * 2^(e - j k): |P| and j (0: no decay)."""

    odd_points: int  # |P|
    j: int           # base = 2^-j


def _power_of_two_exponent(base: float) -> Optional[int]:
    """j when base == 2^-j (j >= 0), else None."""
    if not (0.0 < base <= 1.0):
        return None
    mantissa, exponent = math.frexp(base)  # base = mantissa * 2^exponent, 0.5 <= mantissa < 1
    return 1 - exponent if mantissa == 0.5 else None


def dyadic(policy: nodes.Policy, rule: nodes.EngagementRule) -> Optional[Dyadic]:
    """The rule's (|P|, j) when its sum may be unordered under the bound; None when its
    terms must be folded in order for every lead (a decay base that is not a power of two,
    points that are not finite or too small)."""
    points = float(rule.points)
    if not math.isfinite(points):
        return None
    j = 0
    if policy.decay is not None:
        base = 1 - policy.decay.percent / 100  # as the reference computes it
        found = _power_of_two_exponent(base)
        if found is None:
            return None
        j = found
    if points == 0:
        return Dyadic(0, j)
    numerator, denominator = points.as_integer_ratio()  # denominator a power of two
    twos = (numerator & -numerator).bit_length() - 1  # the factors 2 of the numerator
    exponent = twos - (denominator.bit_length() - 1)
    if exponent < _MIN_POINTS_EXPONENT:
        return None
    return Dyadic(abs(numerator) >> twos, j)


def exact_condition(found: Dyadic, count: exp.Expr, k_max: Optional[exp.Expr]) -> exp.Expr:
    """SQL: true when this lead's SUM is the reference's fold (n <= 2, or
    n * |P| * 2^(j k_max) < 2^53, computed in DOUBLE: the product rounds, but a power of two
    is representable and rounding is monotone, so a computed value below 2^53 means the
    exact one is; a huge k_max gives inf, never below)."""
    n = frag("COALESCE(:n, 0)", n=count)
    scaled = frag("CAST(:n AS DOUBLE) * :p", n=n, p=num(float(found.odd_points)))
    if found.j and k_max is not None:
        scaled = frag(":s * POWER(CAST(2 AS DOUBLE), CAST(COALESCE(:k, 0) AS DOUBLE) * :j)",
                      s=scaled, k=k_max, j=num(float(found.j)))
    return frag(":n <= 2 OR :s < :limit", n=n, s=scaled, limit=num(float(2 ** 53)))
