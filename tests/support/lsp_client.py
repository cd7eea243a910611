"""A minimal Language Server Protocol client for the tests: JSON-RPC 2.0 with
Content-Length framing over a subprocess's pipes, nothing else.

It is deliberately not pygls' client: the tests talk to `leadpolicy lsp` the
way an editor does, byte for byte, so they check the wire format too.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).parent.parent


class LspError(Exception):
    def __init__(self, error: dict):
        self.code = error.get("code")
        self.message = error.get("message", "")
        super().__init__(f"{self.code}: {self.message}")


class LspClient:
    def __init__(self, *args: str, cwd: Optional[Path] = None, env: Optional[dict] = None):
        command = [sys.executable, "-m", "leadpolicy", "lsp", *args]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd or ROOT,
            env=env,
        )
        self.next_id = 0
        self.responses: dict[int, dict] = {}
        self.notifications: list[dict] = []
        self.server_requests: list[dict] = []  # requests the server sent (registerCapability, ...)
        self.changed = threading.Condition()
        self.stderr: list[bytes] = []
        self.write_lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    # -- the wire

    def _send(self, message: dict) -> None:
        body = json.dumps(message).encode("utf-8")
        with self.write_lock:
            self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.process.stdin.flush()

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    with self.changed:
                        self.changed.notify_all()
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            if length is None:
                continue
            message = json.loads(stream.read(length))
            if "id" in message and "method" in message:  # a request from the server: answered, and kept
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
                with self.changed:
                    self.server_requests.append(message)
                    self.changed.notify_all()
                continue
            with self.changed:
                if "id" in message:
                    self.responses[message["id"]] = message
                else:
                    self.notifications.append(message)
                self.changed.notify_all()

    def _drain_stderr(self) -> None:
        for line in self.process.stderr:
            self.stderr.append(line)

    # -- requests and notifications

    def request(self, method: str, params: Any = None, timeout: float = 30) -> Any:
        self.next_id += 1
        ident = self.next_id
        self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        with self.changed:
            while ident not in self.responses:
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    raise TimeoutError(f"no answer to {method}; server stderr:\n{self.log()}")
                self.changed.wait(left)
            response = self.responses.pop(ident)
        if "error" in response:
            raise LspError(response["error"])
        return response.get("result")

    def notify(self, method: str, params: Any = None) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_for(self, method: str, predicate: Callable[[dict], bool] = lambda p: True, timeout: float = 30) -> dict:
        """The first notification of `method` whose params satisfy `predicate` (consumed)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for i, message in enumerate(self.notifications):
                    if message.get("method") == method and predicate(message.get("params")):
                        del self.notifications[i]
                        return message["params"]
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    raise TimeoutError(f"no {method} notification; server stderr:\n{self.log()}")
                self.changed.wait(left)

    def server_request(self, method: str, timeout: float = 30) -> dict:
        """The first request of `method` the server sent (its params)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for message in self.server_requests:
                    if message.get("method") == method:
                        return message["params"]
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    raise TimeoutError(f"no {method} request; server stderr:\n{self.log()}")
                self.changed.wait(left)

    def diagnostics(self, uri: str, version: Optional[int] = None, timeout: float = 30) -> list[dict]:
        """The diagnostics published for a document (for that version of it, if given)."""

        def wanted(params: dict) -> bool:
            return params["uri"] == uri and (version is None or params.get("version") == version)

        return self.wait_for("textDocument/publishDiagnostics", wanted, timeout)["diagnostics"]

    def clear(self, method: str = "textDocument/publishDiagnostics") -> None:
        with self.changed:
            self.notifications = [m for m in self.notifications if m.get("method") != method]

    def log(self) -> str:
        return b"".join(self.stderr).decode("utf-8", "replace")

    # -- the session

    def initialize(
        self, root: Path, encodings: Optional[list[str]] = None, workspace: Optional[dict] = None, text_document: Optional[dict] = None
    ) -> dict:
        """`text_document` replaces the client's `textDocument` capabilities (markdown hovers and
        prepared renames unless given)."""
        text_document = {"hover": {"contentFormat": ["markdown"]}, "rename": {"prepareSupport": True}} if text_document is None else text_document
        capabilities: dict = {"textDocument": text_document}
        if encodings:
            capabilities["general"] = {"positionEncodings": encodings}
        if workspace:
            capabilities["workspace"] = workspace
        result = self.request(
            "initialize",
            {"processId": None, "rootUri": root.as_uri(), "capabilities": capabilities},
        )
        self.notify("initialized", {})
        return result

    def open(self, path: Path, text: Optional[str] = None, version: int = 1) -> str:
        uri = path.as_uri()
        text = path.read_text(encoding="utf-8", errors="surrogatepass") if text is None else text
        language = "leadpolicy"
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": language, "version": version, "text": text}})
        return uri

    def change(self, uri: str, version: int, changes: list[dict]) -> None:
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": changes})

    def close(self) -> int:
        if self.process.poll() is None:
            try:
                self.request("shutdown", timeout=10)
                self.notify("exit")
            except (TimeoutError, OSError, LspError):
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def position(text: str, needle: str, nth: int = 0, delta: int = 0) -> dict:
    """The LSP position of the nth occurrence of needle in text (plus delta characters); ASCII text."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    at += delta
    line = text.count("\n", 0, at)
    return {"line": line, "character": at - (text.rfind("\n", 0, at) + 1)}


def apply_edits(text: str, edits: list[dict]) -> str:
    """Apply LSP TextEdits (ASCII text) to text, last first."""
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def offset(p: dict) -> int:
        return starts[p["line"]] + p["character"] if p["line"] < len(starts) else len(text)

    for edit in sorted(edits, key=lambda e: offset(e["range"]["start"]), reverse=True):
        text = text[: offset(edit["range"]["start"])] + edit["newText"] + text[offset(edit["range"]["end"]) :]
    return text


def check_diagnostics(path: Path) -> list:
    """What `leadpolicy check` reports for a policy file (and its `.tests`), the server's
    expected answer. A file that is not UTF-8 (the CLI refuses it) is read as the server
    reads it, its bad bytes as lone surrogates for the parser to report."""
    from leadpolicy.cli.common import check_file
    from leadpolicy.tools.lsp.documents import read_disk

    try:
        path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        from leadpolicy.check import check
        from leadpolicy.syntax.diagnostics import PolicyError
        from leadpolicy.syntax.parser import parse

        try:
            return check(parse(read_disk(str(path)), str(path))).diagnostics
        except PolicyError as error:
            return error.diagnostics
    return check_file(path)[0]
