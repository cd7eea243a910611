"""A clean-room oracle of the leadpolicy language, written from LANGUAGE.md alone
(no code of the leadpolicy package was read to write it).

    parse(text) -> Policy
    decide(policy, fields, activities, as_of, previous_stage) -> the decision dict (section 7)
    OracleDataError: raised for a data error; `.field` names the field or property
"""

from .data import OracleDataError
from .evaluate import decide
from .syntax import Policy, parse

__all__ = ["OracleDataError", "Policy", "decide", "parse"]
