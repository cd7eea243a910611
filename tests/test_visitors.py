"""Every walker of the tree handles every node kind it can be given (issue 17).

Each walker derives from `leadpolicy.syntax.visitor.NodeVisitor`; a new node
kind, or a new walker (a back end, a tool), that misses a method fails here, not
on a user's policy. `never_given` lists, per walker, the kinds it is never handed
by contract (the checker resolves names before any back end runs).
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import pytest

import leadpolicy
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.visitor import NodeVisitor, block_kinds, expression_kinds

# The optional packages (pyproject.toml's extras): a module that needs one that is not installed is
# skipped; any other ImportError (a module of leadpolicy that no longer imports) fails the search.
EXTRAS = ("sqlglot", "duckdb", "pyspark", "pyarrow", "psycopg", "pygls", "lsprotocol", "pygments")


def installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def all_walkers() -> list[type[NodeVisitor]]:
    """Every NodeVisitor subclass defined anywhere in the package (optional back ends
    whose extras are not installed are skipped)."""
    for module in pkgutil.walk_packages(leadpolicy.__path__, "leadpolicy."):
        if module.name.endswith("__main__"):
            continue  # running it is the command line, not a definition
        try:
            importlib.import_module(module.name)
        except ImportError:
            if all(installed(extra) for extra in EXTRAS):
                raise
            continue
    found: list[type[NodeVisitor]] = []
    pending = list(NodeVisitor.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls not in found:  # (the checker derives from every pass: met once through each)
            found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


WALKERS = all_walkers()


# Every walker of the tree today, by room: a translator (one method per node kind, checked below)
# or a traversal collecting facts (exhaustive = False). A walker that stops deriving from
# NodeVisitor, or moves, fails here rather than leaving the exhaustive tests without it.
ROOMS = {
    "leadpolicy.check": "Checker",  # the checker's expression pass (expr_)
    "leadpolicy.check.show": "_Shower",  # policy text in hints
    "leadpolicy.semantics.reference": "_Evaluator",
    "leadpolicy.backends.python.expressions": "ExpressionEmitter",
    "leadpolicy.backends.sql.conditions": "SqlExpr",  # the SQL back end's expressions (sql_)
    "leadpolicy.handoff.english.expressions": "ExpressionEnglish",
    "leadpolicy.handoff.english": "English",
    "leadpolicy.handoff.diagram": "Shorthand",
    "leadpolicy.tools.fmt.build": "DocBuilder",
    "leadpolicy.tools.fmt.blocks": "BlockPrinter",
    "leadpolicy.tools.diff.semantic": "_MeaningKey",
    "leadpolicy.tools.lsp.symbols": "_Indexer",
    "leadpolicy.tools.report.replay": "_TimeFacts",
}
NEEDS = {"leadpolicy.backends.sql.conditions": "sqlglot"}


def test_the_walkers_of_every_room_are_found() -> None:
    found = {(cls.__module__, cls.__qualname__) for cls in WALKERS}
    for module, name in ROOMS.items():
        if module in NEEDS and not installed(NEEDS[module]):
            continue
        assert (module, name) in found, f"{module}.{name} is no NodeVisitor walker"


def test_the_translators_owe_a_method_per_kind() -> None:
    """The back ends and printers are exhaustive: the test below checks each of them."""
    translators = {cls.__qualname__ for cls in WALKERS if cls.exhaustive}
    for name in ("_Evaluator", "ExpressionEmitter", "ExpressionEnglish", "English", "Shorthand", "DocBuilder",
                 "BlockPrinter", "_Shower", "Checker") + (("SqlExpr",) if installed("sqlglot") else ()):
        assert name in translators, f"{name} does not owe a method per node kind"


@pytest.mark.parametrize("walker", WALKERS, ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_every_walker_handles_every_expression_kind(walker: type[NodeVisitor]) -> None:
    assert walker.missing_kinds() == [], f"{walker.__qualname__} lacks {walker.prefix}<Kind> methods"


@pytest.mark.parametrize("walker", WALKERS, ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_excuses_name_real_kinds(walker: type[NodeVisitor]) -> None:
    assert walker.never_given <= expression_kinds() | block_kinds()


def test_every_block_kind_is_a_node_kind_the_walkers_given_blocks_owe() -> None:
    assert block_kinds() == {cls.__name__ for cls in n.BLOCK_CLASSES.values()}
    given = [cls.__qualname__ for cls in WALKERS if cls.given_blocks and cls.exhaustive]
    assert "BlockPrinter" in given  # the formatter prints each block kind with its own method
    from leadpolicy.tools.fmt.blocks import BlockPrinter

    assert BlockPrinter.missing_kinds(block_kinds()) == []


def test_a_missing_block_method_is_caught_and_a_base_method_is_an_explicit_fallback() -> None:
    class Blocks(NodeVisitor):
        prefix = "show_"
        given_blocks = True
        never_given = expression_kinds()

        def show_FieldsBlock(self, node: n.FieldsBlock) -> str:
            return "fields"

    assert Blocks.missing_kinds() == sorted(block_kinds() - {"FieldsBlock"})

    class Fallback(Blocks):
        def show_Block(self, node: n.Block) -> str:
            return f"any {node.kind}"

    assert Fallback.missing_kinds() == []
    assert Fallback().visit(n.FieldsBlock(())) == "fields"  # its own method first
    assert Fallback().visit(n.GradesBlock(())) == "any grades"  # then the base class's



def test_a_missing_method_is_caught() -> None:
    class Partial(NodeVisitor):
        prefix = "show_"

        def show_Number(self, node):  # pragma: no cover - never called
            return ""

    assert "Compare" in Partial.missing_kinds()
