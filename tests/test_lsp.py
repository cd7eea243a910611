"""`leadpolicy lsp` end to end: a client process talking JSON-RPC over the
server's standard input and output, as an editor does (tests/support/lsp_client.py).

Initialize; diagnostics at the right ranges and none after the fix; hover,
completion, definition, references, rename, formatting, symbols and quick
fixes on every example policy and its tests (each declared field, activity
and stage hovered, renamed-prepared, its references and their definitions);
every invalid example and each example typed out in 60 steps through the
wire without a crash; UTF-8 positions when the client asks for them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the language server needs the `lsp` extra: pip install 'leadpolicy[lsp]'")

from support.lsp_client import LspClient, LspError, apply_edits, check_diagnostics, position  # noqa: E402

from leadpolicy.check.catalog import CATALOG  # noqa: E402
from leadpolicy.cli.common import check_file  # noqa: E402
from leadpolicy.tools.fmt import format_text  # noqa: E402

ROOT = Path(__file__).parent.parent
# the checker's golden cases; one of a file that is no policy is `check`'s before any parse
# (test_lsp_analysis.py: the server shows a syntax error there)
FILE_LEVEL_CODES = tuple(entry.code for entry in CATALOG if entry.file_level)
GOLDEN = [p for p in sorted((ROOT / "tests" / "golden" / "diagnostics").glob("*.policy")) if not p.stem.startswith(FILE_LEVEL_CODES)]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("workspace")
    shutil.copytree(ROOT / "policies", root / "policies")
    shutil.copytree(ROOT / "tests" / "golden" / "diagnostics", root / "golden")
    return root


@pytest.fixture(scope="module")
def client(workspace: Path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    lsp = LspClient(cwd=workspace, env=env)
    lsp.capabilities = lsp.initialize(workspace)["capabilities"]
    yield lsp
    assert lsp.close() == 0, lsp.log()


def _range(d) -> tuple:
    """A checker diagnostic's span as an LSP range (ASCII files: columns are characters)."""
    s = d.span
    return ((s.line - 1, s.column - 1), (s.end_line - 1, s.end_column - 1))


def _lsp_range(d: dict) -> tuple:
    r = d["range"]
    return ((r["start"]["line"], r["start"]["character"]), (r["end"]["line"], r["end"]["character"]))


def test_initialize_advertises_every_feature(client: LspClient) -> None:
    caps = client.capabilities
    for name in (
        "hoverProvider",
        "completionProvider",
        "definitionProvider",
        "referencesProvider",
        "documentHighlightProvider",
        "renameProvider",
        "documentFormattingProvider",
        "documentSymbolProvider",
        "codeActionProvider",
    ):
        assert caps.get(name), name
    assert caps["renameProvider"]["prepareProvider"] is True
    assert caps["positionEncoding"] == "utf-16"


BROKEN = """policy "Broken" version "1"
fields {
  budget     number
  seniority  one of (ic, manager, vp)
}
stages {
  lead
  mql when budgt >= 100 and seniority = VP
}
"""


def test_diagnostics_at_the_right_ranges_then_none_after_the_fix(client: LspClient, workspace: Path) -> None:
    path = workspace / "broken.policy"
    path.write_text(BROKEN, encoding="utf-8")
    expected, _ = check_file(path)
    uri = client.open(path, BROKEN)
    got = client.diagnostics(uri)
    assert sorted((d["code"], _lsp_range(d)) for d in got) == sorted((d.code, _range(d)) for d in expected)
    assert {d["code"] for d in got} == {"unknown-field", "member-case"}
    assert all(d["severity"] == 1 and d["source"] == "leadpolicy" for d in got)
    assert any("help: did you mean `budget`?" in d["message"] for d in got)
    # two incremental edits, as an editor sends them while typing
    client.change(uri, 2, [{"range": {"start": position(BROKEN, "budgt"), "end": position(BROKEN, "budgt", 0, 5)}, "text": "budget"}])
    fixed = BROKEN.replace("budgt", "budget")
    client.change(uri, 3, [{"range": {"start": position(fixed, "VP"), "end": position(fixed, "VP", 0, 2)}, "text": "vp"}])
    assert client.diagnostics(uri, version=3) == []


def test_look_alike_rule_names_are_a_warning_in_the_editor(client: LspClient, workspace: Path) -> None:
    text = ('policy "Twins" version "1"\nfields { budget number }\nstages { lead }\nfit {\n'
            '  "Big budget": +1 when budget > 1\n  "Big budg\u0435t": +1 when budget > 2\n}\n')
    uri = client.open(workspace / "twins.policy", text)
    (got,) = client.diagnostics(uri)
    assert (got["code"], got["severity"]) == ("look-alike-names", 2)  # a warning, not an error
    assert _lsp_range(got) == ((5, 2), (5, 14))
    assert "note: `Big budget` is the rule on line 5" in got["message"]
    assert "U+0435 CYRILLIC SMALL LETTER IE where `Big budget` has U+0065 LATIN SMALL LETTER E" in got["message"]


def test_every_invalid_example_gives_the_checks_diagnostics_over_the_wire(client: LspClient, workspace: Path) -> None:
    uris = {}
    for golden in GOLDEN:
        path = workspace / "golden" / golden.name
        uris[client.open(path)] = path
    for uri, path in uris.items():
        expected = check_diagnostics(path)
        got = client.diagnostics(uri)
        assert sorted((d["code"], _lsp_range(d)) for d in got) == sorted((d.code, _range(d)) for d in expected), path.name


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "policies").glob("*.policy")))
def test_half_written_text_never_stops_the_server(client: LspClient, workspace: Path, name: str) -> None:
    """Each example typed out in 60 steps (every prefix of each goes through in process, test_lsp_analysis.py)."""
    text = (workspace / "policies" / f"{name}.policy").read_text(encoding="utf-8")
    path = workspace / f"typing-{name}.policy"
    uri = client.open(path, "")
    cuts = sorted(set(range(0, len(text), max(1, len(text) // 60))) | {len(text)})
    for version, cut in enumerate(cuts, start=2):
        prefix = text[:cut]
        client.change(uri, version, [{"text": prefix}])
        end = position(prefix + "\n", "\n", prefix.count("\n"))
        client.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": end})
        client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": end})
        client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    final = client.diagnostics(uri, version=len(cuts) + 1)
    path.write_text(text, encoding="utf-8")  # no .tests beside it, as in the editor
    assert sorted((d["code"], _lsp_range(d)) for d in final) == sorted((d.code, _range(d)) for d in check_diagnostics(path))
    # nonsense requests are answered, not fatal
    assert client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 9999, "character": 99}}) is None
    missing = (workspace / "nowhere.policy").as_uri()
    assert client.request("textDocument/definition", {"textDocument": {"uri": missing}, "position": {"line": 0, "character": 0}}) is None
    assert client.process.poll() is None


@pytest.fixture(scope="module")
def acme(client: LspClient, workspace: Path) -> tuple[str, str]:
    path = workspace / "policies" / "acme.policy"
    text = path.read_text(encoding="utf-8", errors="surrogatepass")
    uri = client.open(path, text)
    assert [d["code"] for d in client.diagnostics(uri)] == ["unused-field"]
    return uri, text


def _doc(uri: str, pos: dict) -> dict:
    return {"textDocument": {"uri": uri}, "position": pos}


def test_hover(client: LspClient, acme) -> None:
    uri, text = acme
    shown = client.request("textDocument/hover", _doc(uri, position(text, "mql", 1)))["contents"]
    assert shown["kind"] == "markdown"
    assert "A lead becomes an MQL when its engagement score is at least 60" in shown["value"]
    keyword = client.request("textDocument/hover", _doc(uri, position(text, "decay", 0, 1)))["contents"]["value"]
    assert keyword.startswith("**`decay`**")


def test_hover_on_a_rules_points_says_what_they_add(client: LspClient, acme) -> None:
    uri, text = acme

    def shown(needle: str, delta: int = 0):
        answer = client.request("textDocument/hover", _doc(uri, position(text, needle, 0, delta)))
        return answer and answer["contents"]["value"]

    blog = shown("+5   per page_view", 1)  # on the 5 of `+5`
    assert blog.startswith("**+5 engagement points** for each `page_view` that matches the rule's `where`, in the last 90 days")
    assert "capped at 50 (after decay)" in blog and "shrink by 50% every 30 days" in blog
    assert shown("+5   per page_view") == blog  # on the sign
    assert shown("-50  per unsubscribe").startswith("**-50 engagement points** for each `unsubscribe`; the rule's total is capped at -50")
    assert shown("+10 when seniority = manager", 2).startswith("**+10 fit points** (group `authority`), added to the fit score")
    assert shown("-30 when email").startswith("**-30 fit points**, taken off the fit score")
    assert shown("max 50", 5) == blog and shown("within 90 days", 8) == blog  # its cap and window: the same sentence
    assert shown("when budget >= 10000", 17) is None  # a number in a condition is no rule's points
    assert shown("within 14 days", 8) is None  # a `did`'s window, in a stage


def test_hover_on_a_change_on_the_disqualified_state_and_on_an_owner(client: LspClient, acme, workspace: Path) -> None:
    """`expect change demoted`, `expect stage disqualified`, `owner marketing`: words with a meaning of
    their own (sections 14, 12, 3), which showed nothing."""
    uri, text = acme
    owner = client.request("textDocument/hover", _doc(uri, position(text, "owner marketing", 0, 8)))["contents"]["value"]
    assert owner.startswith("**Owner** `marketing`: Dana Ruiz signs the agreement off for marketing")
    shown = client.request("textDocument/hover", _doc(uri, position(text, "change demoted", 0, 9)))["contents"]["value"]
    assert shown.startswith("**Change `demoted`** — a `demote` rule moved the lead below its previous stage")
    tests_text = (workspace / "policies" / "acme.tests").read_text(encoding="utf-8")
    tests_uri = client.open(workspace / "policies" / "acme.tests", tests_text)
    shown = client.request("textDocument/hover", _doc(tests_uri, position(tests_text, "stage disqualified", 0, 8)))["contents"]["value"]
    assert shown.startswith("**`disqualified`** — where the `disqualify` block puts a lead")


def test_completion(client: LspClient, acme) -> None:
    uri, text = acme
    after_did = client.request("textDocument/completion", _doc(uri, position(text, "did form_submit", 0, 4)))
    labels = [i["label"] for i in after_did["items"]]
    assert labels[:6] == ["page_view", "form_submit", "email_click", "webinar", "unsubscribe", "chat"] or {
        "page_view",
        "webinar",
    } <= set(labels)
    members = client.request("textDocument/completion", _doc(uri, position(text, "seniority = manager", 0, 12)))
    assert {"ic", "manager", "vp"} <= {i["label"] for i in members["items"]}
    listed = client.request("textDocument/completion", _doc(uri, position(text, "seniority in (director, ", 0, 24)))
    assert {i["label"] for i in listed["items"]} == {"ic", "manager", "vp", "cxo"}  # not `director` again


def test_completion_in_a_policy_opened_with_an_error_offers_its_names(client: LspClient, workspace: Path) -> None:
    """Completion offers the names of the last version of the policy that parsed; a file opened
    with a syntax error (saved mid-edit, checked out with one) had none, so it offered no field,
    member, activity or stage at all until the whole text parsed. It now takes them from the
    blocks that parse on their own."""
    folder = workspace / "opened_broken"
    folder.mkdir()
    text = (workspace / "policies" / "acme.policy").read_text(encoding="utf-8")
    text = text.replace('"Ruled out by sales": when sales_status = disqualified', '"Ruled out by sales": when sales_status = ', 1)
    (folder / "acme.policy").write_text(text, encoding="utf-8")
    uri = client.open(folder / "acme.policy", text)
    assert [d["code"] for d in client.diagnostics(uri)] == ["syntax-error"]

    def labels(at: dict) -> set[str]:
        return {i["label"] for i in client.request("textDocument/completion", _doc(uri, at))["items"]}

    assert {"budget", "seniority", "lead", "engagement"} <= labels(position(text, "engagement >= 60"))
    assert {"open", "accepted", "rejected", "disqualified"} <= labels(position(text, "sales_status = \n", 0, len("sales_status = ")))
    assert {"page_view", "webinar"} <= labels(position(text, "did form_submit", 0, 4))
    tests = folder / "acme.tests"
    tests_text = 'test "t" {\n  as of 2026-11-22\n  fields { \n}\n'
    tests_uri = client.open(tests, tests_text)
    got = {i["label"] for i in client.request("textDocument/completion", _doc(tests_uri, position(tests_text, "fields { ", 0, 9)))["items"]}
    assert {"budget", "seniority"} <= got


def test_completion_in_a_demotion_offers_only_stages_it_can_go_from_and_to(client: LspClient, acme) -> None:
    """`"R": sql -> ` offered every stage, `sql` too, and `"R": ` the first stage, from which no
    demotion can go lower: each is a demotion-direction error. As a stage's condition names only
    lower stages, a demotion goes from a stage above the first, to one below it."""
    uri, text = acme

    def labels(needle: str, delta: int) -> list[str]:
        got = client.request("textDocument/completion", _doc(uri, position(text, needle, 0, delta)))["items"]
        return [i["label"] for i in got if i["kind"] == 20]  # the stages (EnumMember)

    assert labels('"Went quiet":        sql -> mql', len('"Went quiet":        ')) == ["mql", "sql"]
    assert labels("sql -> mql", len("sql -> ")) == ["lead", "mql"]
    assert labels("mql -> lead", len("mql -> ")) == ["lead"]


def _kept_by_the_editors_filter(text: str, at: dict, item: dict) -> bool:
    """Whether an editor keeps a completion item while the text before the cursor is typed: the
    text from the start of the item's edit range to the cursor must match its `filterText` (its
    label when it has none), each character in order, as VS Code's fuzzy filter and Neovim's match."""
    edit = item.get("textEdit")
    if edit is None:
        return True  # filtered by the word at the cursor, which the item does not replace from elsewhere
    lines = text.split("\n")
    start = edit["range"]["start"]
    assert start["line"] == at["line"]
    typed = lines[at["line"]][start["character"] : at["character"]].lower()
    wanted = iter((item.get("filterText") or item["label"]).lower())
    return all(ch in wanted for ch in typed)


def test_completion_inside_a_string_is_not_filtered_away_by_the_editor(client: LspClient, workspace: Path) -> None:
    """`expect hit "` offers the rule names, each replacing the string from its opening quote; the
    editor filters the items by the text in that range (`"`, `"Inv`), and a label without the quote
    matched none of it: VS Code showed no rule at all. The items filter by their quoted text."""
    folder = workspace / "hits"
    folder.mkdir()
    (folder / "acme.policy").write_text((workspace / "policies" / "acme.policy").read_text(encoding="utf-8"), encoding="utf-8")
    text = 'test "t" {\n  as of 2026-11-22\n  expect hit "\n  expect no hit "Req\n  fields { seniority: "v }\n}\n'
    uri = client.open(folder / "acme.tests", text)
    client.diagnostics(uri)
    for needle, wanted in (('expect hit "', "Requested a demo"), ('no hit "Req', "Requested a demo"), ('seniority: "v', '"vp"')):
        at = position(text, needle, 0, len(needle))
        items = client.request("textDocument/completion", _doc(uri, at))["items"]
        shown = [item["label"] for item in items if _kept_by_the_editors_filter(text, at, item)]
        assert wanted in shown, (needle, shown)



def test_completion_offers_the_text_tests_only_after_text(client: LspClient, workspace: Path) -> None:
    """`budget `, `10000 `, `days since created `: `contains`, `starts with`, `ends with` are type
    errors there (they test text), so they are not offered; after `email ` they are. `and` and
    `or` are not offered after any of them (none is a condition), the comparisons are."""
    text = (workspace / "policies" / "acme.policy").read_text(encoding="utf-8")
    rule = '"Budget of $10k or more":  +25 when budget >= 10000'
    for version, (tail, text_tests) in enumerate(
        [("budget ", False), ("10000 ", False), ("days since created ", False), ("seniority ", False), ("email ", True)], 1
    ):
        typed = text.replace(rule, rule.replace("budget >= 10000", tail), 1)
        uri = client.open(workspace / f"text-tests-{version}.policy", typed)
        at = position(typed, "+25 when " + tail, 0, len("+25 when " + tail))
        labels = {i["label"] for i in client.request("textDocument/completion", _doc(uri, at))["items"]}
        assert "is" in labels and "=" in labels and not {"and", "or"} & labels, (tail, labels)
        assert ({"contains", "starts", "ends"} <= labels) is text_tests and (not {"contains", "starts", "ends"} & labels) is not text_tests, (tail, labels)


def test_completion_offers_no_field_where_a_member_or_property_is_declared(client: LspClient, workspace: Path) -> None:
    text = (workspace / "policies" / "acme.policy").read_text(encoding="utf-8")
    for version, (anchor, typed) in enumerate([("  created        date\n", "  region one of (emea, "), ("  chat\n", "  call (")], 1):
        new = text.replace(anchor, anchor + typed, 1)
        uri = client.open(workspace / f"declaring-{version}.policy", text)  # the names of the text that parsed
        client.diagnostics(uri)
        client.change(uri, 2, [{"text": new}])
        labels = {i["label"] for i in client.request("textDocument/completion", _doc(uri, position(new, typed, 0, len(typed))))["items"]}
        assert not labels & {"email", "budget", "seniority"}, labels
    assert "email" in {i["label"] for i in client.request("textDocument/completion", _doc(uri, position(text, "when ", 0, 5)))["items"]}


def test_completion_in_a_test_lead_offers_only_the_fields_and_properties_not_given_yet(client: LspClient, workspace: Path) -> None:
    """A test lead has one value per field (a second is `duplicate-test-item`), an activity one per property."""
    folder = workspace / "given"
    folder.mkdir()
    (folder / "acme.policy").write_text((workspace / "policies" / "acme.policy").read_text(encoding="utf-8"), encoding="utf-8")
    text = 'test "t" {\n  as of 2026-11-22\n  fields {\n    seniority: vp,\n    budget: 5, \n  }\n  activity webinar (minutes: 5, )\n}\n'
    uri = client.open(folder / "acme.tests", text)
    client.diagnostics(uri)

    def labels(needle: str) -> set[str]:
        return {i["label"] for i in client.request("textDocument/completion", _doc(uri, position(text, needle, 0, len(needle))))["items"]}

    in_fields = labels("budget: 5, ")
    assert {"email", "industry"} <= in_fields and not {"seniority", "budget"} & in_fields
    assert labels("(minutes: 5, ") == {"title"}


def test_completion_offers_where_only_after_an_activity_with_properties(client: LspClient, acme) -> None:
    uri, text = acme
    for needle, where in (("did form_submit ", True), ("no activity ", False), ("per unsubscribe ", False)):
        labels = {i["label"] for i in client.request("textDocument/completion", _doc(uri, position(text, needle, 0, len(needle))))["items"]}
        assert ("where" in labels) is where and "within" in labels, (needle, labels)


def test_definition_and_references(client: LspClient, acme, workspace: Path) -> None:
    uri, text = acme
    (target,) = client.request("textDocument/definition", _doc(uri, position(text, "mql", 1)))
    assert target["uri"] == uri and target["range"]["start"] == {"line": 28, "character": 2}
    found = client.request(
        "textDocument/references", {**_doc(uri, position(text, "seniority in")), "context": {"includeDeclaration": True}}
    )
    assert {f["uri"] for f in found} == {uri, (workspace / "policies" / "acme.tests").as_uri()}


def test_definition_of_a_score_is_its_block(client: LspClient, acme, workspace: Path) -> None:
    """`engagement >= 60`, `fit >= 40`, `expect grade B`: the score is defined by its block."""
    uri, text = acme
    lines = text.split("\n")

    def target(at_uri: str, source: str, needle: str) -> str:
        (found,) = client.request("textDocument/definition", _doc(at_uri, position(source, needle, 0, 1)))
        start = found["range"]["start"]
        assert found["uri"] == uri and start["character"] == 0
        return lines[start["line"]][: found["range"]["end"]["character"]]

    assert target(uri, text, "engagement >= 60") == "engagement"
    assert target(uri, text, "fit >= 40") == "fit"
    assert target(uri, text, "grade B") == "grades"
    tests_text = (workspace / "policies" / "acme.tests").read_text(encoding="utf-8")
    tests_uri = client.open(workspace / "policies" / "acme.tests", tests_text)
    assert target(tests_uri, tests_text, "engagement =") == "engagement"
    assert client.request("textDocument/definition", _doc(uri, position(text, "engagement {", 0, 1))) is None  # the block itself


def test_definition_of_any_activity_is_the_activities_block(client: LspClient, acme, workspace: Path) -> None:
    """`no activity within 30 days`: `activity` is any declared activity, defined by `activities {`."""
    uri, text = acme
    (found,) = client.request("textDocument/definition", _doc(uri, position(text, "no activity", 0, 4)))
    line = text.split("\n")[found["range"]["start"]["line"]]
    assert found["uri"] == uri and line[found["range"]["start"]["character"]:found["range"]["end"]["character"]] == "activities"
    assert line.startswith("activities")
    split = ('policy "Split" version "1"\nactivities { chat }\nstages {\n  lead\n'
             '  mql when did  # any of them\n    activity within 7 days\n}\n')
    split_uri = client.open(workspace / "split.policy", split)
    (found,) = client.request("textDocument/definition", _doc(split_uri, position(split, "activity within", 0, 2)))
    assert found["range"]["start"] == {"line": 1, "character": 0} and found["range"]["end"] == {"line": 1, "character": 10}
    # the word elsewhere is no use of an activity: a comment, a rule's name
    other = 'policy "O" version "1"\nactivities { chat }\nstages { lead }\n# no activity here\n'
    other_uri = client.open(workspace / "other.policy", other)
    assert client.request("textDocument/definition", _doc(other_uri, position(other, "activity here", 0, 2))) is None


def test_document_highlight_marks_the_declaration_and_each_use_in_this_file(client: LspClient, acme) -> None:
    uri, text = acme
    marks = client.request("textDocument/documentHighlight", _doc(uri, position(text, "mql", 1)))
    lines = text.split("\n")
    assert {lines[m["range"]["start"]["line"]][m["range"]["start"]["character"] : m["range"]["end"]["character"]] for m in marks} == {"mql"}
    assert [m["kind"] for m in marks].count(3) == 1  # Write: the declaration; Read (2): each use
    assert len(marks) == len(re.findall(r"(?<![\w\"])mql(?![\w\"])", re.sub(r"#[^\n]*", "", text)))
    assert client.request("textDocument/documentHighlight", _doc(uri, position(text, "decay"))) is None


def test_a_policy_that_does_not_parse_is_navigated_in_the_blocks_that_do(client: LspClient, acme, workspace: Path) -> None:
    """Hover, definition, references and highlights answered nothing at all while the policy did
    not parse anywhere (a half-written disqualification at the end). They answer from the blocks
    that parse: what a name declared there is and where, and its uses when the name is written
    nowhere else; a name also written in the broken block has no references nor highlights (they
    would miss that use), but its hover and definition still."""
    good_uri, good = acme
    folder = workspace / "navigated_broken"
    folder.mkdir()
    shutil.copy(workspace / "policies" / "acme.tests", folder / "acme.tests")
    text = good.replace('"Ruled out by sales": when sales_status = disqualified', '"Ruled out by sales": when sales_status = ', 1)
    uri = client.open(folder / "acme.policy", text)
    assert [d["code"] for d in client.diagnostics(uri)] == ["syntax-error"]

    def ask(method: str, source: str, needle: str, nth: int = 0, doc: str = uri, **more) -> object:
        return client.request(method, {**_doc(doc, position(source, needle, nth)), **more})

    hover = ask("textDocument/hover", text, "budget         number")
    assert hover == ask("textDocument/hover", good, "budget         number", doc=good_uri)  # "Used by" and all
    assert "**Field** `budget`" in hover["contents"]["value"]
    (definition,) = ask("textDocument/definition", text, "budget >= 10000")
    assert definition["uri"] == uri and definition["range"]["start"] == position(text, "budget         number")
    for method, more in (("textDocument/references", {"context": {"includeDeclaration": True}}), ("textDocument/documentHighlight", {})):
        for needle in ("budget >= 10000", "seniority = manager", "mql  "):
            wanted = ask(method, good, needle, doc=good_uri, **more)
            got = ask(method, text, needle, **more)
            assert json.loads(json.dumps(got).replace(folder.as_uri(), (workspace / "policies").as_uri())) == wanted, (method, needle)
        assert ask(method, text, "sales_status != accepted", **more) is None  # also in the block that does not parse
    assert "**Field** `sales_status`" in ask("textDocument/hover", text, "sales_status != accepted")["contents"]["value"]
    (definition,) = ask("textDocument/definition", text, "sales_status != accepted")
    assert definition["range"]["start"] == position(text, "sales_status   one of")


def test_rename_across_the_policy_and_its_tests(client: LspClient, acme, workspace: Path) -> None:
    uri, text = acme
    tests_uri = (workspace / "policies" / "acme.tests").as_uri()
    prepared = client.request("textDocument/prepareRename", _doc(uri, position(text, "mql", 1)))
    assert prepared["placeholder"] == "mql"
    edit = client.request("textDocument/rename", {**_doc(uri, position(text, "mql", 1)), "newName": "marketing_qualified"})
    assert set(edit["changes"]) == {uri, tests_uri}
    new_policy = apply_edits(text, edit["changes"][uri])
    new_tests = apply_edits((workspace / "policies" / "acme.tests").read_text(encoding="utf-8"), edit["changes"][tests_uri])
    assert "mql" not in new_policy.replace("MQL", "").replace("Marketing qualified", "")
    scratch = workspace / "renamed"
    scratch.mkdir()
    (scratch / "acme.policy").write_text(new_policy, encoding="utf-8")
    (scratch / "acme.tests").write_text(new_tests, encoding="utf-8")
    diagnostics, _ = check_file(scratch / "acme.policy")
    assert [d.code for d in diagnostics] == ["unused-field"]
    with pytest.raises(LspError, match="word of the language"):
        client.request("textDocument/rename", {**_doc(uri, position(text, "mql", 1)), "newName": "when"})
    with pytest.raises(LspError, match="would clash with the stage `sql`"):
        client.request("textDocument/rename", {**_doc(uri, position(text, "mql", 1)), "newName": "sql"})
    # a rule name or a member is a string: a line break (pasted with the name) would end it, and a
    # text-direction character is refused by the parser (bad-character)
    rule = position(text, '"Influencer"', 0, 2)
    with pytest.raises(LspError, match="cannot hold a line break"):
        client.request("textDocument/rename", {**_doc(uri, rule), "newName": "Has\ninfluence"})
    with pytest.raises(LspError, match="text-direction character"):
        client.request("textDocument/rename", {**_doc(uri, rule), "newName": "Has \u202einfluence"})
    with pytest.raises(LspError, match="cannot hold a line break"):
        client.request("textDocument/rename", {**_doc(uri, position(text, "saas,", 0, 1)), "newName": "SaaS\r\n"})
    # a refusal is an answer, not a bug: no traceback in the server's log
    assert "Traceback" not in client.log() and "would clash" not in client.log(), client.log()


def test_rename_is_refused_while_the_policy_or_its_tests_do_not_parse(client: LspClient, workspace: Path) -> None:
    """With the `.tests` file open and half written (`expect stage = `), renaming `seniority` in the
    policy renamed it there only: the tests' three uses kept the old name, to be found broken once
    the line was finished. In a policy that does not parse no name was found, and the editor said
    only that there was nothing to rename. Both are refused with the reason, from prepareRename on."""
    folder = workspace / "rename_unparsed"
    folder.mkdir()
    policy_text = (workspace / "policies" / "acme.policy").read_text(encoding="utf-8")
    tests_text = (workspace / "policies" / "acme.tests").read_text(encoding="utf-8")
    (folder / "acme.policy").write_text(policy_text, encoding="utf-8")
    (folder / "acme.tests").write_text(tests_text, encoding="utf-8")
    uri = client.open(folder / "acme.policy", policy_text)
    client.diagnostics(uri)
    broken_tests = tests_text.replace("  expect", "  expect stage = \n  expect", 1)
    line = broken_tests[: broken_tests.index("expect stage = ")].count("\n") + 1
    tests_uri = client.open(folder / "acme.tests", broken_tests)
    assert [d["code"] for d in client.diagnostics(tests_uri)] == ["syntax-error"]
    at = _doc(uri, position(policy_text, "seniority      one"))
    for method, extra in (("textDocument/prepareRename", {}), ("textDocument/rename", {"newName": "level"})):
        with pytest.raises(LspError) as refused:
            client.request(method, {**at, **extra})
        assert refused.value.code == -32803
        assert refused.value.message.startswith(f"cannot rename while acme.tests does not parse (line {line}: "), refused.value.message
    client.change(tests_uri, 2, [{"text": tests_text}])
    client.diagnostics(tests_uri, version=2)
    edit = client.request("textDocument/rename", {**at, "newName": "level"})
    assert set(edit["changes"]) == {uri, tests_uri}

    broken = policy_text.replace('when sales_status = disqualified', 'when sales_status = ', 1)
    client.change(uri, 2, [{"text": broken}])
    client.diagnostics(uri, version=2)
    line = broken[: broken.index("sales_status = \n")].count("\n") + 2
    for method, extra in (("textDocument/prepareRename", {}), ("textDocument/rename", {"newName": "level"})):
        with pytest.raises(LspError) as refused:
            client.request(method, {**at, **extra})
        assert refused.value.message.startswith(f"cannot rename while acme.policy does not parse (line {line}: "), refused.value.message


@pytest.mark.parametrize(
    "needle, delta, new_name, refusal",
    [
        ("ic, manager", 0, "manager", "would clash with the member `manager` of `seniority`"),
        ("ic, manager", 0, "VP", "would clash with the member `vp` of `seniority`"),  # members are compared without case
        ("minutes number", 0, "title", "would clash with the property `title` of `webinar`"),
        ("minutes number", 0, "Title", "would clash with the property `title` of `webinar`"),
        ("budget {", 0, "need", "would clash with the fit group `need`"),
        ("A when", 0, "B", "would clash with the grade `B`"),
    ],
)
def test_rename_refuses_a_name_its_neighbours_already_have(client: LspClient, acme, needle: str, delta: int, new_name: str, refusal: str) -> None:
    """A member, a property, a fit group or a grade renamed to a name already there (`ic` to `manager`,
    `minutes` to `title`, `budget` to `need`, `A` to `B`) was renamed: the policy then failed to check
    (duplicate-member, duplicate-name, duplicate-group, duplicate-grade). Only fields, activities and
    stages were looked at for a clash; each kind is now compared with its own namespace, as the
    checker compares it."""
    uri, text = acme
    with pytest.raises(LspError, match=re.escape(refusal)) as refused:
        client.request("textDocument/rename", {**_doc(uri, position(text, needle, 0, delta)), "newName": new_name})
    assert refused.value.code == -32803


@pytest.mark.parametrize(
    "needle, new_name",
    [("ic, manager", "IC"), ("ic, manager", "intern"), ("minutes number", "Minutes"), ("budget {", "money"), ("A when", "a"), ("A when", "Top")],
)
def test_rename_to_a_new_name_or_its_own_in_another_case_is_made(client: LspClient, acme, needle: str, new_name: str) -> None:
    uri, text = acme
    edit = client.request("textDocument/rename", {**_doc(uri, position(text, needle)), "newName": new_name})
    assert edit["changes"][uri] and all(e["newText"] == new_name for e in edit["changes"][uri])


def test_formatting_and_symbols(client: LspClient, workspace: Path) -> None:
    messy = (workspace / "policies" / "agency.policy").read_text(encoding="utf-8").replace("\n  ", "\n      ")
    path = workspace / "messy.policy"
    uri = client.open(path, messy)
    edits = client.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": True}})
    assert apply_edits(messy, edits) == format_text(messy, str(path))
    symbols = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    names = [s["name"] for s in symbols]
    assert "stages" in names and "fields" in names
    assert all("selectionRange" in s for s in symbols)


def test_formatting_a_policy_that_does_not_parse_says_why(client: LspClient, workspace: Path) -> None:
    text = 'policy "Half" version "1"\nfields { budget number }\nstages {\n  lead\n  mql when budget >\n}\n'
    uri = client.open(workspace / "half.policy", text)
    client.clear("window/showMessage")
    options = {"tabSize": 2, "insertSpaces": True}
    assert client.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": options}) == []
    shown = client.wait_for("window/showMessage")
    assert shown["type"] == 2  # a warning: the text is left as it is
    assert shown["message"].startswith("cannot format: the policy does not parse (line 6: "), shown["message"]


def test_formatting_a_tests_file_that_does_not_parse_names_the_tests_file(client: LspClient, workspace: Path) -> None:
    """The warning said "the policy does not parse" of a `.tests` file, whose policy may be fine."""
    folder = workspace / "broken_tests"
    folder.mkdir()
    shutil.copy(workspace / "policies" / "acme.policy", folder / "acme.policy")
    uri = client.open(folder / "acme.tests", "test {\n")
    client.clear("window/showMessage")
    options = {"tabSize": 2, "insertSpaces": True}
    assert client.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": options}) == []
    shown = client.wait_for("window/showMessage")
    assert shown["message"] == "cannot format: the tests file does not parse (line 1: unexpected `{`)", shown["message"]


def _outline(client: LspClient, uri: str) -> list[str]:
    """The outline as the editor shows it, one `depth name` line per symbol."""

    def walk(symbols: list, depth: int) -> list[str]:
        return [line for s in symbols for line in [f"{depth} {s['name']}", *walk(s.get("children") or [], depth + 1)]]

    return walk(client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}}), 0)


def test_the_outline_survives_a_syntax_error_in_the_middle(client: LspClient, workspace: Path) -> None:
    """Mid-edit, the outline is what the writer navigates by: a rule half written in the fit block, or a
    block not yet closed, keeps every section and rule above and below it in the outline."""
    text = (workspace / "policies" / "acme.policy").read_text(encoding="utf-8")
    whole = _outline(client, client.open(workspace / "outline-whole.policy", text))
    broken = text.replace('"Influencer":              +10 when seniority = manager', '"Influencer":              +10 when seniority = = manager')
    uri = client.open(workspace / "outline-broken.policy", broken)
    assert [d["code"] for d in client.diagnostics(uri)] == ["syntax-error"]
    assert _outline(client, uri) == whole
    assert {"1 Went quiet", "2 Decision maker", "1 email", "0 grades", "0 A quiet SQL falls back to MQL"} <= set(whole)
    unclosed = text.replace("  chat\n}\n", "  chat\n\n", 1)  # the activities block never closed
    uri = client.open(workspace / "outline-unclosed.policy", unclosed)
    assert client.diagnostics(uri)
    assert _outline(client, uri) == whole
    tests_text = (workspace / "policies" / "acme.tests").read_text(encoding="utf-8")
    (workspace / "outline-tests").mkdir()
    tests_uri = client.open(workspace / "outline-tests" / "acme.tests", tests_text.replace("expect stage", "expect stag", 1))
    names = [line.split(" ", 1)[1] for line in _outline(client, tests_uri)]
    assert names == [m for m in re.findall(r'^test "([^"]*)"', tests_text, re.M)] and names


def test_formatting_keeps_crlf_line_endings_as_fmt_does(client: LspClient, workspace: Path) -> None:
    """A Windows checkout (git's autocrlf): formatting a CRLF file gave LF lines, a mixed file in
    editors that insert the text as sent (Helix, Sublime), and a whole-file edit on every format of
    a file already formatted. The server keeps CRLF as `leadpolicy fmt` does."""
    tidy = (workspace / "policies" / "agency.policy").read_text(encoding="utf-8")
    messy = tidy.replace("\n  ", "\n      ")
    path = workspace / "windows.policy"
    uri = client.open(path, messy.replace("\n", "\r\n"))
    options = {"tabSize": 2, "insertSpaces": True}
    (edit,) = client.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": options})
    assert edit["newText"] == format_text(messy, str(path)).replace("\n", "\r\n")
    client.change(uri, 2, [{"text": tidy.replace("\n", "\r\n")}])
    assert client.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": options}) == []


def test_quick_fix_over_the_wire(client: LspClient, workspace: Path) -> None:
    path = workspace / "typo.policy"
    text = BROKEN.replace("VP", "vp")
    uri = client.open(path, text)
    (diagnostic,) = client.diagnostics(uri)
    actions = client.request(
        "textDocument/codeAction",
        {"textDocument": {"uri": uri}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}},
    )
    (action,) = actions
    assert action["kind"] == "quickfix" and action["title"] == "Change to budget"
    fixed = apply_edits(text, action["edit"]["changes"][uri])
    client.change(uri, 2, [{"text": fixed}])
    assert client.diagnostics(uri, version=2) == []


@pytest.mark.parametrize(
    "only, answered",
    [
        (["source.fixAll"], False),  # VS Code on save
        (["source"], False),
        (["refactor"], False),
        (["quickfixes"], False),  # a prefix of the text, not of the hierarchy
        (["quickfix"], True),  # VS Code when the cursor is on a diagnostic
        (["source.fixAll", "quickfix"], True),
        ([""], True),  # the empty kind contains every kind
        (None, True),
    ],
)
def test_quick_fixes_only_for_the_kinds_asked(client: LspClient, workspace: Path, only, answered: bool) -> None:
    """`context.only` names the kinds the client wants (a kind is asked for by itself or any of its
    prefixes at a dot, "quickfix" for "quickfix.x"); the server answered every request with its
    quick fixes, so VS Code's fix-all on save got them too."""
    path = workspace / f"only{re.sub(r'[^a-zA-Z]+', '-', repr(only))}.policy"
    text = BROKEN.replace("VP", "vp")
    uri = client.open(path, text)
    (diagnostic,) = client.diagnostics(uri)
    context: dict = {"diagnostics": [diagnostic]}
    if only is not None:
        context["only"] = only
    actions = client.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": diagnostic["range"], "context": context})
    assert [a["title"] for a in actions] == (["Change to budget"] if answered else [])


def test_a_quick_fix_is_made_for_the_text_as_it_is_now(workspace: Path) -> None:
    """The light bulb asked for before the diagnostics caught up with an edit (a slow analysis, here a
    2 s debounce), with the diagnostic moved by the editor as editors move them: the fix was the edit
    made for the text before, a line too high, and it garbled `mql when` into `mqbudgetn`. And a client that does
    not send a diagnostic's `data` back (the protocol asks it to only with `dataSupport`) got no fix.
    Both are now made from the document's current text, for the diagnostic with that code and range."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    lsp = LspClient("--debounce", "2000", cwd=workspace, env=env)
    try:
        lsp.initialize(workspace)
        text = BROKEN.replace("VP", "vp")
        uri = lsp.open(workspace / "stale.policy", text)
        (diagnostic,) = lsp.diagnostics(uri)
        assert diagnostic["code"] == "unknown-field" and diagnostic["data"]
        edited = "# a comment above\n" + text
        lsp.change(uri, 2, [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "# a comment above\n"}])
        moved = {**diagnostic, "range": {k: {**p, "line": p["line"] + 1} for k, p in diagnostic["range"].items()}}

        def fixed(sent: dict) -> str:
            (action,) = lsp.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": sent["range"], "context": {"diagnostics": [sent]}})
            assert action["title"] == "Change to budget"
            return apply_edits(edited, action["edit"]["changes"][uri])

        assert fixed(moved) == edited.replace("budgt", "budget")
        assert fixed({k: v for k, v in moved.items() if k != "data"}) == edited.replace("budgt", "budget")
        # a diagnostic the current text no longer has gets no fix (its edit would land elsewhere)
        assert lsp.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}}) == []
    finally:
        assert lsp.close() == 0


def test_a_syntax_hint_is_a_quick_fix_over_the_wire(client: LspClient, workspace: Path) -> None:
    """`within 30d`: the error's help shows `30 days`, and the light bulb applies it."""
    path = workspace / "unit.policy"
    text = (workspace / "policies" / "acme.policy").read_text(encoding="utf-8").replace("within 30 days", "within 30d", 1)
    uri = client.open(path, text)
    (diagnostic,) = client.diagnostics(uri)
    assert diagnostic["message"].startswith("`d` is not a unit\nhelp: write the unit in full:")
    actions = client.request(
        "textDocument/codeAction",
        {"textDocument": {"uri": uri}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}},
    )
    (action,) = actions
    assert action["kind"] == "quickfix" and action["title"] == "Change to `days`"
    fixed = apply_edits(text, action["edit"]["changes"][uri])
    assert fixed == text.replace("within 30d", "within 30 days", 1)
    client.change(uri, 2, [{"text": fixed}])
    assert [d["code"] for d in client.diagnostics(uri, version=2)] == ["unused-field"]  # Acme's `created`, a warning


def test_the_fix_for_a_comma_after_the_last_item_says_what_it_removes(client: LspClient, workspace: Path) -> None:
    """`one of (x, y, )` and a condition ending in `,`: the light bulb's title was "Remove ``" (the
    comma stripped from the text it names, as beside a word it is); it says "Remove `,`"."""
    for version, text in enumerate(('policy "C" version "1"\nfields { a one of (x, y, ) }\nstages { lead }\n',
                                    'policy "C" version "1"\nfields { a number }\nstages {\n  lead\n  mql when a >= 5,\n}\n'), 1):
        uri = client.open(workspace / f"comma-{version}.policy", text)
        fixed, titles, after = _apply_quick_fixes(client, uri, text, {"syntax-error"})
        assert titles == ["Remove `,`"] and "syntax-error" not in {d["code"] for d in after} and fixed.count(",") == text.count(",") - 1, (titles, fixed)


def _apply_quick_fixes(client: LspClient, uri: str, text: str, codes: set[str]) -> tuple[str, list[str], list[dict]]:
    """Apply the first quick fix of the first diagnostic with one of `codes`, as a writer clicking the
    light bulb, until none is left: the final text, the fixes' titles and the final diagnostics."""
    return _apply_quick_fixes_from(client, uri, text, 1, codes)


def _apply_quick_fixes_from(client: LspClient, uri: str, text: str, version: int,
                            codes: set[str]) -> tuple[str, list[str], list[dict]]:
    """`_apply_quick_fixes` on a document whose text is at `version`."""
    titles: list[str] = []
    while True:
        diagnostics = client.diagnostics(uri, version=version)
        found = [d for d in diagnostics if d["code"] in codes]
        if not found:
            return text, titles, diagnostics
        context = {"diagnostics": [found[0]]}
        (action, *_) = client.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": found[0]["range"], "context": context})
        titles.append(action["title"])
        text = apply_edits(text, action["edit"]["changes"][uri])
        version += 1
        client.change(uri, version, [{"text": text}])


def test_the_member_hints_and_an_invisible_character_are_quick_fixes(client: LspClient, workspace: Path) -> None:
    """Each of these hints shows its fix in the writer's text; the light bulb applies it. The
    text-direction character is invisible in most editors: deleting it by hand is guesswork."""
    acme = (workspace / "policies" / "acme.policy").read_text(encoding="utf-8")
    declared = "industry       one of (saas, fintech, healthcare, retail, other)"
    messy = acme.replace(declared, 'industry       one of ("", saas, " fintech", "health  care", retail, other, SaaS)')
    uri = client.open(workspace / "members.policy", messy)
    codes = {"blank-member", "padded-member", "member-spacing", "duplicate-member"}
    fixed, titles, after = _apply_quick_fixes(client, uri, messy, codes)
    assert fixed == acme.replace(declared, 'industry       one of (saas, "fintech", "health care", retail, other)')
    assert sorted(titles) == sorted(['Remove `""`', 'Change to `"fintech"`', 'Change to `"health care"`', "Remove `SaaS`"])
    hidden = acme.replace('"Competitor":', '"Compe\u202etitor":')
    uri = client.open(workspace / "hidden.policy", hidden)
    fixed, titles, after = _apply_quick_fixes(client, uri, hidden, {"bad-character"})
    assert fixed == acme and titles == ["Delete the invisible U+202E RIGHT-TO-LEFT OVERRIDE"]


def test_a_name_used_before_it_is_declared_is_declared_by_a_quick_fix(client: LspClient, workspace: Path) -> None:
    """Writing a rule first and the declaration after: the help says "declare it in the `fields`
    block", and the light bulb does, with the type the use shows."""
    acme = (workspace / "policies" / "acme.policy").read_text(encoding="utf-8")
    rules = (
        '  "EMEA":  +5 when region = "EMEA" and days since signed_up < 30\n'
        '  "Big":   +5 when headcount >= 500 and not vip\n'
    )
    text = acme.replace("  budget {\n", rules + "  budget {\n", 1).replace("when is_customer", "when did demo_call within 30 days")
    uri = client.open(workspace / "declare.policy", text)
    fixed, titles, after = _apply_quick_fixes(client, uri, text, {"unknown-field", "unknown-activity"})
    assert titles == ["Declare `region` in `fields` as text", "Declare `signed_up` in `fields` as date",
                      "Declare `headcount` in `fields` as number", "Declare `vip` in `fields` as boolean",
                      "Declare `demo_call` in `activities`"]  # fmt: skip
    assert "  created        date\n  region  text\n  signed_up  date\n  headcount  number\n  vip  boolean\n}" in fixed
    assert "  chat\n  demo_call\n}" in fixed
    assert sorted(d["message"].split("`")[1] for d in after) == ["created", "is_customer"]  # unused-field: Acme's, and the one replaced
    bare = 'policy "Bare" version "1"\n\nstages {\n  lead\n  mql when region = "EMEA" and did demo\n}\n'
    uri = client.open(workspace / "bare.policy", bare)
    fixed, titles, after = _apply_quick_fixes(client, uri, bare, {"unknown-field", "unknown-activity"})
    assert titles == ["Declare `region` in a new `fields` block as text", "Declare `demo` in a new `activities` block"]
    assert fixed.startswith('policy "Bare" version "1"\n\nactivities {\n  demo\n}\n\nfields {\n  region  text\n}\n\nstages {') and after == []


def test_slips_from_documents_and_other_languages_are_quick_fixes(client: LspClient, workspace: Path) -> None:
    """A policy pasted from a document has curly quotes; a writer used to other languages types
    `in [...]`, `endswith`, `is not missing`, `expect stage = sql`. Each is a syntax error whose hint shows the fix, and
    the light bulb applies them one after the other until the policy is Acme again."""
    acme = (workspace / "policies" / "acme.policy").read_text(encoding="utf-8")
    slips = (
        acme.replace('ends with "@gmail.com"', 'endswith "@gmail.com"').replace('"@yahoo.com"', "“@yahoo.com”")
        .replace("seniority in (director, vp, cxo)", "seniority in [director, vp, cxo]", 1)
        .replace('ends with "@rival.example"', 'ends "@rival.example"')
        .replace("when is_customer", "when is_customer is not missing and is_customer")
        .replace("expect stage sql", "expect stage = sql")
    )
    uri = client.open(workspace / "slips.policy", slips)
    fixed, titles, after = _apply_quick_fixes(client, uri, slips, {"syntax-error"})
    assert fixed == acme.replace("when is_customer", "when is_customer is present and is_customer")
    # the glued `endswith` and the curly quotes on one line: one fix, the whole line's (hints/__init__.py)
    assert titles == ["Change to `(director, vp, cxo)`", 'Change to `ends with "@gmail.com" or email ends with "@yahoo.com"`',
                      "Change to `with`", "Change to `present`", "Remove `=`"]  # fmt: skip


def test_words_joined_by_an_underscore_are_quick_fixes(client: LspClient, workspace: Path) -> None:
    """`at_least`, `is_missing` written as a name would be: the hint writes the words apart and the
    light bulb does it, in a fit rule (a syntax error at what follows) and in a stage's condition
    (where `x is_missing` parses, as a stage `is_missing`: the parser's own check says it)."""
    acme = (workspace / "policies" / "acme.policy").read_text(encoding="utf-8")
    slips = (
        acme.replace('when engagement >= 60 and fit >= 40', 'when engagement >= 60 and fit >= 40 and budget is_present', 1)
        .replace("at least 3 of", "at_least 3 of", 1)
    )
    uri = client.open(workspace / "underscored.policy", slips)
    fixed, titles, after = _apply_quick_fixes(client, uri, slips, {"syntax-error"})
    assert fixed == slips.replace("is_present", "is present").replace("at_least", "at least")
    assert titles == ["Change to `at least`", "Change to `is present`"]  # the stage's check once the text parses


def test_a_score_expected_by_another_name_is_a_quick_fix(client: LspClient, workspace: Path) -> None:
    """`expect score = 160`: the help shows `engagement` and `fit`; the light bulb writes the first."""
    acme = (workspace / "policies" / "acme.policy").read_text(encoding="utf-8")
    slips = acme.replace("expect engagement = 160", "expect score = 160", 1).replace("expect no hit", "expect not hit", 1)
    uri = client.open(workspace / "score.policy", slips)
    fixed, titles, after = _apply_quick_fixes(client, uri, slips, {"syntax-error"})
    assert fixed == acme and titles == ["Change to `engagement`", "Change to `no hit`"]


def test_a_misspelt_score_is_fixed_to_the_bare_word(client: LspClient, workspace: Path) -> None:
    """`engagment >= 60`: the help says "did you mean `engagement`?" and the light bulb wrote
    `"engagement" >= 60`, a text compared with a number (type-mismatch): a suggestion was written as
    an enum member is, quoted when it is a word of the language. A field, a stage or a score is a
    name, written bare."""
    acme = (workspace / "policies" / "acme.policy").read_text(encoding="utf-8")
    slips = acme.replace("when engagement >= 60 and fit >= 40", "when engagment >= 60 and fti >= 40", 1).replace("when engagement < 30", "when engagemnt < 30", 1)
    assert slips.count("engagment") == 1 and slips.count("engagemnt") == 1 and slips.count("fti") == 1
    uri = client.open(workspace / "scores.policy", slips)
    fixed, titles, after = _apply_quick_fixes(client, uri, slips, {"unknown-field"})
    assert titles == ["Change to engagement", "Change to fit", "Change to engagement"]
    assert fixed == acme and [d["code"] for d in after] == ["unused-field"]


def test_misspelt_names_in_a_tests_file_are_quick_fixes(client: LspClient, workspace: Path) -> None:
    """A `.tests` file (docs/language-reference.md section 17) naming a field, a property, an
    activity and a stage with a slip: each diagnostic suggests the name, and the light bulb puts
    it in, in the tests file, until the file is Acme's again."""
    folder, _, tests_uri = _acme_pair_with_open_tests(client, workspace, "tests-fixes")
    tests_text = (folder / "acme.tests").read_text(encoding="utf-8")
    slips = (tests_text.replace("seniority: manager", "senority: manager", 1).replace("company_size: 50", "companysize: 50", 1)
             .replace('page_view (path:', 'page_veiw (path:', 1).replace('(form: "ebook")', '(from: "ebook")', 1)
             .replace("expect stage lead", "expect stage laed", 1))
    assert slips.count("\n") == tests_text.count("\n") and slips != tests_text
    client.change(tests_uri, 2, [{"text": slips}])
    fixed, titles, after = _apply_quick_fixes_from(client, tests_uri, slips, 2,
                                                   {"unknown-field", "unknown-property", "unknown-activity", "unknown-stage"})
    assert fixed == tests_text and after == []
    assert sorted(titles) == ["Change to company_size", "Change to form", "Change to lead", "Change to page_view",
                              "Change to seniority"]


def _acme_pair_with_open_tests(client: LspClient, workspace: Path, name: str) -> tuple[Path, str, str]:
    """A copy of Acme and its .tests file in folder NAME, the tests file open (and clean): the folder,
    the policy's text and the tests file's URI."""
    folder = workspace / name
    folder.mkdir()
    policy_text = (workspace / "policies" / "acme.policy").read_text(encoding="utf-8")
    (folder / "acme.policy").write_text(policy_text, encoding="utf-8")
    tests_text = (workspace / "policies" / "acme.tests").read_text(encoding="utf-8")
    (folder / "acme.tests").write_text(tests_text, encoding="utf-8")
    tests_uri = client.open(folder / "acme.tests", tests_text)
    assert client.diagnostics(tests_uri) == []
    return folder, policy_text, tests_uri


def test_an_open_policy_buffer_is_what_its_tests_file_is_checked_against(client: LspClient, workspace: Path) -> None:
    folder, policy_text, tests_uri = _acme_pair_with_open_tests(client, workspace, "pair")
    policy_uri = client.open(folder / "acme.policy", policy_text)
    client.diagnostics(policy_uri)
    # rename stage `lead` in the editor only (not on disk): the tests now name a stage that is gone
    client.change(policy_uri, 2, [{"text": policy_text.replace("  lead  ", "  prospect  ").replace("-> lead", "-> prospect")}])
    stale = client.wait_for("textDocument/publishDiagnostics", lambda p: p["uri"] == tests_uri and p["diagnostics"])["diagnostics"]
    assert {d["code"] for d in stale} == {"unknown-stage"}


def test_a_policy_changed_on_disk_checks_its_open_tests_file_again(client: LspClient, workspace: Path) -> None:
    """A `git checkout` renames a stage in the (closed) policy: the open `.tests` file naming the old
    one is flagged when the editor reports the change (VS Code's client watches *.policy, *.tests)."""
    folder, policy_text, tests_uri = _acme_pair_with_open_tests(client, workspace, "disk")
    renamed = policy_text.replace("  lead  ", "  prospect  ").replace("-> lead", "-> prospect")
    (folder / "acme.policy").write_text(renamed, encoding="utf-8")
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": (folder / "acme.policy").as_uri(), "type": 2}]})
    stale = client.diagnostics(tests_uri)
    assert {d["code"] for d in stale} == {"unknown-stage"}
    (folder / "acme.policy").unlink()
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": (folder / "acme.policy").as_uri(), "type": 3}]})
    assert [d["code"] for d in client.diagnostics(tests_uri)] == ["no-policy"]


def test_the_server_asks_an_editor_to_report_changed_policy_files(workspace: Path) -> None:
    """A closed policy is read from disk and checked again when the editor reports a change there
    (`git checkout`). VS Code's extension watches the files itself; Neovim, Helix and Emacs report
    only what a server registers a watcher for, and the server registered none: an open `.tests`
    file kept the diagnostics of the policy as it was. It now registers `**/*.policy` and
    `**/*.tests` with every client that can register them."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    lsp = LspClient(cwd=workspace, env=env)
    try:
        lsp.initialize(workspace, workspace={"didChangeWatchedFiles": {"dynamicRegistration": True}})
        (registration,) = lsp.server_request("client/registerCapability")["registrations"]
        assert registration["method"] == "workspace/didChangeWatchedFiles"
        assert {w["globPattern"] for w in registration["registerOptions"]["watchers"]} == {"**/*.policy", "**/*.tests"}
    finally:
        assert lsp.close() == 0
    quiet = LspClient(cwd=workspace, env=env)  # a client that cannot register them is not asked
    try:
        quiet.initialize(workspace)
        nowhere = {"textDocument": {"uri": (workspace / "nowhere.policy").as_uri()}, "position": {"line": 0, "character": 0}}
        assert quiet.request("textDocument/hover", nowhere) is None  # answered after `initialized`
        assert quiet.server_requests == []
    finally:
        assert quiet.close() == 0


def test_utf8_positions_when_the_client_asks_for_them(workspace: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    lsp = LspClient(cwd=workspace, env=env)
    try:
        assert lsp.initialize(workspace, encodings=["utf-8", "utf-16"])["capabilities"]["positionEncoding"] == "utf-8"
        text = 'policy "Café ☕" version "1"\nfields { x number "été" }\nstages { lead mql when y > 1 }\n'
        uri = lsp.open(workspace / "utf8.policy", text)
        (d,) = [d for d in lsp.diagnostics(uri) if d["code"] == "unknown-field"]
        line = text.split("\n")[2]
        assert d["range"]["start"] == {"line": 2, "character": len(line[: line.index("y >")].encode("utf-8"))}
        hover = lsp.request("textDocument/hover", _doc(uri, {"line": 1, "character": 9}))
        assert "**Field** `x`" in hover["contents"]["value"]
    finally:
        assert lsp.close() == 0


# what each advertised provider asks for: a position, a range, or neither
_AT_A_POSITION = {
    "hoverProvider": ["textDocument/hover"],
    "completionProvider": ["textDocument/completion"],
    "definitionProvider": ["textDocument/definition"],
    "referencesProvider": ["textDocument/references"],
    "documentHighlightProvider": ["textDocument/documentHighlight"],
    "renameProvider": ["textDocument/rename", "textDocument/prepareRename"],
}
_OVER_A_RANGE = {"codeActionProvider": ["textDocument/codeAction"]}
_NO_POSITION = {"documentFormattingProvider", "documentSymbolProvider", "executeCommandProvider"}


def _asking(method: str, uri: str, at: dict) -> dict:
    params: dict = {"textDocument": {"uri": uri}}
    if method == "textDocument/codeAction":
        return {**params, "range": {"start": at, "end": at}, "context": {"diagnostics": []}}
    params["position"] = at
    if method == "textDocument/references":
        params["context"] = {"includeDeclaration": True}
    if method == "textDocument/rename":
        params["newName"] = "renamed"
    return params


def test_a_request_refused_for_its_params_is_one_line_of_the_log(workspace: Path) -> None:
    """After answering InvalidParams, the log held pygls' own record of the message it could not
    read: `Unable to deserialize message` at ERROR and a traceback of thirty lines, for a refusal
    the editor was told about. It is one line saying what was refused and why."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    lsp = LspClient(cwd=workspace, env=env)
    try:
        lsp.initialize(workspace)
        uri = lsp.open(workspace / "policies" / "acme.policy")
        lsp.diagnostics(uri)
        with pytest.raises(LspError):
            lsp.request("textDocument/hover", _doc(uri, {"line": -1, "character": 0}), timeout=10)
        lsp.request("textDocument/hover", _doc(uri, {"line": 0, "character": 0}), timeout=10)  # (the log is written by now)
    finally:
        assert lsp.close() == 0
    log = lsp.log()
    assert "Traceback" not in log and "Unable to deserialize" not in log, log
    (line,) = [line for line in log.splitlines() if line.strip()]
    assert "WARNING" in line and "refused textDocument/hover" in line and "should be in range" in line, line


def test_a_change_the_server_cannot_read_loses_the_document_until_its_whole_text_comes(workspace: Path) -> None:
    """A didChange whose range is not a position (a negative line) was dropped: the editor had
    made the change, the server had not, and every answer after it (diagnostics, a formatting
    edit of the whole text) was made from a text the editor no longer showed. The server says so
    (window/logMessage, and a message asking to reopen the file), clears the document's
    diagnostics and answers nothing for it until the editor sends the whole text again: a change
    without a range, or the file opened again."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    lsp = LspClient(cwd=workspace, env=env)
    try:
        lsp.initialize(workspace)
        text = (workspace / "policies" / "acme.policy").read_text(encoding="utf-8")
        uri = lsp.open(workspace / "policies" / "acme.policy", text)
        assert lsp.diagnostics(uri)
        at = position(text, "budget         number")
        assert lsp.request("textDocument/hover", _doc(uri, at)) is not None
        bad = {"range": {"start": {"line": -1, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "x"}
        lsp.change(uri, 2, [bad])
        logged = lsp.wait_for("window/logMessage", timeout=10)
        assert logged["type"] == 2 and "textDocument/didChange" in logged["message"] and "should be in range" in logged["message"]
        assert lsp.diagnostics(uri) == []
        shown = lsp.wait_for("window/showMessage", timeout=10)
        assert "lost track of acme.policy" in shown["message"] and "reopen" in shown["message"]
        formatting = {"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": True}}
        edited = "# an edit of a text the server does not have\n"
        lsp.change(uri, 3, [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": edited}])
        for method, params in (("textDocument/hover", _doc(uri, at)), ("textDocument/formatting", formatting), ("textDocument/completion", _doc(uri, at))):
            assert lsp.request(method, params) is None, method
        lsp.change(uri, 4, [{"text": text}])  # the whole text: in step again
        assert [d["code"] for d in lsp.diagnostics(uri, version=4)] == ["unused-field"]
        assert "**Field** `budget`" in lsp.request("textDocument/hover", _doc(uri, at))["contents"]["value"]
        lsp.change(uri, 5, [bad])
        assert lsp.diagnostics(uri) == []
        lsp.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        uri = lsp.open(workspace / "policies" / "acme.policy", text)  # reopened
        assert [d["code"] for d in lsp.diagnostics(uri, version=1)] == ["unused-field"]
        assert lsp.request("textDocument/hover", _doc(uri, at)) is not None
    finally:
        assert lsp.close() == 0
    assert "Traceback" not in lsp.log(), lsp.log()


def test_every_request_at_a_position_is_answered_even_a_negative_one(workspace: Path) -> None:
    """A negative line or character is not an LSP position (they are unsigned): pygls refused the
    message before any handler saw it, logged it and sent nothing back, so the editor waited for an
    answer forever. Every request is answered: a negative position with InvalidParams (-32602), a
    line or a character past the end as the end of the document or of its line (the spec's rule for
    a character), as anywhere else there is nothing to hover."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    lsp = LspClient(cwd=workspace, env=env)
    try:
        capabilities = lsp.initialize(workspace)["capabilities"]
        providers = {name for name in capabilities if name.endswith("Provider")}
        assert providers == set(_AT_A_POSITION) | set(_OVER_A_RANGE) | _NO_POSITION  # a new one is listed here
        methods = [m for ms in (*_AT_A_POSITION.values(), *_OVER_A_RANGE.values()) for m in ms]
        text = (workspace / "policies" / "acme.policy").read_text(encoding="utf-8")
        uri = lsp.open(workspace / "policies" / "acme.policy", text)
        lsp.diagnostics(uri)
        lines = text.split("\n")
        for method in methods:
            for at in ({"line": -1, "character": 0}, {"line": 0, "character": -1}, {"line": -3, "character": -7}):
                with pytest.raises(LspError) as refused:
                    lsp.request(method, _asking(method, uri, at), timeout=10)
                assert refused.value.code == -32602, (method, at, refused.value)
                assert "should be in range" in refused.value.message
            past = ({"line": len(lines) + 5, "character": 0}, {"line": 1, "character": len(lines[1]) + 40}, {"line": 10**6, "character": 10**6})
            for at in past:
                try:
                    answer = lsp.request(method, _asking(method, uri, at), timeout=10)
                except LspError as error:  # rename where there is no name: refused with the reason, as anywhere
                    assert method == "textDocument/rename" and error.code == -32803, (method, at, error)
                    continue
                if method == "textDocument/completion":  # what may follow the end of the line or of the text
                    assert answer["isIncomplete"] is False and all(i["kind"] == 14 for i in answer["items"]), (at, answer)
                else:
                    assert answer in (None, []), (method, at, answer)
        with pytest.raises(LspError) as refused:  # any params that do not fit their type
            lsp.request("textDocument/hover", {"textDocument": {"uri": uri}}, timeout=10)
        assert (refused.value.code, refused.value.message) == (-32602, "Invalid Params: missing 'position'")
        shown = lsp.request("textDocument/hover", _doc(uri, position(text, "mql", 1)))  # still serving
        assert "MQL" in shown["contents"]["value"]
        assert not [n for n in lsp.notifications if n.get("method") == "window/showMessage"]
    finally:
        assert lsp.close() == 0


_MARKDOWN_MARKS = re.compile(r"\*\*|`|\\[\\`*_\[\]<>|#&$~]")


def _hovers(lsp: LspClient, uri: str, text: str) -> list[dict]:
    """The hovers on every word and number of a policy (each distinct answer once)."""
    seen: dict[str, dict] = {}
    for match in re.finditer(r"[A-Za-z_][A-Za-z_0-9]*|[+-]?\d+", text):
        before = text[: match.start()]
        at = {"line": before.count("\n"), "character": match.start() - (before.rfind("\n") + 1)}
        answer = lsp.request("textDocument/hover", _doc(uri, at))
        if answer is not None:
            seen.setdefault(answer["contents"]["value"], answer)
    return list(seen.values())


DESCRIBED = '''policy "Marks" version "1"
fields {
  budget  number  "a *rough* figure_in_USD, see [the sheet] <here> | #3 & $5 ~ `x` \\\\ ok"
  region  text
}
stages {
  lead
  mql when budget >= 100 and region = "EMEA"
}
'''


@pytest.mark.parametrize("formats", [["plaintext"], ["plaintext", "markdown"]])
def test_hover_is_plain_text_for_a_client_that_asks_for_it(workspace: Path, formats: list[str]) -> None:
    """A client announces the formats it shows (`textDocument.hover.contentFormat`, preferred
    first); every hover was Markdown, so a plain-text client showed `**Field** \\`budget\\``. It gets
    the same words without the marks, a description exactly as written."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    lsp = LspClient(cwd=workspace, env=env)
    try:
        lsp.initialize(workspace, text_document={"hover": {"contentFormat": formats}})
        text = (workspace / "policies" / "acme.policy").read_text(encoding="utf-8")
        uri = lsp.open(workspace / "policies" / "acme.policy", text)
        lsp.diagnostics(uri)
        shown = _hovers(lsp, uri, text)
        assert len(shown) > 40
        for answer in shown:
            assert answer["contents"]["kind"] == "plaintext", answer
            assert not _MARKDOWN_MARKS.search(answer["contents"]["value"]), answer["contents"]["value"]
        mql = lsp.request("textDocument/hover", _doc(uri, position(text, "mql", 1)))["contents"]["value"]
        assert "A lead becomes an MQL when its engagement score is at least 60" in mql
        assert lsp.request("textDocument/hover", _doc(uri, position(text, "decay", 0, 1)))["contents"]["value"].startswith("decay — ")
        points = lsp.request("textDocument/hover", _doc(uri, position(text, "+5   per page_view", 0, 1)))["contents"]["value"]
        assert points.startswith("+5 engagement points for each page_view that matches the rule's where, in the last 90 days")

        marks = lsp.open(workspace / "marks.policy", DESCRIBED)
        lsp.diagnostics(marks)
        field = lsp.request("textDocument/hover", _doc(marks, position(DESCRIBED, "budget >=")))["contents"]["value"]
        assert "Field budget: number. a *rough* figure_in_USD, see [the sheet] <here> | #3 & $5 ~ `x` \\ ok" in field
        assert field.startswith('budget  number  "a *rough* figure_in_USD')  # the declaration as written, no fence
    finally:
        assert lsp.close() == 0


@pytest.mark.parametrize("formats", [None, [], ["markdown"], ["markdown", "plaintext"]])
def test_hover_stays_markdown_where_the_client_allows_it(workspace: Path, formats) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    lsp = LspClient(cwd=workspace, env=env)
    try:
        lsp.initialize(workspace, text_document={} if formats is None else {"hover": {"contentFormat": formats}})
        text = (workspace / "policies" / "acme.policy").read_text(encoding="utf-8")
        uri = lsp.open(workspace / "policies" / "acme.policy", text)
        lsp.diagnostics(uri)
        shown = lsp.request("textDocument/hover", _doc(uri, position(text, "decay", 0, 1)))["contents"]
        assert shown == {"kind": "markdown", "value": shown["value"]} and shown["value"].startswith("**`decay`** — ")
    finally:
        assert lsp.close() == 0


def test_a_missing_extra_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "pygls"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('No module named pygls', name='pygls')\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    result = subprocess.run([sys.executable, "-m", "leadpolicy", "lsp"], env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 2  # as every missing extra (score, compile, diff)
    assert "pip install 'leadpolicy[lsp]'" in result.stderr and "Traceback" not in result.stderr


# ---------------------------------------------------------------- every example over the wire

EXAMPLES = sorted(p.stem for p in (ROOT / "policies").glob("*.policy"))


@pytest.fixture(scope="module")
def examples(workspace: Path) -> Path:
    folder = workspace / "examples"
    shutil.copytree(ROOT / "policies", folder)
    return folder


def _at(span) -> dict:
    return {"line": span.line - 1, "character": span.column - 1}


def _codes(diagnostics) -> list[tuple[str, str]]:
    return sorted((Path(d.path).name, d.code) for d in diagnostics)


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_policy_and_its_tests_through_every_feature_over_the_wire(
    client: LspClient, examples: Path, tmp_path: Path, name: str
) -> None:
    from leadpolicy.syntax.parser import parse

    path = examples / f"{name}.policy"
    tests_path = path.with_suffix(".tests")
    text = path.read_text(encoding="utf-8")
    expected, _ = check_file(path)
    uri = client.open(path, text)
    mine = [d for d in expected if d.path == str(path)]
    assert sorted((d["code"], _lsp_range(d)) for d in client.diagnostics(uri)) == sorted((d.code, _range(d)) for d in mine)
    if tests_path.exists():
        tests_uri = client.open(tests_path)
        theirs = [d for d in expected if d.path == str(tests_path)]
        got = client.wait_for("textDocument/publishDiagnostics", lambda p: p["uri"] == tests_uri)["diagnostics"]
        assert sorted((d["code"], _lsp_range(d)) for d in got) == sorted((d.code, _range(d)) for d in theirs)

    tree = parse(text, str(path))
    for decl in (*tree.fields, *tree.activities, *tree.stages):
        at = _doc(uri, _at(decl.span))
        shown = client.request("textDocument/hover", at)
        declaration = shown["contents"]["value"].split("```")[1]  # the declaration, in a policy fence
        assert declaration.startswith("policy\n") and decl.name in declaration, (decl.name, shown)
        assert client.request("textDocument/prepareRename", at)["placeholder"] == decl.name
        found = client.request("textDocument/references", {**at, "context": {"includeDeclaration": True}})
        assert {"uri": uri, "range": {"start": _at(decl.span), "end": {**_at(decl.span), "character": decl.span.column - 1 + len(decl.name)}}} in found
        for use in found:  # every use leads back to the declaration
            if use["uri"] == uri:
                (target,) = client.request("textDocument/definition", _doc(uri, use["range"]["start"]))
                assert target["range"]["start"] == _at(decl.span), (decl.name, use)

    # completion anywhere answers; at the start of a stage's condition it offers the fields
    for line in range(0, text.count("\n") + 1, 3):
        client.request("textDocument/completion", _doc(uri, {"line": line, "character": 2}))
    stage = next(s for s in tree.stages if s.condition is not None)
    when = text.index(" when ", stage.span.start) + len(" when ")
    before = text[:when]
    labels = {i["label"] for i in client.request("textDocument/completion", _doc(uri, position(before + "\n", "\n", before.count("\n"))))["items"]}
    assert {f.name for f in tree.fields} <= labels

    # rename a stage and a field everywhere: the result checks as the original did
    changes: dict[str, str] = {uri: text}
    if tests_path.exists():
        changes[tests_path.as_uri()] = tests_path.read_text(encoding="utf-8")
    for version, (kind, old, new) in enumerate((("stages", tree.stages[1].name, "renamed_stage"), ("fields", tree.fields[0].name, "renamed_field")), 2):
        current = changes[uri]
        client.change(uri, version, [{"text": current}])
        (decl,) = [d for d in getattr(parse(current, "x"), kind) if d.name == old]
        edit = client.request("textDocument/rename", {**_doc(uri, _at(decl.span)), "newName": new})
        for target, edits in edit["changes"].items():
            changes[target] = apply_edits(changes[target], edits)
    scratch = tmp_path / name
    scratch.mkdir()
    (scratch / path.name).write_text(changes[uri], encoding="utf-8")
    if tests_path.exists():
        (scratch / tests_path.name).write_text(changes[tests_path.as_uri()], encoding="utf-8")
    renamed, _ = check_file(scratch / path.name)
    assert [c for _, c in _codes(renamed)] == [c for _, c in _codes(expected)]
    renamed_tree = parse(changes[uri], "x")
    assert "renamed_stage" in {s.name for s in renamed_tree.stages} and tree.stages[1].name not in {s.name for s in renamed_tree.stages}
    assert "renamed_field" in {f.name for f in renamed_tree.fields} and tree.fields[0].name not in {f.name for f in renamed_tree.fields}

    # formatting is the fmt layout; the outline names every block
    client.change(uri, 4, [{"text": text}])
    edits = client.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": True}})
    assert apply_edits(text, edits or []) == format_text(text, str(path))
    symbols = [s["name"] for s in client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})]
    for block in ("fields", "activities", "stages"):
        assert block in symbols
