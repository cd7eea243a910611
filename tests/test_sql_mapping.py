"""A --mapping file that is JSON but not a mapping (a number for a column, an empty name, a
list for `fields`) is refused before the query runs, naming the mapping file, the key and the
fix, with exit 2: `score` and `diff` alike, and the Python API with a ValueError. It used to
reach DuckDB as an empty identifier ("Parser Error: zero-length delimited identifier", blamed
on the leads file) or end in an internal error (a list for `fields`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.backends import relational_files

from leadpolicy.backends.sql.inputs import Mapping
from leadpolicy.cli import main

pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")

ROOT = Path(__file__).resolve().parents[1]
ACME = ROOT / "policies" / "acme.policy"
DECEMBER = ROOT / "docs" / "examples" / "acme-2026.12.policy"
AS_OF = "2026-11-22T00:00:00Z"

BAD = [
    ({"fields": {"email": 3}}, "`fields`: the column of `email` must be a column name (text), or null for a table without one, not 3"),
    ({"id": ""}, '`id` must be a column name (text), not "": e.g. "id": "lead_key"'),
    ({"fields": ["email"]}, '`fields` maps each declared name to its column, a JSON object such as'),
    ({"order": 5}, '`order` must be a column name (text), not 5: e.g. "order": "event_seq" or null'),
    ({"leads_table": None}, '`leads_table` must be a table name (text), not null'),
    ({"id": None}, '`id` must be a column name (text), not null: e.g. "id": "lead_key"'),
    ({"props": {"path": " "}}, '`props`: the column of `path` must be a column name (text), or null for a table without one, not " "'),
    ({"xyz": {}}, "unknown mapping keys: xyz (known: "),
    # a misspelt key, said with the key it stands for (it was the list of every known key alone)
    ({"leads_tabel": "crm.leads", "Stage": None}, "unknown mapping keys: Stage (did you mean `stage`?), leads_tabel (did "
                                                  "you mean `leads_table`?) (known: "),
    # a control character: PostgreSQL's query was refused as if the policy held a NUL, and a \r in a query
    # file read with universal newlines names another column
    ({"id": "lead\x00id"}, '`id` holds a control character (\\x00): a query cannot name a column or table with one; '
                            'rename it, e.g. "lead_id"'),
    ({"fields": {"email": "e\rmail"}}, "`fields`: the column of `email` holds a control character (\\r)"),
    ({"leads_table": "crm.le\nads"}, "`leads_table` holds a control character (\\n)"),
]


@pytest.mark.parametrize("mapping, message", BAD)
def test_a_bad_mapping_is_refused_naming_the_file_and_key(tmp_path: Path, mapping, message) -> None:
    leads, acts, names, _ = relational_files(tmp_path)
    bad = tmp_path / "bad-mapping.json"
    bad.write_text(json.dumps(mapping), encoding="utf-8")
    for args in (["score", str(ACME), str(leads), "--activities", str(acts), "-o", str(tmp_path / "out.parquet")],
                 ["diff", str(ACME), str(DECEMBER), "--leads", str(leads), "--activities", str(acts)]):
        result = CliRunner().invoke(main, args + ["--engine", "duckdb", "--mapping", str(bad), "--as-of", AS_OF])
        assert result.exit_code == 2, result.output
        assert f"{bad}: " in result.stderr and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert not (tmp_path / "out.parquet").exists()
    with pytest.raises(ValueError, match="mapping keys|must be|maps each|control character"):
        Mapping.from_dict(mapping)


def test_a_good_mapping_still_scores(tmp_path: Path) -> None:
    leads, acts, names, _ = relational_files(tmp_path)
    mapping = json.loads(names.read_text(encoding="utf-8"))
    assert Mapping.from_dict({**mapping, "order": mapping.get("order"), "lead_order": None}).id == mapping.get("id", "id")
    result = CliRunner().invoke(main, ["score", str(ACME), str(leads), "--activities", str(acts), "--mapping", str(names),
                                       "--engine", "duckdb", "--as-of", AS_OF])
    assert result.exit_code in (0, 1) and result.stdout.count("\n") == 17


@pytest.mark.parametrize("text, where, line, hint", [
    # the slips of hand-written JSON, shown as eval shows a lead's: the line, a caret, the fix
    ('{"fields": {"budget": null},}\n', "1:29", '{"fields": {"budget": null},}',
     "remove the comma before `}`: JSON has no comma after the last item"),
    ('{\n  "props": {"campaign": None}\n}\n', "2:25", '  "props": {"campaign": None}',
     "write `null` (JSON's spelling), not `None`"),
    # YAML, as pipelines' configuration is written: the same mapping as JSON, in the user's names
    ('# crm names\nfields:\n  budget: null\n  created: ~\nprops:\n  campaign: "utm_campaign"  # UTM\nleads_table: crm.leads\n',
     "1:1", "# crm names", 'the mapping is JSON, not YAML: write {"fields": {"budget": null, "created": null}, '
                       '"props": {"campaign": "utm_campaign"}, "leads_table": "crm.leads"}'),
])
@pytest.mark.parametrize("command", ["compile", "score"])
def test_a_mapping_that_is_not_json_is_shown_where_with_the_fix(tmp_path: Path, command, text, where, line, hint) -> None:
    """It was one line, `m.json is not JSON: Expecting value: line 1 column 1 (char 0)`: no caret,
    no fix, and for YAML no word that JSON was wanted."""
    leads, acts, _, _ = relational_files(tmp_path)
    bad = tmp_path / "names.json"
    bad.write_text(text, encoding="utf-8")
    args = (["compile", str(ACME), "--target", "sql"] if command == "compile" else
            ["score", str(ACME), str(leads), "--activities", str(acts), "--engine", "duckdb", "--as-of", AS_OF])
    result = CliRunner().invoke(main, args + ["--mapping", str(bad)])
    assert (result.exit_code, result.stdout) == (2, ""), result.output
    said = result.stderr.splitlines()
    assert said[0].startswith("error[json]: not valid JSON: ") and said[0].endswith(
        '(a mapping is a JSON object of names: docs/sql.md, "Names: the mapping")')
    assert said[1] == f" --> {bad}:{where}"
    assert said[3].endswith(f" | {line}") and said[4].rstrip().endswith("^")
    assert said[5] == f"  = help: {hint}"
    if "YAML" in hint:  # the JSON it offers is the mapping meant
        fixed = json.loads(hint.split("write ", 1)[1])
        assert Mapping.from_dict(fixed).fields == {"budget": None, "created": None}


def test_yaml_that_is_not_simple_gets_no_json_offered() -> None:
    from leadpolicy.cli.json_errors import yaml_as_json

    assert yaml_as_json("fields:\n  - budget\n") is None  # a list: not a mapping's shape
    assert yaml_as_json("id,stage\nL-1,lead\n") is None
    assert yaml_as_json("fields:\n    budget: b\n  created: c\n") is None  # a dedent to no open block
    assert yaml_as_json("id: lead_key\nstage:\n") == '{"id": "lead_key", "stage": null}'
