"""leadpolicy: the marketing-to-sales handoff agreement as a file.

    policy = leadpolicy.load("policies/acme.policy")   # parse, check, compile
    decision = policy.evaluate(fields, activities, as_of="2026-11-22")
    decision.stage, decision.hits, decision.to_dict()
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional, Union

from leadpolicy.syntax.diagnostics import Diagnostic, LeadDataError, PolicyError

if TYPE_CHECKING:  # annotations only: importing these costs start-up time
    from leadpolicy.syntax.nodes import Policy as PolicyTree
    from leadpolicy.tools.diff.result import DiffResult

# What `as_of` may be: a datetime, a date, an ISO 8601 string, or None for now.
AsOf = Union[datetime, date, str, None]

__all__ = ["load", "loads", "Policy", "Decision", "PolicyError", "LeadDataError", "Diagnostic", "diff", "__version__"]
__version__ = "0.1.0"

_MODULE_CACHE: dict[str, ModuleType] = {}  # source sha256 -> compiled module


class Decision:
    """One lead's decision: the JSON of docs/language-reference.md section 15, with attributes."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    policy = property(lambda self: self._data["policy"])
    version = property(lambda self: self._data["version"])
    stage = property(lambda self: self._data["stage"])
    previous_stage = property(lambda self: self._data["previous_stage"])
    change = property(lambda self: self._data["change"])
    engagement = property(lambda self: self._data["engagement"])
    fit = property(lambda self: self._data["fit"])
    grade = property(lambda self: self._data["grade"])
    reason = property(lambda self: self._data["reason"])
    hits = property(lambda self: self._data["hits"])

    def to_dict(self) -> dict[str, Any]:
        """A new dict each call (its reason and hits too): changing it leaves the Decision as it was."""
        data = dict(self._data)
        data["reason"] = dict(data["reason"])
        data["hits"] = [dict(hit) for hit in data["hits"]]
        return data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Decision) and other._data == self._data

    def __repr__(self) -> str:
        return f"Decision(stage={self.stage!r}, change={self.change!r}, engagement={self.engagement!r}, fit={self.fit!r}, grade={self.grade!r})"


class Policy:
    """A checked, compiled policy, ready to evaluate leads."""

    def __init__(self, tree: PolicyTree, source: str, path: str, module: ModuleType, diagnostics: list[Diagnostic]) -> None:
        self.tree = tree  # the resolved AST
        self.source = source
        self.path = path
        self.module = module  # the generated module, run in-process
        self.warnings = [d for d in diagnostics if not d.is_error]
        self._evaluate = module.evaluate

    @property
    def name(self) -> str:
        return str(self.module.POLICY_NAME)

    @property
    def version(self) -> str:
        return str(self.module.POLICY_VERSION)

    @property
    def source_sha256(self) -> str:
        return str(self.module.SOURCE_SHA256)

    @property
    def python_source(self) -> str:
        return str(self.module.__leadpolicy_source__)

    def evaluate(self, fields: Mapping[str, Any], activities: Iterable[Mapping[str, Any]] = (), as_of: AsOf = None,
                 previous_stage: Optional[str] = None, lead_id: Any = None) -> Decision:
        """Decide one lead. Raises LeadDataError for data that cannot be read."""
        return Decision(self._evaluate(fields, activities, as_of, previous_stage, lead_id))

    def evaluate_many(self, leads: Iterable[Any], as_of: AsOf = None, *, as_dicts: bool = False
                      ) -> Iterator[Union[Decision, dict[str, Any], LeadDataError]]:
        """One Decision (with `as_dicts`, its dict) or one LeadDataError per lead
        (docs/language-reference.md section 16 shape), in order. `as_of` is read once for the
        batch (a bad one raises at the first lead). Lazy: leads are read as results are taken."""
        refuse_one_lead(leads, "evaluate_many")
        many = getattr(self.module, "_decide_many", None)  # none for a very long policy
        if many is not None:
            return many(leads, as_of, None if as_dicts else Decision)  # type: ignore[no-any-return]
        return self._evaluate_each(leads, as_of, as_dicts)

    def _evaluate_each(self, leads: Iterable[Any], as_of: AsOf, as_dicts: bool
                       ) -> Iterator[Union[Decision, dict[str, Any], LeadDataError]]:
        """evaluate_many for a module without the batch entry: `_decide` per lead."""
        from leadpolicy.semantics.runtime import split_lead

        module = self.module
        now_utc, now = module._read_now(as_of)  # one "now" for the whole batch
        decide = module._decide
        for index, lead in enumerate(leads):
            try:
                if lead.__class__ is dict:  # the usual case, as json.loads gives it: no split_lead call
                    get = lead.get
                    data = decide(get("fields"), get("activities"), get("stage"), get("id"), now_utc, now)
                else:
                    lead_id, fields, activities, previous = split_lead(lead, index)
                    data = decide(fields, activities, previous, lead_id, now_utc, now)
            except LeadDataError as error:
                yield error
                continue
            yield data if as_dicts else Decision(data)

    def to_sql(self, dialect: str = "duckdb", *, mapping: Any = None, dbt: bool = False,
               leads_ref: Optional[str] = None, activities_ref: Optional[str] = None) -> str:
        """The one SQL query that decides every lead (docs/sql.md); pip install 'leadpolicy[sql]'.
        `mapping`: the column names, as a mapping file's dict; `dbt`: a dbt model reading
        `leads_ref` and `activities_ref` (as `compile --target sql --dbt`)."""
        from leadpolicy.backends.sql.text import query_text

        return query_text(self, dialect, mapping=mapping, dbt=dbt, leads_ref=leads_ref, activities_ref=activities_ref)

    def __repr__(self) -> str:
        return f"<leadpolicy.Policy {self.name!r} version {self.version!r} from {self.path}>"

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled as its text, loaded again on the other side (a process pool's workers): the
        # generated module it holds cannot be pickled ("cannot pickle 'module' object")
        return (loads, (self.source, self.path))


def refuse_one_lead(leads: Any, what: str, *, paths: bool = False) -> None:
    """A TypeError for one lead (a mapping) or text given where an iterable of leads goes: they
    iterate as keys or characters, each of which was a data error of its own. `paths`: a file's
    path is taken too (diff)."""
    takes = "a file's path or an iterable of leads" if paths else "an iterable of leads"
    if isinstance(leads, Mapping):
        one = "pass [lead]" if paths else "pass [lead], or call policy.evaluate for one lead"
        raise TypeError(f"{what} takes {takes}, not one lead (a {type(leads).__name__}): {one}")
    if isinstance(leads, (str, bytes, bytearray)):
        text = ("pass the path of a JSON Lines file, or the leads as dicts" if paths
                else "for a JSON Lines file, pass (json.loads(line) for line in open(path))")
        raise TypeError(f"{what} takes {takes}, not {type(leads).__name__}: {text}")


def compile_source(source: str, path: str = "<memory>") -> tuple[PolicyTree, str, list[Diagnostic]]:
    """Parse, check and compile; returns (resolved tree, python source, diagnostics).
    Raises PolicyError when the policy has errors."""
    from leadpolicy.backends.python.compiler import compile_policy
    from leadpolicy.check.checker import check
    from leadpolicy.syntax.parser import parse

    tree = parse(source, path)
    result = check(tree)
    if result.errors:
        raise PolicyError(result.diagnostics, source)
    return result.policy, compile_policy(result.policy, source, path), result.diagnostics


def loads(text: str, path: Union[str, "os.PathLike[str]"] = "<memory>") -> Policy:
    """Parse, check and compile policy text. Raises PolicyError."""
    from leadpolicy.backends.python.compiler import load_module

    if not isinstance(text, str):  # bytes failed deep in the parser ("cannot use a string pattern ...")
        hint = ": decode it first, text.decode('utf-8'), or pass the file to leadpolicy.load" if isinstance(
            text, (bytes, bytearray)) else ""
        raise TypeError(f"loads takes the policy's text as str, not {type(text).__name__}{hint}")
    path = os.fspath(path)  # a Path made diagnostics whose to_dict() JSON could not write
    text = text.removeprefix("\ufeff")  # a byte-order mark (a file read as 'utf-8', not 'utf-8-sig'), as load drops it
    tree, python, diagnostics = compile_source(text, path)
    key = hashlib.sha256(python.encode("utf-8")).hexdigest()
    module = _MODULE_CACHE.get(key)
    if module is None:
        module = load_module(python, "leadpolicy_compiled_" + key[:16])
        setattr(module, "LeadDataError", LeadDataError)  # raise the library's own class in-process
        setattr(module, "__leadpolicy_source__", python)
        _MODULE_CACHE[key] = module
    return Policy(tree, text, path, module, diagnostics)


def load(path: Union[str, Path]) -> Policy:
    """Load a policy file. Raises PolicyError, also for a file that is not UTF-8 text (a
    `file-problem` diagnostic), and OSError if it cannot be read."""
    from leadpolicy.syntax.diagnostics import file_problem
    from leadpolicy.tools.file_kinds import compression

    path = Path(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark is not part of the policy
    except UnicodeDecodeError as error:  # it named neither the file nor what to do
        compressed = compression(data[:8])
        problem = (f"{compressed}-compressed, and a policy is plain UTF-8 text: decompress it first" if compressed
                   else f"not UTF-8 text (byte {error.start + 1} is 0x{data[error.start]:02x}): save it as UTF-8")
        raise PolicyError([file_problem(str(path), problem)]) from None
    return loads(text, str(path))


def diff(old: Union[Policy, str, Path], new: Union[Policy, str, Path],
         leads: Union[str, Path, Iterable[Mapping[str, Any]], None] = None, as_of: AsOf = None,
         engine: str = "python", *, activities: Union[str, Path, None] = None,
         mapping: Optional[dict[str, Any]] = None) -> DiffResult:
    """What changes from policy `old` to `new` (Policy objects, files, or git `REV:PATH`), and,
    given leads (a JSON Lines or CSV file, or lead dicts), what it does to them. See docs/diff.md.
    `engine="duckdb"` decides a file of leads with the SQL back end (the same result); with
    `activities`, `leads` and `activities` are the relational shape's tables (docs/sql.md)."""
    from leadpolicy.tools.diff import diff as run_diff

    return run_diff(old, new, leads, as_of, engine=engine, activities=activities, mapping=mapping)
