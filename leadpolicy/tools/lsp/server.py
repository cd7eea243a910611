"""The language server (`leadpolicy lsp`): pygls on standard input/output.

This module is the protocol side only: it keeps the open documents, decides
when to analyse, and turns the analysis (`documents`, `symbols`, `hover`,
`completion`, `navigation`, `outline`, `actions`) into LSP messages. Messages
it cannot read, and pygls' log, are `protocol`'s.

- Diagnostics are debounced: an edit schedules an analysis of its unit (the
  policy and its `.tests` file) after `debounce` seconds of quiet; the
  analysis runs in a worker thread and its result is published only if the
  texts are still the ones it read.
- Requests (hover, definition, ...) use the analysis of the current texts,
  made on the spot if the debounced one has not run yet. Completion needs
  only the text and the names of the last policy that parsed.
- Every handler catches everything: a bug logs and answers "nothing", it
  never stops the server.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from typing import Any, Callable, Optional

from lsprotocol import types as t
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from leadpolicy import __version__
from leadpolicy.syntax.diagnostics import Diagnostic, Span
from leadpolicy.tools.lsp import actions, completion, hover, incremental, navigation, outline
from leadpolicy.tools.lsp.documents import (
    Source,
    Unit,
    analyse,
    is_tests_path,
    policy_path_for,
    read_disk,
    tests_path_for,
)
from leadpolicy.tools.lsp.positions import LineIndex, Range
from leadpolicy.tools.lsp.protocol import REQUEST_FAILED, PolicyProtocol, quiet_pygls_log

log = logging.getLogger("leadpolicy.lsp")

DEFAULT_DEBOUNCE = 0.05  # seconds of quiet after an edit before diagnostics are recomputed

_SYMBOL_KINDS = {name: getattr(t.SymbolKind, name) for name in ("Module", "Namespace", "Field", "Event", "Property", "EnumMember", "Function", "Constant", "Method")}
_COMPLETION_KINDS = {
    "keyword": t.CompletionItemKind.Keyword,
    "field": t.CompletionItemKind.Field,
    "activity": t.CompletionItemKind.Event,
    "property": t.CompletionItemKind.Property,
    "stage": t.CompletionItemKind.EnumMember,
    "member": t.CompletionItemKind.EnumMember,
    "grade": t.CompletionItemKind.Constant,
    "rule": t.CompletionItemKind.Reference,
    "unit": t.CompletionItemKind.Unit,
    "change": t.CompletionItemKind.Value,
    "operator": t.CompletionItemKind.Operator,
}
_ORDER = ["field", "property", "activity", "stage", "member", "grade", "rule", "change", "unit", "operator", "keyword"]


class PolicyServer(LanguageServer):
    def __init__(self, debounce: float = DEFAULT_DEBOUNCE) -> None:
        super().__init__(
            "leadpolicy", __version__, text_document_sync_kind=t.TextDocumentSyncKind.Incremental, protocol_cls=PolicyProtocol
        )
        self.debounce = debounce
        self.uris: dict[str, str] = {}  # path -> uri, for the documents open in the editor
        self.units: dict[str, Unit] = {}  # unit key (the policy's path) -> its latest analysis
        self.good: dict[str, Unit] = {}  # unit key -> the latest analysis whose policy parsed
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.running: set[str] = set()  # units being analysed for diagnostics
        self.dirty: dict[str, str] = {}  # unit key -> a URI edited while its analysis ran
        self.lost: set[str] = set()  # URIs of open documents whose text the server lost track of
        self.lock = threading.Lock()

    # -- paths and texts

    @property
    def encoding(self) -> str:
        try:
            return str(self.workspace.position_encoding or "utf-16")
        except Exception:  # before initialize
            return "utf-16"

    def hover_format(self) -> t.MarkupKind:
        """The first of the formats the client shows in a hover (`textDocument.hover.contentFormat`,
        preferred first) that the server writes; Markdown when it names none, plain text when it
        names only others."""
        text_document = self.client_capabilities.text_document
        asked = text_document.hover if text_document is not None else None
        formats = asked.content_format if asked is not None else None
        if not formats:
            return t.MarkupKind.Markdown
        known = [f for f in formats if f in (t.MarkupKind.Markdown, t.MarkupKind.PlainText)]
        return known[0] if known else t.MarkupKind.PlainText

    def path_of(self, uri: str) -> str:
        return to_fs_path(uri) or uri  # untitled documents keep their URI as their name

    def uri_of(self, path: str) -> str:
        return self.uris.get(path) or from_fs_path(path) or path

    def lose(self, uri: str, reason: str) -> None:
        """A change to the document could not be read: the server's copy of its text is no longer
        the editor's. Until the editor sends the whole text (it is opened again, or a change
        replaces all of it) the document answers nothing: its diagnostics are cleared and no
        request is answered from the wrong text (a formatting edit would replace the whole of it)."""
        if uri in self.lost:
            return
        self.lost.add(uri)
        name = self.path_of(uri).replace("\\", "/").rsplit("/", 1)[-1]
        log.warning("lost track of %s: a change could not be read (%s)", uri, reason)
        self.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        self.window_show_message(
            t.ShowMessageParams(
                type=t.MessageType.Warning,
                message=f"leadpolicy lost track of {name}: the editor sent a change it could not read ({reason.rstrip('.')}). "
                "Close and reopen the file to check it again.",
            )
        )

    def found(self, uri: str) -> None:
        """The editor sent the document's whole text: the server's copy is right again."""
        self.lost.discard(uri)

    def read(self, path: str) -> Optional[str]:
        """The editor's text when the file is open there, else the disk's. Raises LookupError for a
        document whose text the server lost track of (`lose`): no answer is made from it."""
        uri = self.uris.get(path)
        if uri is not None:
            if uri in self.lost:
                raise LookupError(f"{uri}: its text is not known since a change could not be read")
            return self.workspace.get_text_document(uri).source
        return read_disk(path) if path.startswith("/") or ":" in path[:3] else None

    def unit_key(self, path: str) -> str:
        return policy_path_for(path) if _is_file(path) else path

    def snapshot(self, path: str) -> tuple[Optional[Source], Optional[Source]]:
        """The current texts of the unit a file belongs to."""
        if not _is_file(path):  # an untitled buffer: a policy on its own
            text = self.read(path)
            return (Source(path, text, self.encoding) if text is not None else None), None
        policy_path, tests_path = policy_path_for(path), tests_path_for(path)
        policy_text, tests_text = self.read(policy_path), self.read(tests_path)
        return (
            Source(policy_path, policy_text, self.encoding) if policy_text is not None else None,
            Source(tests_path, tests_text, self.encoding) if tests_text is not None else None,
        )

    def unit(self, uri: str) -> Unit:
        """The analysis of the current texts of the document's unit (made now if needed)."""
        path = self.path_of(uri)
        key = self.unit_key(path)
        policy, tests = self.snapshot(path)
        with self.lock:
            known = self.units.get(key)
        if known is not None and _same(known.policy, policy) and _same(known.tests, tests):
            return known
        unit = analyse(policy, tests)
        self.remember(key, unit)
        return unit

    def remember(self, key: str, unit: Unit) -> None:
        with self.lock:
            self.units[key] = unit
            if unit.tree is not None:
                self.good[key] = unit

    # -- diagnostics

    def schedule(self, uri: str) -> None:
        """Analyse the document's unit after `debounce` seconds without another edit."""
        key = self.unit_key(self.path_of(uri))
        loop = asyncio.get_running_loop()
        timer = self.timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        self.timers[key] = loop.call_later(self.debounce, lambda: self._start(uri, key))

    def _start(self, uri: str, key: str) -> None:
        self.timers.pop(key, None)
        if key in self.running:  # one analysis of a unit at a time; the next starts when it ends
            self.dirty[key] = uri
            return
        self.running.add(key)
        try:
            policy, tests = self.snapshot(self.path_of(uri))
        except LookupError as error:  # a document whose text is lost: nothing to check
            log.debug("%s", error)
            self.running.discard(key)
            return
        except Exception:
            log.exception("could not read the documents of %s", uri)
            self.running.discard(key)
            return
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(None, _analyse_for_publishing, policy, tests)
        future.add_done_callback(functools.partial(self._finished, uri, key))

    def _finished(self, uri: str, key: str, future: "asyncio.Future[Unit]") -> None:
        self.running.discard(key)
        again = self.dirty.pop(key, None)
        if again is not None:
            self._start(again, key)
        try:
            unit = future.result()
            policy, tests = self.snapshot(self.path_of(uri))
            if not (_same(unit.policy, policy) and _same(unit.tests, tests)):
                return  # edited meanwhile: the next analysis publishes
            self.remember(key, unit)
            self.publish(unit)
        except LookupError as error:  # lost meanwhile
            log.debug("%s", error)
        except Exception:
            log.exception("publishing diagnostics failed")

    def publish(self, unit: Unit) -> None:
        for source in (unit.policy, unit.tests):
            if source is None or source.path not in self.uris:
                continue
            uri = self.uris[source.path]
            items = [self.lsp_diagnostic(unit, source, d) for d in unit.diagnostics_for(source.path)]
            version = self.workspace.get_text_document(uri).version
            self.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=uri, diagnostics=items, version=version))

    def lsp_diagnostic(self, unit: Unit, source: Source, d: Diagnostic) -> t.Diagnostic:
        span = d.span or Span(1, 1, 1, 1)
        message = d.message + (f"\nhelp: {d.help}" if d.help else "") + "".join(f"\nnote: {note}" for note in d.notes)
        fixes = []
        for fix in actions.fixes(unit, d):
            edits = [[*_flat(source.index.span_range(s)), text] for s, text in fix.edits]
            fixes.append({"title": fix.title, "edits": edits})
        return t.Diagnostic(
            range=_range(source.index, span),
            message=message,
            severity=t.DiagnosticSeverity.Error if d.is_error else t.DiagnosticSeverity.Warning,
            code=d.code,
            source="leadpolicy",
            data={"fixes": fixes} if fixes else None,
        )


def _analyse_for_publishing(policy: Optional[Source], tests: Optional[Source]) -> Unit:
    unit = analyse(policy, tests)
    return unit


def _is_file(path: str) -> bool:
    return path.endswith((".policy", ".tests"))


def _same(a: Optional[Source], b: Optional[Source]) -> bool:
    if a is None or b is None:
        return a is b
    return a.path == b.path and a.text == b.text


def _range(index: LineIndex, span: Span) -> t.Range:
    (l0, c0), (l1, c1) = index.span_range(span)
    return t.Range(start=t.Position(line=l0, character=c0), end=t.Position(line=l1, character=c1))


def _flat(r: Range) -> list[int]:
    (l0, c0), (l1, c1) = r
    return [l0, c0, l1, c1]


def _index(unit: Unit, path: str) -> LineIndex:
    source = unit.source(path)
    if source is None:
        raise LookupError(f"{path} is not part of its analysis")
    return source.index


def _location(server: PolicyServer, unit: Unit, path: str, span: Span) -> t.Location:
    return t.Location(uri=server.uri_of(path), range=_range(_index(unit, path), span))


def safe(default: Any = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Answer `default` (and log) when a handler fails: the server must outlive any bug."""

    def wrap(handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return handler(*args, **kwargs)
            except JsonRpcException:
                raise
            except LookupError as error:  # a document the server does not know: nothing to say
                log.debug("%s: %s", handler.__name__, error)
                return default
            except Exception:
                log.exception("%s failed", handler.__name__)
                return default

        return run

    return wrap


def make_server(debounce: float = DEFAULT_DEBOUNCE) -> PolicyServer:
    server = PolicyServer(debounce)
    quiet_pygls_log()

    @server.feature(t.INITIALIZED)
    @safe()
    def on_initialized(ls: PolicyServer, params: t.InitializedParams) -> None:
        """Ask the editor to report changes to policies and `.tests` files on disk (a closed sibling
        is read from there): editors other than VS Code report only what a server registers."""
        workspace = ls.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace is not None else None
        if watched is None or not watched.dynamic_registration:
            return
        watchers = [t.FileSystemWatcher(glob_pattern=pattern) for pattern in ("**/*.policy", "**/*.tests")]
        options = t.DidChangeWatchedFilesRegistrationOptions(watchers=watchers)
        registration = t.Registration(id="leadpolicy-files", method=t.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options)
        ls.client_register_capability(t.RegistrationParams(registrations=[registration]))

    @server.feature(t.TEXT_DOCUMENT_DID_OPEN)
    @safe()
    def did_open(ls: PolicyServer, params: t.DidOpenTextDocumentParams) -> None:
        ls.uris[ls.path_of(params.text_document.uri)] = params.text_document.uri
        ls.found(params.text_document.uri)
        ls.schedule(params.text_document.uri)

    @server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
    @safe()
    def did_change(ls: PolicyServer, params: t.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri in ls.lost:
            if not any(isinstance(c, t.TextDocumentContentChangeWholeDocument) for c in params.content_changes):
                return  # an edit of a text the server does not have
            ls.found(uri)
        ls.schedule(uri)

    @server.feature(t.TEXT_DOCUMENT_DID_SAVE)
    @safe()
    def did_save(ls: PolicyServer, params: t.DidSaveTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
    @safe()
    def did_close(ls: PolicyServer, params: t.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = ls.path_of(uri)
        ls.uris.pop(path, None)
        ls.found(uri)
        ls.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        sibling = tests_path_for(path) if not is_tests_path(path) else policy_path_for(path)
        if _is_file(path) and sibling in ls.uris:
            ls.schedule(ls.uris[sibling])  # the sibling now reads this file from disk

    @server.feature(t.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @safe()
    def did_change_watched_files(ls: PolicyServer, params: t.DidChangeWatchedFilesParams) -> None:
        """A file changed on disk (a `git checkout`, another program): the open documents of its
        unit are checked again, since a closed policy or `.tests` file is read from disk."""
        for change in params.changes:
            path = ls.path_of(change.uri)
            if not _is_file(path) or path in ls.uris:  # an open document is the editor's text, not the disk's
                continue
            key = ls.unit_key(path)
            for open_path, uri in list(ls.uris.items()):
                if ls.unit_key(open_path) == key:
                    ls.schedule(uri)
                    break

    @server.feature(t.TEXT_DOCUMENT_HOVER)
    @safe()
    def on_hover(ls: PolicyServer, params: t.HoverParams) -> Optional[t.Hover]:
        uri = params.text_document.uri
        unit = ls.unit(uri)
        source = unit.source(ls.path_of(uri))
        if source is None:
            return None
        text = hover.hover(unit, source.path, source.index.offset_at((params.position.line, params.position.character)))
        if text is None:
            return None
        if ls.hover_format() == t.MarkupKind.PlainText:
            return t.Hover(contents=t.MarkupContent(kind=t.MarkupKind.PlainText, value=hover.plain(text)))
        return t.Hover(contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=text))

    @server.feature(t.TEXT_DOCUMENT_COMPLETION, t.CompletionOptions(trigger_characters=['"', "(", ","]))
    @safe()
    def on_completion(ls: PolicyServer, params: t.CompletionParams) -> Optional[t.CompletionList]:
        uri = params.text_document.uri
        path = ls.path_of(uri)
        text = ls.read(path) or ""
        index = LineIndex(text, ls.encoding)
        offset = index.offset_at((params.position.line, params.position.character))
        with ls.lock:
            good = ls.good.get(ls.unit_key(path))
        if good is None:
            good = ls.unit(uri)
        declared = good.resolved or good.tree
        if declared is None and good.policy is not None:  # no version parsed yet: the blocks that parse
            declared = incremental.declared(good.policy.text, good.policy.path)
        names = completion.Names(declared)
        items = completion.complete(text, offset, names, tests_file=is_tests_path(path))
        return t.CompletionList(is_incomplete=False, items=[_completion_item(index, item) for item in items])

    @server.feature(t.TEXT_DOCUMENT_DEFINITION)
    @safe()
    def on_definition(ls: PolicyServer, params: t.DefinitionParams) -> Optional[list[t.Location]]:
        unit, path, offset = _at(ls, params)
        return [_location(ls, unit, p, span) for p, span in navigation.definition(unit, path, offset)] or None

    @server.feature(t.TEXT_DOCUMENT_REFERENCES)
    @safe()
    def on_references(ls: PolicyServer, params: t.ReferenceParams) -> Optional[list[t.Location]]:
        unit, path, offset = _at(ls, params)
        found = navigation.references(unit, path, offset, params.context.include_declaration)
        return [_location(ls, unit, p, span) for p, span in found] or None

    @server.feature(t.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)
    @safe()
    def on_highlight(ls: PolicyServer, params: t.DocumentHighlightParams) -> Optional[list[t.DocumentHighlight]]:
        unit, path, offset = _at(ls, params)
        found = navigation.highlights(unit, path, offset)
        if not found:
            return None
        index = _index(unit, path)
        write, read = t.DocumentHighlightKind.Write, t.DocumentHighlightKind.Read
        return [t.DocumentHighlight(range=_range(index, span), kind=write if declared else read) for span, declared in found]

    @server.feature(t.TEXT_DOCUMENT_PREPARE_RENAME)
    @safe()
    def on_prepare_rename(ls: PolicyServer, params: t.PrepareRenameParams) -> Optional[t.PrepareRenamePlaceholder]:
        unit, path, offset = _at(ls, params)
        try:
            found = navigation.prepare_rename(unit, path, offset)
        except navigation.RenameError as error:
            raise JsonRpcException(str(error), code=REQUEST_FAILED) from None
        if found is None:
            return None
        span, placeholder = found
        return t.PrepareRenamePlaceholder(range=_range(_index(unit, path), span), placeholder=placeholder)

    @server.feature(t.TEXT_DOCUMENT_RENAME)
    @safe()
    def on_rename(ls: PolicyServer, params: t.RenameParams) -> Optional[t.WorkspaceEdit]:
        unit, path, offset = _at(ls, params)
        try:
            edits = navigation.rename(unit, path, offset, params.new_name)
        except navigation.RenameError as error:
            raise JsonRpcException(str(error), code=REQUEST_FAILED) from None
        changes = {
            ls.uri_of(p): [t.TextEdit(range=_range(_index(unit, p), span), new_text=text) for span, text in spans]
            for p, spans in edits.items()
        }
        return t.WorkspaceEdit(changes=changes)

    @server.feature(t.TEXT_DOCUMENT_FORMATTING)
    @safe()
    def on_formatting(ls: PolicyServer, params: t.DocumentFormattingParams) -> Optional[list[t.TextEdit]]:
        path = ls.path_of(params.text_document.uri)
        text = ls.read(path)
        if text is None:
            return None
        formatted, refusal = actions.format_or_refusal(text, path if _is_file(path) else "untitled.policy")
        if refusal is not None:  # no edits, so that format-on-save still saves, and the reason
            ls.window_show_message(t.ShowMessageParams(type=t.MessageType.Warning, message=refusal))
        if formatted is None or formatted == text:
            return []
        (l0, c0), (l1, c1) = LineIndex(text, ls.encoding).whole_range()
        whole = t.Range(start=t.Position(line=l0, character=c0), end=t.Position(line=l1, character=c1))
        return [t.TextEdit(range=whole, new_text=formatted)]

    @server.feature(t.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @safe()
    def on_symbols(ls: PolicyServer, params: t.DocumentSymbolParams) -> Optional[list[t.DocumentSymbol]]:
        uri = params.text_document.uri
        unit = ls.unit(uri)
        path = ls.path_of(uri)
        source = unit.source(path)
        if source is None:
            return None
        return [_document_symbol(source.index, s) for s in outline.outline(unit, path)]

    @server.feature(t.TEXT_DOCUMENT_CODE_ACTION, t.CodeActionOptions(code_action_kinds=[t.CodeActionKind.QuickFix]))
    @safe()
    def on_code_action(ls: PolicyServer, params: t.CodeActionParams) -> Optional[list[t.CodeAction]]:
        """The fixes of the diagnostics the editor sends, made from the document's current text: the
        editor's diagnostic is matched by code and range with the analysis of that text. The edits
        published in `data` were made for the text then, and the editor moves a diagnostic when
        text above it changes but not its `data`; some clients do not send `data` back at all."""
        uri = params.text_document.uri
        if not params.context.diagnostics:  # the light bulb asked on every move of the cursor: no analysis for nothing
            return []
        if params.context.only is not None and not any(_kind_contains(k, t.CodeActionKind.QuickFix) for k in params.context.only):
            return []  # another kind asked for (VS Code's `source.fixAll` on save): the server makes only quick fixes
        unit = ls.unit(uri)
        source = unit.source(ls.path_of(uri))
        if source is None:
            return None
        current: dict[tuple[Any, ...], Diagnostic] = {}
        for d in unit.diagnostics_for(source.path):
            current.setdefault((d.code, *_flat(source.index.span_range(d.span or Span(1, 1, 1, 1)))), d)
        found: list[t.CodeAction] = []
        for diagnostic in params.context.diagnostics:
            r = diagnostic.range
            matched = current.get((diagnostic.code, r.start.line, r.start.character, r.end.line, r.end.character))
            if matched is None:
                continue  # not a diagnostic of the text as it is now: its fix would land elsewhere
            for i, fix in enumerate(actions.fixes(unit, matched)):
                edits = [t.TextEdit(range=_range(source.index, span), new_text=text) for span, text in fix.edits]
                found.append(
                    t.CodeAction(
                        title=fix.title,
                        kind=t.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        edit=t.WorkspaceEdit(changes={uri: edits}),
                        is_preferred=i == 0,
                    )
                )
        return found

    return server


def _kind_contains(asked: str, kind: str) -> bool:
    """Whether a code action kind the client asks for takes in `kind`: kinds are dotted
    hierarchies, and a kind contains itself and every kind below it (`source` contains
    `source.fixAll`, the empty kind every kind), as LSP's `CodeActionContext.only` says."""
    return asked == "" or kind == asked or kind.startswith(asked + ".")


def _at(ls: PolicyServer, params: Any) -> tuple[Unit, str, int]:  # any request with a document and a position
    uri = params.text_document.uri
    unit = ls.unit(uri)
    path = ls.path_of(uri)
    source = unit.source(path)
    if source is None:
        raise LookupError(f"{uri} is not part of its analysis")
    return unit, path, source.index.offset_at((params.position.line, params.position.character))


def _completion_item(index: LineIndex, item: completion.Item) -> t.CompletionItem:
    """An item that replaces a range (a string from its opening quote) is filtered by the editor with
    the text typed in that range, quote and all: its filter text is the text it puts there."""
    text_edit = None
    if item.replace is not None:
        start, end = index.position(item.replace[0]), index.position(item.replace[1])
        text_edit = t.TextEdit(
            range=t.Range(start=t.Position(line=start[0], character=start[1]), end=t.Position(line=end[0], character=end[1])),
            new_text=item.insert_text or item.label,
        )
    return t.CompletionItem(
        label=item.label,
        kind=_COMPLETION_KINDS.get(item.kind),
        detail=item.detail or None,
        insert_text=item.insert_text if text_edit is None else None,
        text_edit=text_edit,
        filter_text=text_edit.new_text if text_edit is not None else None,
        sort_text=f"{_ORDER.index(item.kind) if item.kind in _ORDER else 9}{item.label}",
    )


def _document_symbol(index: LineIndex, symbol: outline.Symbol) -> t.DocumentSymbol:
    return t.DocumentSymbol(
        name=symbol.name or "(unnamed)",
        kind=_SYMBOL_KINDS[symbol.kind],
        range=_range(index, symbol.span),
        selection_range=_range(index, symbol.selection),
        detail=symbol.detail or None,
        children=[_document_symbol(index, c) for c in symbol.children] or None,
    )


def serve(debounce: float = DEFAULT_DEBOUNCE) -> None:
    """Run the server on standard input and output until the client says exit."""
    make_server(debounce).start_io()
