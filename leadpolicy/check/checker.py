"""Compatibility: the checker now lives in leadpolicy/check/ (passes under
check/passes/); these names stay importable from here."""

from __future__ import annotations

from leadpolicy.check import Checker, CheckResult, check
from leadpolicy.check.base import CHANGES, DISQUALIFIED, RESERVED, suggest

__all__ = ["CHANGES", "DISQUALIFIED", "RESERVED", "CheckResult", "Checker", "check", "suggest"]
