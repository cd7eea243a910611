"""A clean-room oracle of the leadpolicy language, written from LANGUAGE.md alone
(no code of the leadpolicy package was read to write it).

    parse(text) -> Policy
    decide(policy, fields, activities, as_of, previous_stage) -> the decision dict (section 7)
    run_test(policy, test) -> (decision or OracleDataError, passed): a `test` block (section 9)
    OracleDataError: raised for a data error; `.field` names the field or property
"""

from .data import OracleDataError
from .evaluate import decide, run_test
from .syntax import Policy, TestCase, parse, parse_tests

__all__ = ["OracleDataError", "Policy", "TestCase", "decide", "parse", "parse_tests", "run_test"]
