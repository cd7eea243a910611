"""The lines being written, and the alignment of trailing comments."""

from __future__ import annotations

from leadpolicy.tools.fmt.doc import Tok

# ---------------------------------------------------------------- the output


class Out:
    """Lines being written; `fresh` means the last line holds only its indentation."""

    def __init__(self, col: int = 0, fresh: bool = True):
        self.lines = [" " * col]
        self.code: dict[int, int] = {}  # line -> width before its comment
        self.fresh = fresh
        self.pending = False  # a trailing comment ended the line: the next token starts a new one

    @property
    def col(self) -> int:
        return len(self.lines[-1])

    def fork(self) -> "Out":
        scratch = Out(self.col, self.fresh)
        scratch.pending = self.pending
        return scratch

    def splice(self, scratch: "Out", col: int) -> None:
        base = len(self.lines) - 1
        self.lines[-1] += scratch.lines[0][col:]
        for i, w in scratch.code.items():
            self.code[base + i] = w  # scratch columns are the real columns
        self.lines.extend(scratch.lines[1:])
        self.fresh, self.pending = scratch.fresh, scratch.pending

    def widest(self) -> int:
        return max(self.code.get(i, len(line.rstrip())) for i, line in enumerate(self.lines))

    def newline(self, indent: int) -> None:
        if self.fresh:
            self.lines[-1] = " " * indent
        else:
            self.lines[-1] = self.lines[-1].rstrip()
            self.lines.append(" " * indent)
        self.fresh, self.pending = True, False

    def blank_line(self) -> None:
        """An empty line before the current (fresh) line."""
        if len(self.lines) >= 2 and self.lines[-2] == "":
            return
        self.lines.insert(len(self.lines) - 1, "")

    def pad_to(self, col: int) -> None:
        self.lines[-1] += " " * max(0, col - self.col)

    def comment_line(self, text: str) -> None:
        indent = self.col
        self.lines[-1] += text
        self.code[len(self.lines) - 1] = 0
        self.fresh = False
        self.newline(indent)

    def token(self, tok: Tok, sep: str, ind: int) -> None:
        if self.pending or (tok.leading and not self.fresh):
            self.newline(ind)
        elif not self.fresh:
            self.lines[-1] += sep
        for text, _ in tok.leading:
            self.comment_line(text)
        tok.column = self.col
        self.lines[-1] += tok.text
        self.fresh = False
        if tok.trailing is not None:
            self.code[len(self.lines) - 1] = len(self.lines[-1])
            self.lines[-1] += "  " + tok.trailing
            self.pending = True

    def text(self) -> str:
        """The finished text; trailing comments on consecutive lines line up."""
        lines = [line.rstrip() for line in self.lines]
        run: list[int] = []
        for i in range(len(lines) + 1):
            if i < len(lines) and self.code.get(i, 0) > 0:
                run.append(i)
                continue
            if len(run) > 1:
                at = max(self.code[j] for j in run) + 2
                for j in run:
                    code, comment = lines[j][: self.code[j]], lines[j][self.code[j] :].lstrip()
                    lines[j] = code.ljust(at) + comment
            run = []
        while lines and not lines[-1]:
            lines.pop()
        while lines and not lines[0]:
            lines.pop(0)
        return "\n".join(lines) + "\n" if lines else ""
