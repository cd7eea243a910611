"""The language server's side of JSON-RPC: messages it cannot read, and pygls' log.

A request whose params do not fit LSP's types (a negative position) is answered with
InvalidParams; a notification that cannot be read is logged, and an unreadable change loses
its document (decision 97); pygls' tracebacks for refusals and for answers that are errors
(a refused rename) stay out of the log, which is for bugs.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Optional

from lsprotocol import types as t
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger("leadpolicy.lsp")

REQUEST_FAILED = -32803  # LSP's RequestFailed: the editor shows the message


class _Answered:
    """A request refused before it was read (its answer is sent): nothing more to do."""

    jsonrpc = None


class PolicyProtocol(LanguageServerProtocol):
    """pygls' protocol, except that a request whose params are not what LSP says (a negative
    position: lines and characters are unsigned) is answered with InvalidParams (-32602). pygls
    raises that error while reading the message, before it knows it is a request, then logs it
    and sends nothing: the editor waited for the answer forever."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        _HELD.start()
        try:
            return super().structure_message(data)
        except JsonRpcInvalidParams as error:
            ident, method = data.get("id"), data.get("method")
            if not isinstance(method, str) or (ident is not None and not isinstance(ident, (int, str))):
                _HELD.release()
                raise  # a response: nothing to answer nor to keep in step
            detail = _first_cause(error)
            message = f"{error.message}: {detail}" if detail else error.message
            if ident is None:  # a notification
                _HELD.drop()
                self._unread_notification(method, data.get("params"), message)
                return _Answered()
            _HELD.drop()  # pygls' traceback: the refusal is the whole story, in one line
            log.warning("refused %s (id %s): %s", method, ident, message)
            self._send_response(ident, None, t.ResponseError(code=JsonRpcInvalidParams.CODE, message=message))
            return _Answered()
        finally:
            _HELD.release()

    def handle_message(self, message: Any) -> None:
        if not isinstance(message, _Answered):
            super().handle_message(message)

    def _unread_notification(self, method: str, params: Any, message: str) -> None:
        """A notification whose params do not fit their type: nobody waits for an answer, so it is
        logged (and sent to the client's log, window/logMessage); a change to a document that
        cannot be read leaves the server's copy of the text behind the editor's, so that document
        is lost until the editor sends its whole text again (decision 97)."""
        log.warning("ignored %s: %s", method, message)
        self._send_notification(t.WINDOW_LOG_MESSAGE, t.LogMessageParams(type=t.MessageType.Warning, message=f"leadpolicy ignored {method}: {message}"))
        document = params.get("textDocument") if isinstance(params, dict) else None
        uri = document.get("uri") if isinstance(document, dict) else None
        lose = getattr(self._server, "lose", None)  # server.PolicyServer.lose
        if method == t.TEXT_DOCUMENT_DID_CHANGE and isinstance(uri, str) and callable(lose):
            lose(uri, message)

    def _send_notification(self, method: str, params: Any) -> None:
        try:
            self.notify(method, params)
        except Exception:  # the transport is gone: nothing to tell
            log.debug("could not send %s", method, exc_info=True)


def _first_cause(error: BaseException) -> str:
    """The innermost reason cattrs gave (`Position.line should be in range [0:2147483647], but was -1.`)."""
    found: Optional[BaseException] = error.__cause__
    while isinstance(found, BaseExceptionGroup) and found.exceptions:
        found = found.exceptions[0]
    if isinstance(found, KeyError):  # a member the type requires: `'position'` alone says nothing
        return f"missing {found}"
    return str(found) if found is not None else ""


class _HeldWhileReading(logging.Filter):
    """pygls logs a message it cannot read at ERROR, with a traceback (`Unable to deserialize
    message`), before it raises the error. For a request refused with InvalidParams that is noise:
    the log says the refusal in one line instead. While a message is read its records are held;
    the protocol drops them when it refused the request, and lets them through otherwise."""

    def __init__(self) -> None:
        super().__init__()
        self.local = threading.local()

    def start(self) -> None:
        self.local.held = []

    def drop(self) -> None:
        self.local.held = []

    def release(self) -> None:
        held, self.local.held = getattr(self.local, "held", None), None
        for record in held or ():
            logging.getLogger(record.name).handle(record)

    def filter(self, record: logging.LogRecord) -> bool:
        held = getattr(self.local, "held", None)
        if held is None or not record.getMessage().startswith("Unable to deserialize message"):
            return True
        held.append(record)
        return False


_HELD = _HeldWhileReading()


class _AnswersAreNotErrors(logging.Filter):
    """pygls logs every request that ends in an error response as an exception, traceback and
    all. A refused rename (a reserved word, a clash) is an answer the editor shows, not a bug:
    it stays out of the log, which is for bugs."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(error, JsonRpcException) and error.code == REQUEST_FAILED)


_ANSWERS = _AnswersAreNotErrors()


def quiet_pygls_log() -> None:
    """Add the two filters to pygls' JSON-RPC logger (the same objects: added once)."""
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_ANSWERS)
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_HELD)
