"""A second hand-written evaluator of the acme policy, in another author's style.

The first baseline (handwritten_acme.py) mirrors the rules branch by branch.
This one is written the way a different engineer would: classify each distinct
raw value once and remember the answer (bounded memo tables for text, enum,
number and boolean values and activity type names), then one pass over the
activities that feeds every rule. Same input checks as docs/language-reference.md section 16
(the pinned timestamp syntax included), the same decision to the last bit
(`total += points * 0.5 ** k` per activity, in input order). Data errors are
`LeadDataError`s with short messages (the benchmark compares decisions only).

Standard library only.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta, timezone

__all__ = ["evaluate", "LeadDataError"]

UTC = timezone.utc
MEMO_LIMIT = 20_000  # entries per memo table; cleared when full
_MISS = object()
_HALF = tuple(0.5 ** k for k in range(64))
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?").fullmatch
_ISO = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.][0-9]{1,9})?)?"
    r"(?: ?(?:[Zz]|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?))?)?"
).fullmatch
_parse = datetime.fromisoformat
_STAGES = ("lead", "mql", "sql")
_ORDER = {"lead": 0, "mql": 1, "sql": 2, "disqualified": 3}
_SENIORITY = ("ic", "manager", "director", "vp", "cxo")
_INDUSTRY = ("saas", "fintech", "healthcare", "retail", "other")
_STATUS = ("open", "accepted", "rejected", "disqualified")
_TYPES = {"page_view": 0, "form_submit": 1, "email_click": 2, "webinar": 3, "unsubscribe": 4, "chat": 5}
_BOOL_WORDS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
_D14, _D30, _D90 = timedelta(days=14), timedelta(days=30), timedelta(days=90)


class LeadDataError(ValueError):
    pass


def _remember(memo, key, value):
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value


# ---- classification of raw values, each distinct one once

_text_memo: dict = {}


def _text(raw):
    """Trimmed, lower-cased text or None; memoised for str."""
    if raw.__class__ is str:
        known = _text_memo.get(raw, _MISS)
        if known is _MISS:
            known = _remember(_text_memo, raw, raw.strip().lower() or None)
        return known
    if raw is None:
        return None
    if raw.__class__ is int:
        return str(raw)
    raise LeadDataError(f"`{raw!r}` is not text")


_number_memo: dict = {}


def _number(raw):
    cls = raw.__class__
    if cls is int or cls is float:
        try:
            value = float(raw)
        except OverflowError:
            raise LeadDataError(f"`{raw!r}` is not a finite number") from None
        if math.isfinite(value):
            return value
        raise LeadDataError(f"`{raw!r}` is not a finite number")
    if raw is None:
        return None
    if cls is str:
        known = _number_memo.get(raw, _MISS)
        if known is _MISS:
            text = raw.strip()
            if not text:
                known = None
            elif _NUMBER(text) and math.isfinite(float(text)):
                known = float(text)
            else:
                raise LeadDataError(f"cannot read `{raw}` as a number")
            _remember(_number_memo, raw, known)
        return known
    raise LeadDataError(f"cannot read `{raw!r}` as a number")


_enum_memo: dict = {}


def _enum(raw, members):
    """The member's index, or None; memoised per (members, raw text)."""
    if raw is None:
        return None
    if raw.__class__ is int:
        raw = str(raw)
    elif raw.__class__ is not str:
        raise LeadDataError(f"`{raw!r}` is not one of {', '.join(members)}")
    key = (members, raw)
    known = _enum_memo.get(key, _MISS)
    if known is _MISS:
        text = raw.strip().lower()
        if not text:
            known = None
        elif text in members:
            known = members.index(text)
        else:
            raise LeadDataError(f"`{raw}` is not one of {', '.join(members)}")
        _remember(_enum_memo, key, known)
    return known


def _boolean(raw):
    if raw is True or raw is False or raw is None:
        return raw
    if raw.__class__ is int and raw in (0, 1):
        return raw == 1
    if raw.__class__ is str:
        text = raw.strip().lower()
        if not text:
            return None
        if text in _BOOL_WORDS:
            return _BOOL_WORDS[text]
    raise LeadDataError(f"`{raw!r}` is not a yes/no value")


def _when(raw):
    """An aware datetime for a date or timestamp in the one syntax; None when blank."""
    if raw.__class__ is str:
        if _ISO(raw):
            text = raw
        else:
            text = raw.strip()
            if not text:
                return None
            if not _ISO(text):
                raise LeadDataError(f"`{raw}` is not an ISO 8601 date or timestamp")
        if text[-1] == "z":
            text = text[:-1] + "Z"
        try:
            moment = _parse(text)
        except ValueError:
            raise LeadDataError(f"`{raw}` is not an ISO 8601 date or timestamp") from None
    elif isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, date):
        moment = datetime(raw.year, raw.month, raw.day)
    else:
        raise LeadDataError(f"`{raw!r}` is not an ISO 8601 date or timestamp")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


_type_memo: dict = {}


def _type(raw):
    """The declared type's code, -1 for an undeclared type; memoised."""
    known = _type_memo.get(raw, _MISS) if raw.__class__ is str else _MISS
    if known is _MISS:
        if raw.__class__ is not str or not raw.strip():
            raise LeadDataError("an activity has no text `type`")
        known = _remember(_type_memo, raw, _TYPES.get(raw.strip().lower(), -1))
    return known


def _stage(raw):
    if raw is None:
        return None
    if raw.__class__ is str:
        text = raw.strip().lower()
        if not text:
            return None
        if text in _ORDER:
            return text
    raise LeadDataError(f"`{raw!r}` is not a stage of this policy")


# ---- the decision


def evaluate(fields, activities=(), as_of=None, previous_stage=None, lead_id=None):
    now = _when(as_of) if as_of is not None else datetime.now(UTC)
    if now is None:
        raise LeadDataError("as_of is blank")
    if fields is None:
        fields = {}
    elif not isinstance(fields, dict):
        raise LeadDataError("the fields must be an object")
    get = fields.get
    email = _text(get("email"))
    seniority = _enum(get("seniority"), _SENIORITY)
    size = _number(get("company_size"))
    industry = _enum(get("industry"), _INDUSTRY)
    budget = _number(get("budget"))
    timeline = _number(get("timeline_days"))
    status = _enum(get("sales_status"), _STATUS)
    customer = _boolean(get("is_customer"))
    if get("created") is not None:
        _when(get("created"))  # declared, used by no rule: checked only

    # One pass: [total, count] per engagement rule, in file order.
    totals = [[0.0, 0] for _ in range(6)]  # blog, pricing, ebook, webinar, demo, unsubscribe
    demo_14 = active_30 = False
    if activities is None:
        activities = ()
    elif not isinstance(activities, (list, tuple)):
        raise LeadDataError("the activities must be a list")
    since_14, since_30, since_90 = now - _D14, now - _D30, now - _D90
    half = _HALF
    for act in activities:
        if act.__class__ is not dict:
            raise LeadDataError("an activity is not an object")
        kind = _type(act.get("type"))
        if kind < 0:
            continue
        at = act.get("at")
        at = _when(at) if at is not None else None
        if at is None:
            raise LeadDataError("an activity has no `at` time")
        # every declared property is read and checked, after as_of too
        if kind == 0:
            value = _text(act.get("path"))
        elif kind == 1:
            value = _text(act.get("form"))
        elif kind == 2:
            _text(act.get("campaign"))
        elif kind == 3:
            _text(act.get("title"))
            value = _number(act.get("minutes"))
        if at > now:
            continue
        if at >= since_30:
            active_30 = True
        periods = (now - at).days // 30
        factor = half[periods] if periods < 64 else 0.5 ** periods
        if kind == 0:
            if value is not None and value.startswith("/blog") and at >= since_90:
                totals[0][0] += 5.0 * factor
                totals[0][1] += 1
            if value == "/pricing" and at >= since_30:
                totals[1][0] += 20.0 * factor
                totals[1][1] += 1
        elif kind == 1:
            if value == "ebook":
                totals[2][0] += 15.0 * factor
                totals[2][1] += 1
            elif value == "demo":
                totals[4][0] += 100.0 * factor
                totals[4][1] += 1
                if at >= since_14:
                    demo_14 = True
        elif kind == 3:
            if value is not None and value >= 20.0:
                totals[3][0] += 30.0 * factor
                totals[3][1] += 1
        elif kind == 4:
            totals[5][0] += -50.0 * factor
            totals[5][1] += 1

    caps = (50.0, 60.0, None, None, 100.0, -50.0)
    names = ("Read a blog post", "Visited pricing", "Downloaded an e-book", "Attended a webinar",
             "Requested a demo", "Unsubscribed")
    hits = []
    engagement = 0.0
    for (total, count), cap, name in zip(totals, caps, names):
        if cap is not None:
            total = min(total, cap) if cap > 0 else max(total, cap)
        engagement += total
        if total != 0.0:
            hits.append({"section": "engagement", "rule": name, "points": total, "count": count})

    signals = (budget is not None and budget >= 10000.0, seniority is not None and seniority >= 2,
               industry is not None and industry <= 1, timeline is not None and timeline <= 90.0)
    free_mail = email is not None and (email.endswith("@gmail.com") or email.endswith("@yahoo.com"))
    fit = 0.0
    for holds, group, name, points in (
        (signals[0], "budget", "Budget of $10k or more", 25.0),
        (signals[1], "authority", "Decision maker", 25.0),
        (seniority == 1, "authority", "Influencer", 10.0),
        (signals[2], "need", "Target industry", 20.0),
        (size is not None and size >= 200.0, "need", "Mid-market or larger", 15.0),
        (signals[3], "timeline", "Buying this quarter", 15.0),
        (free_mail, None, "Free email address", -30.0),
        (sum(signals) >= 3, None, "Three of four BANT signals", 10.0),
    ):
        if holds:
            fit += points
            hits.append({"section": "fit", "group": group, "rule": name, "points": points})
    grade = "A" if fit >= 70.0 else "B" if fit >= 45.0 else "C" if fit >= 20.0 else "D"

    mql = engagement >= 60.0 and fit >= 40.0
    qualified = 2 if mql and (demo_14 or status == 1) else 1 if mql else 0
    previous = _stage(previous_stage)
    if email is not None and email.endswith("@rival.example"):
        stage, kind, rule = "disqualified", "disqualified", "Competitor"
    elif customer is True:
        stage, kind, rule = "disqualified", "disqualified", "Already a customer"
    elif status == 3:
        stage, kind, rule = "disqualified", "disqualified", "Ruled out by sales"
    elif previous is None or previous == "disqualified" or qualified >= _ORDER[previous]:
        stage, kind, rule = _STAGES[qualified], "qualified", None
    else:
        level, rule = _ORDER[previous], None
        while level > qualified:
            if level == 2 and not active_30 and status != 1:
                level, rule = max(1, qualified), "Went quiet"
            elif level == 1 and engagement < 30.0:
                level, rule = qualified, "Engagement faded"
            else:
                break
        stage, kind = _STAGES[level], ("held" if rule is None else "demoted")
    if previous is None:
        change = "new"
    elif previous == stage:
        change = "unchanged"
    elif stage == "disqualified":
        change = "disqualified"
    elif previous == "disqualified":
        change = "requalified"
    else:
        change = "promoted" if _ORDER[stage] > _ORDER[previous] else "demoted"
    return {"policy": "Acme Cloud handoff", "version": "2026.11.1", "stage": stage, "previous_stage": previous,
            "change": change, "engagement": engagement, "fit": fit, "grade": grade,
            "reason": {"kind": kind, "stage": stage, "rule": rule}, "hits": hits}
