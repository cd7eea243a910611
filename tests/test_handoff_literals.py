"""The handoff's English and stage diagram write a policy's strings and enum members as
the policy would (issue 17 item 4: one home, `nodes.quote` / `nodes.member_text`): a
quote or backslash inside a string is escaped, a member that is not a plain name (a
reserved word, spaces) is quoted, so the text read back names the same value."""

from __future__ import annotations

import leadpolicy
from leadpolicy.handoff import diagram
from leadpolicy.handoff.english import English
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.parser import parse

POLICY = r'''policy "P" version "1"
fields {
  title  text
  status one of (open, "Closed Won", "and", "say \"hi\"")
}
stages {
  lead
  mql when title contains "a \"b\" \\c" and status = "Closed Won"
  sql when status >= "and" and status != "say \"hi\""
}
'''


def stages() -> tuple[n.StageDecl, ...]:
    return leadpolicy.loads(POLICY).tree.stages


def test_english_writes_literals_as_the_policy_does() -> None:
    english = English(leadpolicy.loads(POLICY).tree)
    mql, sql = (stage.condition for stage in stages()[1:])
    assert mql is not None and sql is not None
    text = english.condition(mql)
    assert r'"a \"b\" \\c"' in text and '"Closed Won"' in text
    text = english.condition(sql)
    assert '"and"' in text and r'"say \"hi\""' in text
    assert " and or " not in text and "(and, " not in text  # a reserved word is never bare


def test_the_diagram_writes_literals_as_the_policy_does() -> None:
    mql, sql = (stage.condition for stage in stages()[1:])
    assert r'"a \"b\" \\c"' in diagram.criterion(mql) and '"Closed Won"' in diagram.criterion(mql)
    assert '"and"' in diagram.criterion(sql)


def test_a_written_string_reads_back_as_its_value() -> None:
    value = 'a "b" \\c'
    policy = parse(f'policy "P" version "1"\nfields {{ t text }}\nstages {{ lead  mql when t = {n.quote(value)} }}\n')
    condition = policy.stages[1].condition
    assert isinstance(condition, n.Compare) and condition.right == n.String(value)
