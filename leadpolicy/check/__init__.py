"""The checker: named passes over a parsed policy, run in the order declared
below. It never raises; it returns every problem at once, and a resolved tree
the back ends can trust.

Passes, in order (one module each under check/passes/):
  blocks        each block at most once, `stages` present
  declarations  names: reserved words, duplicates (case-insensitively), enum members, stages
  rules         rule names, engagement rules, decay, grades, demotions
  resolve       every condition: names resolved (names.py), types checked (types.py), contexts obeyed
  tests         test blocks name real stages, rules, fields and activities; test lints
  warnings      unreachable thresholds and grades, rules that never fire, unused names
"""

from __future__ import annotations

from typing import Optional

from leadpolicy.check.base import RESERVED, CheckResult, suggest
from leadpolicy.check.passes.blocks import BlocksPass
from leadpolicy.check.passes.declarations import DeclarationsPass
from leadpolicy.check.passes.lints import LintsPass
from leadpolicy.check.passes.names import NamesPass
from leadpolicy.check.passes.rules import RulesPass
from leadpolicy.check.passes.tests import TestsPass
from leadpolicy.check.passes.types import TypesPass
from leadpolicy.syntax import nodes as n

__all__ = ["PASSES", "RESERVED", "CheckResult", "Checker", "check", "suggest"]

# The order matters: names are declared before conditions resolve them, and the
# tests and warnings read the resolved policy.
PASSES: tuple[str, ...] = ("blocks", "declarations", "rules", "resolve", "tests", "warnings")


class Checker(BlocksPass, DeclarationsPass, RulesPass, NamesPass, TypesPass, TestsPass, LintsPass):
    exhaustive = True
    prefix = "expr_"  # expression resolution dispatches on expr_<NodeKind>

    def run(self) -> CheckResult:
        self.resolved = self.policy
        for name in PASSES:
            getattr(self, "pass_" + name)()
        return CheckResult(self.resolved, self.diagnostics)

    def pass_blocks(self) -> None:
        self.check_blocks()

    def pass_declarations(self) -> None:
        self.check_declarations()

    def pass_rules(self) -> None:
        self.check_rules()

    def pass_resolve(self) -> None:
        self.resolved = self.resolve_policy()

    def pass_tests(self) -> None:
        self.check_tests(self.resolved)

    def pass_warnings(self) -> None:
        self.check_warnings(self.resolved)


def check(policy: n.Policy, extra_tests: tuple[n.TestBlock, ...] = (), tests_path: Optional[str] = None) -> CheckResult:
    """Run every pass; never raises for a bad policy."""
    return Checker(policy, extra_tests, tests_path).run()
