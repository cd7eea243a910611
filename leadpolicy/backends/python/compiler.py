"""A checked policy (`nodes`) -> the Python source of one standalone module.

    source = compile_policy(checked_tree, policy_text, path)
    module = load_module(source, "acme_policy")     # the one place that runs it
    module.evaluate(fields, activities=(), as_of=None, previous_stage=None, lead_id=None)

The module (PRODUCT.md, "The compiled module") needs only the standard library:
it embeds `leadpolicy/semantics/runtime.py` and the fixed helpers of
`helpers.py` verbatim, and its `evaluate` returns exactly the decision of the
reference interpreter (docs/semantics-contract.md), to the last bit of every
score, and raises the same data errors.

How the source is made, in passes (docs/architecture.md):
1. `analysis.analyse`: which fields, properties and `did` counts the conditions
   use, which engagement rules each activity type feeds, which fit rules'
   conditions are repeated later;
2. the section emitters write `evaluate`'s body front to back, never revisiting
   a line: `reading` (as_of, fields, previous stage), `activities` (one pass
   over the activities feeding every total and count), `engagement`, inline;
   then `fit`, `grades`, `stages`, `decision` as named module-level functions
   (`sections.py`: `_fit`, `_grade`, `_qualified_stage`, `_outcome`) that
   `_decide` and `_decide_many` both call; each uses
   `expressions.ExpressionEmitter` (one `emit_<Kind>` per node kind) for
   conditions;
3. the module constants the emitters asked for (tables of the runtime's
   answers, windows), and the Jinja skeleton `module.py.j2`, with no logic in it.
The same tree always gives the same bytes; one statement per line. Safe text
(policy text is untrusted): see `source.py`.

Floating-point operations happen in the contract's order: totals summed per
rule in input order from 0.0, `points * factor`, scores summed in file order.
"""

from __future__ import annotations

import ast
import hashlib
import types
from functools import lru_cache
from typing import Any

import jinja2

from leadpolicy.backends.python import source as s
from leadpolicy.backends.python.activities import read_activities
from leadpolicy.backends.python.analysis import analyse
from leadpolicy.backends.python.context import Context
from leadpolicy.backends.python.decision import decision_section
from leadpolicy.backends.python.engagement import engagement_section
from leadpolicy.backends.python.expressions import ExpressionEmitter
from leadpolicy.backends.python.fit import fit_section
from leadpolicy.backends.python.grades import grade_section
from leadpolicy.backends.python.reading import read_as_of, read_fields, read_previous
from leadpolicy.backends.python.sections import Section, functions, link
from leadpolicy.backends.python.source import CompileError, lit
from leadpolicy.backends.python.stages import stage_section
from leadpolicy.resources import package_text
from leadpolicy.syntax import nodes as n

__all__ = ["CompileError", "compile_policy", "load_module"]

_lit = lit  # the name the tests and other modules knew it by

HELPERS_MARKER = "# ---- embedded into every compiled module from here ----\n"
# Module-level names the compiled policy defines beside the embedded runtime
# (and the helpers, whose names are read from helpers.py) ...
_GENERATED_NAMES = ("__all__", "POLICY_NAME", "POLICY_VERSION", "SOURCE_SHA256", "evaluate", "_decide", "_decide_many", "_read_lead",
                    "_fit", "_grade", "_qualified_stage", "_outcome",
                    "_FIELDS", "_ACTIVITY_TYPES", "_STAGE_NAMES", "_STAGE_ORDER", "_AT_LABELS", "_DECAY",
                    "_datetime_module")
# ... and the generated families that start with these.
MODULE_PREFIXES = ("_ENUM_", "_SPAN_", "_BOOLEAN_", "_ACTIVITY_CODE_", "_PREVIOUS_")


# ---------------------------------------------------------------- the front door


def compile_policy(policy: n.Policy, source_text: str, path: str = "<memory>") -> str:
    """The Python source of the standalone module for a checked policy.

    `source_text` is the policy file's text (its sha256 goes into the module);
    `path` is named in the module's docstring. Same arguments, same bytes.
    """
    _check_runtime_names()
    ctx = Context(analyse(policy))
    parts = _parts(ctx)
    body = _body(ctx, parts)
    sections = functions([part for part in parts if isinstance(part, Section)])
    batch = _batch_entry(ctx, parts, len(body) + len(sections))
    sha = hashlib.sha256(source_text.encode("utf-8", "surrogatepass")).hexdigest()
    return _template().render(
        docstring=_docstring(policy, path, sha),
        runtime=runtime_text(),
        helpers=helpers_text(),
        policy_name=lit(policy.name),
        policy_version=lit(policy.version),
        source_sha256=lit(sha),
        constants="\n".join(_constants(ctx)),
        body="\n".join(("    " + line) if line else "" for line in body),
        sections="\n".join(sections),
        batch="\n".join(batch),
    )


def load_module(source: str, module_name: str) -> types.ModuleType:
    """Execute the source of a compiled policy (and nothing else) into a fresh module."""
    module = types.ModuleType(module_name)
    module.__file__ = f"<leadpolicy compiled {module_name}>"
    code = compile(source, module.__file__, "exec", dont_inherit=True)
    exec(code, module.__dict__)  # the compiler's own output: see the module docstring
    return module


# ---------------------------------------------------------------- evaluate and the constants


def _head(ctx: Context) -> list[str]:
    """The inline part of evaluate's body: reading the lead, the activity loop, the
    previous stage (written twice: in `_decide` and in `_decide_many`)."""
    lines = read_as_of() + read_fields(ctx) + [""] + read_activities(ctx)
    return lines + ["", *read_previous(ctx), "hits = []"]


def _parts(ctx: Context) -> list[list[str] | Section]:
    """What follows the activity loop, in order: the engagement totals (inline lines),
    then the sections written as functions (fit, in the order of the blocks, as the
    hits are; grade; the qualified stage; `_outcome`)."""
    policy = ctx.policy
    parts: list[list[str] | Section] = []
    if policy.block("fit") is None:
        parts.append(["fit = 0.0  # no fit block"])
    if policy.block("engagement") is None:
        parts.append(["engagement = 0.0  # no engagement block"])
    first_fit = 0
    for block in policy.blocks:
        if block.kind == "engagement":
            parts.append(engagement_section(ctx, block))
        elif block.kind == "fit":
            if first_fit:
                raise CompileError(f"{s.at(block)}: a second fit block (was the policy checked?)")
            parts.append(fit_section(ctx, block, first_fit))
            first_fit += sum(len(item.rules) if isinstance(item, n.FitGroup) else 1 for item in block.items)
    grade = grade_section(ctx)
    parts.append(["grade = None  # no grades block"] if grade is None else grade)
    parts += [stage_section(ctx), decision_section(ctx)]
    link([part for part in parts if isinstance(part, Section)], [])
    return parts


def _body(ctx: Context, parts: list[list[str] | Section]) -> list[str]:
    """The body of evaluate, front to back: the inline part, then the engagement totals
    and the calls of the section functions."""
    lines = _head(ctx)
    called = False
    for part in parts:
        if not isinstance(part, Section):
            lines += ["", *part]
            called = False
            continue
        if not called:
            lines += ["", "# ---- the sections after the activities, as functions (below _decide)"]
            called = True
        if part.returns:
            lines.append(f"{part.assignment()}  # {part.doc[0].split(':')[0][4:]}")
        else:  # _outcome: the decision dict
            lines.append(f"{'result =' if ctx.batch else 'return'} {part.call()}")
    return lines


# The longest `_decide` body that also gets its batch copy, `_decide_many` (in lines; acme's
# is about 400). Past it, Policy.evaluate_many calls _decide per lead: a second copy of a
# body of thousands of rules would double the module's import time, and such a lead costs
# so much that what the batch saves per lead does not show.
BATCH_BODY_LINES = 3000


def _batch_entry(ctx: Context, parts: list[list[str] | Section], length: int) -> list[str]:
    """`_decide_many`, the batch: _decide's body written again (ctx.batch: with the memo
    tables the leads share) inside a loop over the leads, so that reading a lead costs
    no call, the tables live as long as the batch, and as_of is read once; it calls the
    same section functions. [] for a long policy (`length`: _decide's body and the
    section functions, in lines)."""
    if length > BATCH_BODY_LINES:
        return []
    # The same emitters again, with the tables and windows of `ctx` but a fresh expression
    # emitter (it names the fit conditions a later one repeats as it meets them).
    expressions, ctx.expressions, ctx.batch = ctx.expressions, ExpressionEmitter(ctx.analysis), True
    try:
        again = _body(ctx, parts)
    finally:
        ctx.expressions, ctx.batch = expressions, False
    memos = [f"    {local} = {first}  # {comment}" for local, (first, comment) in ctx.memos.items()]
    return [
        "",
        "",
        "def _decide_many(leads, as_of=None, wrap=None):",
        '    """Policy.evaluate_many: for each lead of `leads` (docs/language-reference.md section 16',
        "    shape: a dict as json.loads gives it, or any mapping), in order, its decision dict",
        "    (given to `wrap` when there is one) or its LeadDataError, all at one as_of, read",
        "    once (a bad as_of raises). The body is _decide's, run in this loop instead of",
        "    called: the spellings of activity type names and the activity text values met",
        '    are remembered for the rest of the batch (bounded: _MEMO_SIZE)."""',
        "    now_utc, now = _read_now(as_of)",
        "    read = None  # the leads are raw (see _decide)",
        *memos,
        "    for position, lead in enumerate(leads):",
        "        if lead.__class__ is dict:  # the usual case, as json.loads gives it",
        "            get = lead.get",
        "            lead_id, fields, activities, previous_stage = get('id'), get('fields'), get('activities'), get('stage')",
        "        else:",
        "            try:",
        "                lead_id, fields, activities, previous_stage = split_lead(lead, position)",
        "            except LeadDataError as error:",
        "                yield error",
        "                continue",
        "        try:",
        *s.indent(again, 3),
        "        except LeadDataError as error:",
        "            yield error",
        "            continue",
        "        yield result if wrap is None else wrap(result)",
    ]


def _constants(ctx: Context) -> list[str]:
    policy = ctx.policy
    lines = ["# What the runtime readers take: every declared field as (name, kind, members), and",
             "# every declared activity type, by its lower-cased name, as (name, properties).",
             "_FIELDS = ("]
    for decl in policy.fields:
        lines.append(f"    {lit((decl.name, decl.type.kind, tuple(decl.type.members)))},")
    lines += [")", "_ACTIVITY_TYPES = {"]
    for activity in policy.activities:
        props = tuple((p.name, p.type.kind, tuple(p.type.members)) for p in activity.props)
        lines.append(f"    {lit(activity.name.lower())}: {lit((activity.name, props))},")
    names = tuple(stage.name for stage in policy.stages)
    order = ", ".join(f"{lit(name)}: {i}" for i, name in enumerate(names + (s.DISQUALIFIED,)))
    lines += ["}",
              "# The stages, lowest first; `disqualified` ranks above them all.",
              f"_STAGE_NAMES = {lit(names)}",
              f"_STAGE_ORDER = {{{order}}}",
              "",
              "# The runtime readers' answers for input texts (names as declared, and trimmed and",
              "# lower-cased), computed when this module was compiled; other texts go to them."]
    for name, table in ctx.table_values.items():
        lines.append(f"{name} = {s.dict_code(table)}")
    lines += [f"_AT_LABELS = {lit(tuple(decl.name + '.at' for decl in policy.activities))}"]
    if ctx.windows:
        lines += ["# The windows (and the decay period) as timedeltas."]
    for micros, name in sorted(ctx.windows.items()):
        days, rest = divmod(micros, s.MICROS_PER_DAY)
        span = f"days={lit(days)}" if not rest else f"microseconds={lit(micros)}"
        lines.append(f"{name} = _TIMEDELTA({span})")
    if ctx.analysis.decay_base is not None:
        lines += ["# The decay factor base ** k for k < 64: the very floats base ** k gives.",
                  f"_DECAY = tuple({ctx.analysis.decay_base} ** k for k in range(64))"]
    return lines


# ---------------------------------------------------------------- the skeleton, the runtime and the helpers


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("module.py.j2")


def _template_source(name: str) -> str:
    return package_text("backends/python/" + name)


def runtime_text() -> str:
    """The text of leadpolicy/semantics/runtime.py, as embedded into every compiled module."""
    text = package_text("semantics/runtime.py")
    return text if text.endswith("\n") else text + "\n"


def helpers_text() -> str:
    """The part of leadpolicy/backends/python/helpers.py embedded into every compiled module."""
    text = package_text("backends/python/helpers.py")
    if HELPERS_MARKER not in text:
        raise CompileError("helpers.py has lost its marker line")
    text = text.split(HELPERS_MARKER, 1)[1].lstrip("\n")
    return text if text.endswith("\n") else text + "\n"


@lru_cache(maxsize=4)
def _defined_names(text: str) -> frozenset[Any]:
    names = set()
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return frozenset(names)


_runtime_names = _defined_names  # kept for callers of the old name

# Every module-level name the compiled policy defines beside the runtime.
MODULE_NAMES = tuple(sorted(set(_GENERATED_NAMES) | _defined_names(helpers_text())))


def _check_runtime_names() -> None:
    defined = _defined_names(runtime_text())
    clash = defined.intersection(MODULE_NAMES) | {name for name in defined if name.startswith(MODULE_PREFIXES)}
    if clash:
        raise CompileError(f"the runtime defines names the compiled module needs: {sorted(clash)}")


def _docstring(policy: n.Policy, path: str, sha: str) -> str:
    lines = [
        'r"""The compiled evaluator of one lead-scoring policy, generated by leadpolicy.',
        "",
        "Do not edit: change the policy and compile it again. Standard library only;",
        "the leadpolicy runtime is embedded below.",
        "",
        f"Policy:  {s.doc(policy.name)}",
        f"Version: {s.doc(policy.version)}",
        f"Source:  {s.doc(path)}",
        f"SHA-256: {s.doc(sha)[1:-1]} (of the policy text)",
        "",
        "    decision = evaluate(fields, activities=(), as_of=None, previous_stage=None)",
        '"""',
    ]
    return "\n".join(lines)
