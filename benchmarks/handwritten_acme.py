"""A hand-written evaluator for the acme policy (docs/language-reference.md section 1).

This is the performance baseline the compiled evaluator is measured against:
what a skilled engineer would write by hand for exactly this one policy, with
the full input checking of docs/language-reference.md section 16 and the decision of sections
4-7.  It is deliberately specialised (every rule is inlined, one pass over the
activities), but honest: nothing is cached across calls and every declared
field and property present in the data is read and validated, including those
of activities stamped after ``as_of``.

Time is kept as timezone-aware ``datetime`` values; windows are tested by
comparing an activity's time with ``as_of - N days`` computed once per call,
which is exact to the microsecond (an activity exactly ``within`` old counts,
one microsecond older does not).  Where a window is unbounded the number of
whole 30-day decay periods is ``(as_of - at).days // 30`` (``timedelta``
normalises to whole days plus a non-negative remainder below one day).

Standard library only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone

__all__ = ["evaluate", "LeadDataError", "POLICY_NAME", "POLICY_VERSION"]

POLICY_NAME = "Acme Cloud handoff"
POLICY_VERSION = "2026.11.1"


class LeadDataError(ValueError):
    """A value in the lead that cannot be read as its declared type."""

    def __init__(self, message, *, field=None, value=None, lead_id=None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value
        self.lead_id = lead_id

    def to_dict(self):
        return {"field": self.field, "value": self.value, "message": self.message}


# ---------------------------------------------------------------------------
# Constants of the policy
# ---------------------------------------------------------------------------

UTC = timezone.utc
_D14 = timedelta(days=14)
_D30 = timedelta(days=30)
_D60 = timedelta(days=60)
_D90 = timedelta(days=90)

# 0.5 ** k for the common small numbers of whole 30-day decay periods.
_HALF = tuple(0.5 ** k for k in range(64))

# Declared activity types (lower case) -> small integer codes.
_PAGE_VIEW, _FORM_SUBMIT, _EMAIL_CLICK, _WEBINAR, _UNSUBSCRIBE, _CHAT = range(6)
_TYPES = {
    "page_view": _PAGE_VIEW,
    "form_submit": _FORM_SUBMIT,
    "email_click": _EMAIL_CLICK,
    "webinar": _WEBINAR,
    "unsubscribe": _UNSUBSCRIBE,
    "chat": _CHAT,
}

# Enum fields: lower-cased member -> declared member (all acme members are
# already lower case).
_SENIORITY = {m: m for m in ("ic", "manager", "director", "vp", "cxo")}
_INDUSTRY = {m: m for m in ("saas", "fintech", "healthcare", "retail", "other")}
_SALES_STATUS = {m: m for m in ("open", "accepted", "rejected", "disqualified")}

_DECISION_MAKERS = frozenset(("director", "vp", "cxo"))
_TARGET_INDUSTRIES = frozenset(("saas", "fintech"))

# Stages in order; "disqualified" is the reserved out-of-funnel state.
_STAGE_NAMES = ("lead", "mql", "sql")
_STAGE_INDEX = {"lead": 0, "mql": 1, "sql": 2}
_PREVIOUS = {"lead": "lead", "mql": "mql", "sql": "sql", "disqualified": "disqualified"}

# A number written as text: optional sign, digits, optional fraction and
# exponent (ASCII digits only; no "1,000", "1_000", "nan", "inf", ".5", "5.").
_NUMBER_TEXT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")

_BOOLEAN_TEXT = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}

_fromisoformat = datetime.fromisoformat


# ---------------------------------------------------------------------------
# Reading values (the slow paths; the common cases are inlined in evaluate)
# ---------------------------------------------------------------------------

def show_value(value):
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _error(field, value, problem, lead_id):
    where = f"lead `{lead_id}`: " if lead_id is not None else ""
    return LeadDataError(
        f"{where}`{field}` {problem}, got `{show_value(value)}`",
        field=field,
        value=value,
        lead_id=lead_id,
    )


def _text(value, field, lead_id):
    """A text value -> trimmed text, or None when blank. value is not None."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _error(field, value, "must be text", lead_id)


def _number(value, field, lead_id):
    """A number value -> int or float, or None when blank text. value is not None."""
    if isinstance(value, bool):
        raise _error(field, value, "must be a number", lead_id)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value - value == 0.0:  # finite
            return value
        raise _error(field, value, "must be a finite number", lead_id)
    if isinstance(value, str):
        s = value.strip()
        if not s:
            return None
        if _NUMBER_TEXT.match(s):
            x = float(s)
            if x - x == 0.0:
                return x
        raise _error(field, value, "must be a number", lead_id)
    raise _error(field, value, "must be a number", lead_id)


def _boolean(value, field, lead_id):
    """A boolean value -> True/False, or None when blank text. value is not None."""
    if value is True or value is False:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if value == 1:
            return True
        if value == 0:
            return False
    elif isinstance(value, str):
        s = value.strip()
        if not s:
            return None
        b = _BOOLEAN_TEXT.get(s.lower())
        if b is not None:
            return b
    raise _error(field, value, "must be a boolean (true, false, yes, no, 1 or 0)", lead_id)


def _enum(value, members, field, lead_id):
    """An enum value -> its declared member, or None when blank. value is not None."""
    if isinstance(value, str):
        s = value.strip()
        if not s:
            return None
        m = members.get(s.lower())
        if m is not None:
            return m
        choices = ", ".join(members.values())
        raise _error(field, value, f"must be one of {choices}", lead_id)
    raise _error(field, value, "must be text naming one of its members", lead_id)


# docs/language-reference.md section 16: YYYY-MM-DD, or that, T/t/space, HH:MM[:SS[.F{1,9}]] and an
# optional zone (one space may come first): Z, z, +HH:MM, +HHMM, +HH (or -), with
# every field in range; fromisoformat then reads what this pattern lets through
# (it still rejects impossible dates).
_ISO = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.][0-9]{1,9})?)?"
    r"(?: ?(?:[Zz]|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?))?)?"
).fullmatch


def _parse_iso(text):
    """Date or timestamp text in the one syntax -> aware UTC-comparable datetime, or None."""
    if not _ISO(text):
        return None
    if text[-1] == "z":
        text = text[:-1] + "Z"
    try:
        dt = _fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def _timestamp(value, field, lead_id):
    """A date or timestamp value -> aware datetime, or None when blank text."""
    if isinstance(value, str):
        s = value.strip()
        if not s:
            return None
        dt = _parse_iso(s)
        if dt is not None:
            return dt
        raise _error(field, value, "must be an ISO 8601 date or timestamp", lead_id)
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise _error(field, value, "must be an ISO 8601 date or timestamp", lead_id)


def _activity_at(value, index, lead_id):
    """The slow path for an activity's `at`: required, a date or timestamp."""
    field = f"activities[{index}].at"
    if value is None:
        raise _error(field, value, "is required (every activity needs its time)", lead_id)
    dt = _timestamp(value, field, lead_id)
    if dt is None:
        raise _error(field, value, "is required (every activity needs its time)", lead_id)
    return dt


def _activity_type(act, index, lead_id):
    """The slow path for an activity's `type`: -> code, or None if undeclared."""
    field = f"activities[{index}].type"
    if not isinstance(act, Mapping):
        raise _error(f"activities[{index}]", act, "must be an object", lead_id)
    t = act.get("type")
    if not isinstance(t, str):
        raise _error(field, t, "must be the activity's type, as text", lead_id)
    s = t.strip()
    if not s:
        raise _error(field, t, "must not be blank", lead_id)
    return _TYPES.get(s.lower())


def _activity_list(activities, lead_id):
    """The slow path for the activities argument: any iterable of objects."""
    if isinstance(activities, (str, bytes, Mapping)):
        raise _error("activities", activities, "must be a list of activities", lead_id)
    try:
        return list(activities)
    except TypeError:
        raise _error("activities", activities, "must be a list of activities", lead_id) from None


def _as_of(as_of):
    if as_of is None:
        return datetime.now(UTC)
    if isinstance(as_of, datetime):
        if as_of.tzinfo is None:
            return as_of.replace(tzinfo=UTC)
        return as_of.astimezone(UTC)
    if isinstance(as_of, date):
        return datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    if isinstance(as_of, str):
        dt = _parse_iso(as_of.strip())
        if dt is None:
            raise ValueError(f"as_of must be an ISO 8601 date or timestamp, got `{as_of}`")
        return dt.astimezone(UTC)
    raise TypeError(f"as_of must be a datetime or an ISO 8601 string, got {type(as_of).__name__}")


def _previous(value, lead_id):
    if value is None:
        return None
    if isinstance(value, str):
        s = value.strip()
        if not s:
            return None
        p = _PREVIOUS.get(s.lower())
        if p is not None:
            return p
        raise _error("stage", value, "must be one of lead, mql, sql, disqualified", lead_id)
    raise _error("stage", value, "must be a stage name", lead_id)


# ---------------------------------------------------------------------------
# The evaluator
# ---------------------------------------------------------------------------

def evaluate(fields, activities=(), as_of=None, previous_stage=None, lead_id=None):
    """Evaluate one lead against the acme policy; returns the section-7 decision."""
    # -- as_of ---------------------------------------------------------------
    if as_of.__class__ is datetime and as_of.tzinfo is UTC:
        now = as_of
    else:
        now = _as_of(as_of)

    # -- fields (section 8: every declared field present is read) ------------
    if fields is None:
        fields = {}
    elif fields.__class__ is not dict and not isinstance(fields, Mapping):
        raise _error("fields", fields, "must be an object", lead_id)
    get = fields.get

    v = get("email")
    if v is None:
        email = None
    elif v.__class__ is str:
        email = v.strip().lower() or None
    else:
        email = _text(v, "email", lead_id)
        if email is not None:
            email = email.lower()

    v = get("seniority")
    if v is None:
        seniority = None
    elif v.__class__ is str:
        seniority = _SENIORITY.get(v) or _SENIORITY.get(v.strip().lower())
        if seniority is None:
            seniority = _enum(v, _SENIORITY, "seniority", lead_id)  # blank, or raises
    else:
        seniority = _enum(v, _SENIORITY, "seniority", lead_id)

    v = get("company_size")
    if v is None or v.__class__ is int:
        company_size = v
    elif v.__class__ is str and (t := v.strip()).isdigit() and t.isascii():
        company_size = int(t)
    else:
        company_size = _number(v, "company_size", lead_id)

    v = get("industry")
    if v is None:
        industry = None
    elif v.__class__ is str:
        industry = _INDUSTRY.get(v) or _INDUSTRY.get(v.strip().lower())
        if industry is None:
            industry = _enum(v, _INDUSTRY, "industry", lead_id)
    else:
        industry = _enum(v, _INDUSTRY, "industry", lead_id)

    v = get("budget")
    if v is None or v.__class__ is int:
        budget = v
    elif v.__class__ is str and (t := v.strip()).isdigit() and t.isascii():
        budget = int(t)
    else:
        budget = _number(v, "budget", lead_id)

    v = get("timeline_days")
    if v is None or v.__class__ is int:
        timeline_days = v
    elif v.__class__ is str and (t := v.strip()).isdigit() and t.isascii():
        timeline_days = int(t)
    else:
        timeline_days = _number(v, "timeline_days", lead_id)

    v = get("sales_status")
    if v is None:
        sales_status = None
    elif v.__class__ is str:
        sales_status = _SALES_STATUS.get(v) or _SALES_STATUS.get(v.strip().lower())
        if sales_status is None:
            sales_status = _enum(v, _SALES_STATUS, "sales_status", lead_id)
    else:
        sales_status = _enum(v, _SALES_STATUS, "sales_status", lead_id)

    v = get("is_customer")
    if v is None or v is True or v is False:
        is_customer = v
    else:
        is_customer = _BOOLEAN_TEXT.get(v.strip().lower()) if v.__class__ is str else None
        if is_customer is None:
            is_customer = _boolean(v, "is_customer", lead_id)  # 1/0, blank, or raises

    v = get("created")  # declared but used by no rule: checked only
    if v is not None:
        if v.__class__ is str:
            try:
                if not _ISO(v):
                    raise ValueError
                _fromisoformat(v)
            except ValueError:
                _timestamp(v, "created", lead_id)
        else:
            _timestamp(v, "created", lead_id)

    if previous_stage is None:
        prev = None
    elif previous_stage.__class__ is str:
        prev = _PREVIOUS.get(previous_stage) or _PREVIOUS.get(previous_stage.strip().lower())
        if prev is None:
            prev = _previous(previous_stage, lead_id)  # blank, or raises
    else:
        prev = _previous(previous_stage, lead_id)

    # -- activities: one pass, validating everything, scoring what counts ---
    blog = pricing = ebook = webinar = demo = unsub = 0.0
    blog_n = pricing_n = ebook_n = webinar_n = demo_n = unsub_n = 0
    demo_14 = False      # did form_submit where form = "demo" within 14 days
    active_30 = False    # did activity (any declared type) within 30 days

    if activities:
        if activities.__class__ is not list and activities.__class__ is not tuple:
            activities = _activity_list(activities, lead_id)
        types = _TYPES
        fromiso = _fromisoformat
        iso = _ISO
        half = _HALF
        t14 = now - _D14
        t30 = now - _D30
        t60 = now - _D60
        t90 = now - _D90
        for index, act in enumerate(activities):
            # type: text, trimmed, matched case-insensitively; undeclared: ignored
            if act.__class__ is dict:
                t = act.get("type")
                if t.__class__ is str:
                    kind = types.get(t)
                    if kind is None:
                        t = t.strip().lower()
                        kind = types.get(t)
                        if kind is None:
                            if t:
                                continue  # an undeclared type is ignored whatever it holds
                            kind = _activity_type(act, index, lead_id)  # raises: blank
                else:
                    kind = _activity_type(act, index, lead_id)  # raises: missing, not text
            else:
                kind = _activity_type(act, index, lead_id)
                if kind is None:
                    continue

            # at: required, ISO 8601 (naive means UTC)
            at = act.get("at")
            try:
                if not iso(at):
                    raise ValueError
                at = fromiso(at)
            except (TypeError, ValueError):  # not text, or not in the one syntax as it is
                at = _activity_at(at, index, lead_id)
            if at.tzinfo is None:
                at = at.replace(tzinfo=UTC)

            # Windows and decay periods by comparing `at` with as_of - N days
            # (exact: aware datetimes compare as instants).  An activity is in
            # "within N days" when t_N <= at <= now, and its number of whole
            # 30-day periods is k when t_{30(k+1)} < at <= t_{30k}.
            if kind == 0:  # page_view (path text)
                p = act.get("path")
                if p is not None:
                    if p.__class__ is str:
                        p = p.strip().lower()
                    else:
                        p = _text(p, f"activities[{index}].path", lead_id)
                if at > now:
                    continue  # after as_of: checked, never counted
                if at >= t30:
                    active_30 = True
                    if p == "/pricing":
                        pricing += 20.0 if at > t30 else 10.0       # 20 * 0.5 ** k, k = 0 or 1
                        pricing_n += 1
                    elif p and p.startswith("/blog"):
                        blog += 5.0 if at > t30 else 2.5            # 5 * 0.5 ** k, k = 0 or 1
                        blog_n += 1
                elif p and at >= t90 and p.startswith("/blog"):
                    blog += 2.5 if at > t60 else 1.25 if at > t90 else 0.625
                    blog_n += 1

            elif kind == 2:  # email_click (campaign text)
                c = act.get("campaign")
                if c is not None and c.__class__ is not str:
                    _text(c, f"activities[{index}].campaign", lead_id)
                if not active_30 and t30 <= at <= now:
                    active_30 = True

            elif kind == 1:  # form_submit (form text)
                f = act.get("form")
                if f is not None:
                    if f.__class__ is str:
                        f = f.strip().lower()
                    else:
                        f = _text(f, f"activities[{index}].form", lead_id)
                if at > now:
                    continue
                if at >= t30:
                    active_30 = True
                if f == "ebook":
                    k = (now - at).days // 30
                    ebook += 15.0 * (half[k] if k < 64 else 0.5 ** k)
                    ebook_n += 1
                elif f == "demo":
                    k = (now - at).days // 30
                    demo += 100.0 * (half[k] if k < 64 else 0.5 ** k)
                    demo_n += 1
                    if at >= t14:
                        demo_14 = True

            elif kind == 3:  # webinar (title text, minutes number)
                ti = act.get("title")
                if ti is not None and ti.__class__ is not str:
                    _text(ti, f"activities[{index}].title", lead_id)
                m = act.get("minutes")
                if m is not None and m.__class__ is not int:
                    m = _number(m, f"activities[{index}].minutes", lead_id)
                if at > now:
                    continue
                if at >= t30:
                    active_30 = True
                if m is not None and m >= 20:
                    k = (now - at).days // 30
                    webinar += 30.0 * (half[k] if k < 64 else 0.5 ** k)
                    webinar_n += 1

            elif kind == 4:  # unsubscribe
                if at > now:
                    continue
                if at >= t30:
                    active_30 = True
                k = (now - at).days // 30
                unsub += -50.0 * (half[k] if k < 64 else 0.5 ** k)
                unsub_n += 1

            elif not active_30 and t30 <= at <= now:  # chat
                active_30 = True

    # -- engagement: rule totals after decay, capped, in file order ----------
    hits = []
    engagement = 0.0
    if blog_n:
        if blog > 50.0:
            blog = 50.0
        if blog != 0.0:
            engagement += blog
            hits.append({"section": "engagement", "rule": "Read a blog post",
                         "points": blog, "count": blog_n})
    if pricing_n:
        if pricing > 60.0:
            pricing = 60.0
        if pricing != 0.0:
            engagement += pricing
            hits.append({"section": "engagement", "rule": "Visited pricing",
                         "points": pricing, "count": pricing_n})
    if ebook_n and ebook != 0.0:
        engagement += ebook
        hits.append({"section": "engagement", "rule": "Downloaded an e-book",
                     "points": ebook, "count": ebook_n})
    if webinar_n and webinar != 0.0:
        engagement += webinar
        hits.append({"section": "engagement", "rule": "Attended a webinar",
                     "points": webinar, "count": webinar_n})
    if demo_n:
        if demo > 100.0:
            demo = 100.0
        if demo != 0.0:
            engagement += demo
            hits.append({"section": "engagement", "rule": "Requested a demo",
                         "points": demo, "count": demo_n})
    if unsub_n:
        if unsub < -50.0:
            unsub = -50.0
        if unsub != 0.0:
            engagement += unsub
            hits.append({"section": "engagement", "rule": "Unsubscribed",
                         "points": unsub, "count": unsub_n})

    # -- fit -------------------------------------------------------------------
    fit = 0.0
    has_budget = budget is not None and budget >= 10000
    decision_maker = seniority in _DECISION_MAKERS
    target_industry = industry in _TARGET_INDUSTRIES
    this_quarter = timeline_days is not None and timeline_days <= 90
    if has_budget:
        fit += 25.0
        hits.append({"section": "fit", "group": "budget",
                     "rule": "Budget of $10k or more", "points": 25.0})
    if decision_maker:
        fit += 25.0
        hits.append({"section": "fit", "group": "authority",
                     "rule": "Decision maker", "points": 25.0})
    if seniority == "manager":
        fit += 10.0
        hits.append({"section": "fit", "group": "authority",
                     "rule": "Influencer", "points": 10.0})
    if target_industry:
        fit += 20.0
        hits.append({"section": "fit", "group": "need",
                     "rule": "Target industry", "points": 20.0})
    if company_size is not None and company_size >= 200:
        fit += 15.0
        hits.append({"section": "fit", "group": "need",
                     "rule": "Mid-market or larger", "points": 15.0})
    if this_quarter:
        fit += 15.0
        hits.append({"section": "fit", "group": "timeline",
                     "rule": "Buying this quarter", "points": 15.0})
    if email is not None and (email.endswith("@gmail.com") or email.endswith("@yahoo.com")):
        fit += -30.0
        hits.append({"section": "fit", "group": None,
                     "rule": "Free email address", "points": -30.0})
    if has_budget + decision_maker + target_industry + this_quarter >= 3:
        fit += 10.0
        hits.append({"section": "fit", "group": None,
                     "rule": "Three of four BANT signals", "points": 10.0})

    # -- grade -----------------------------------------------------------------
    if fit >= 70:
        grade = "A"
    elif fit >= 45:
        grade = "B"
    elif fit >= 20:
        grade = "C"
    else:
        grade = "D"

    # -- qualified stage ---------------------------------------------------------
    mql = engagement >= 60 and fit >= 40
    if mql and (demo_14 or sales_status == "accepted"):
        qualified = 2
    elif mql:
        qualified = 1
    else:
        qualified = 0

    # -- disqualification, stickiness and demotion ---------------------------------
    if email is not None and email.endswith("@rival.example"):
        stage, kind, rule = "disqualified", "disqualified", "Competitor"
    elif is_customer:
        stage, kind, rule = "disqualified", "disqualified", "Already a customer"
    elif sales_status == "disqualified":
        stage, kind, rule = "disqualified", "disqualified", "Ruled out by sales"
    elif prev is None or prev == "disqualified" or qualified >= _STAGE_INDEX[prev]:
        stage, kind, rule = _STAGE_NAMES[qualified], "qualified", None
    else:
        s = _STAGE_INDEX[prev]
        rule = None
        while s > qualified:
            if s == 2 and not active_30 and sales_status != "accepted":
                rule = "Went quiet"            # sql -> mql
                s = 1 if qualified < 1 else qualified
            elif s == 1 and engagement < 30:
                rule = "Engagement faded"      # mql -> lead
                s = 0
            else:
                break
        stage = _STAGE_NAMES[s]
        kind = "held" if rule is None else "demoted"

    # -- change ------------------------------------------------------------------
    if prev is None:
        change = "new"
    elif stage == prev:
        change = "unchanged"
    elif stage == "disqualified":
        change = "disqualified"
    elif prev == "disqualified":
        change = "requalified"
    elif _STAGE_INDEX[stage] > _STAGE_INDEX[prev]:
        change = "promoted"
    else:
        change = "demoted"

    return {
        "policy": POLICY_NAME,
        "version": POLICY_VERSION,
        "stage": stage,
        "previous_stage": prev,
        "change": change,
        "engagement": engagement,
        "fit": fit,
        "grade": grade,
        "reason": {"kind": kind, "stage": stage, "rule": rule},
        "hits": hits,
    }
