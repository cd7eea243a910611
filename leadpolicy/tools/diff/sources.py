"""Reading a version of a policy: a file, or git's own `REV:PATH`.

    read_policy_source("policies/acme.policy")           the file as it is on disk
    read_policy_source("main:policies/acme.policy")      the file at `main` (PATH from the top of the repository,
                                                          or `./PATH` / `../PATH` from the current directory, as git reads it)
    read_at_revision("main", "policies/acme.policy")     `--rev`: PATH as the shell gives it (relative to the
                                                          current directory), at REV of the repository holding it

Git is run as the real `git` executable, with an argument list (no shell): for
`REV:PATH` from the current directory, so it works from any folder inside the
work tree; for `--rev` from the file's own folder, so it also works from outside
the repository. Every failure is a `SourceError` whose message says what to do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from leadpolicy.tools.file_kinds import compression

__all__ = ["PolicySource", "SourceError", "read_policy_source", "read_at_revision", "read_file"]


class SourceError(ValueError):
    """A version of a policy that cannot be read; the message is for people (no traceback)."""


@dataclass(frozen=True)
class PolicySource:
    """The text of one version and the name its diagnostics and reports carry."""

    label: str  # "policies/acme.policy" or "main:policies/acme.policy"
    text: str
    revision: Optional[str] = None  # the REV of a git version, None for a file


def read_file(path: str) -> PolicySource:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise SourceError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise SourceError(f"{path} is a directory, not a file") from None
    except OSError as error:
        raise SourceError(f"cannot read {path}: {error.strerror or error}") from None
    return PolicySource(path, _decode(data, path))


def read_policy_source(spec: str) -> PolicySource:
    """A file when `spec` names one, else git's `REV:PATH` when it has a colon."""
    if os.path.exists(spec) or ":" not in spec:
        return read_file(spec)
    revision, _, path = spec.partition(":")
    if not revision or not path:
        raise SourceError(f"`{spec}` is neither a file nor a git `REV:PATH` (for example main:policies/acme.policy)")
    _git_ready(spec)
    _verify_revision(revision)
    return PolicySource(spec, _decode(_show_blob(revision, path, spec), spec), revision)


def read_at_revision(revision: str, path: str) -> PolicySource:
    """The version of the file `path` (relative to the current directory) at `revision` of the
    repository that holds it (git runs in the file's folder)."""
    absolute = os.path.realpath(os.path.abspath(path))
    folder = os.path.dirname(absolute)
    if not os.path.isdir(folder):
        raise SourceError(f"no such file: {path}")
    top = _git_ready(path, folder, f"--rev {revision}: {path} is not inside a git repository"
                                   " (compare two files instead: leadpolicy diff OLD NEW)")
    _verify_revision(revision, folder)
    relative = os.path.relpath(absolute, os.path.realpath(top))
    if relative == ".." or relative.startswith(".." + os.sep):
        raise SourceError(f"{path} is outside the git repository at {top}")
    name = relative.replace(os.sep, "/")
    label = f"{revision}:{name}"
    return PolicySource(label, _decode(_show_blob(revision, name, label, folder, here=path), label), revision)


# ---------------------------------------------------------------- git


def _git(*args: str, cwd: Optional[str] = None) -> "subprocess.CompletedProcess[bytes]":
    """`git ARGS` in `cwd` (default: the current directory), output as bytes; never through a shell."""
    environment = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    try:
        return subprocess.run(["git", *args], capture_output=True, env=environment, timeout=120, cwd=cwd)
    except FileNotFoundError:
        raise SourceError("git is not installed (or not on PATH): a `REV:PATH` version needs it") from None
    except subprocess.TimeoutExpired:
        raise SourceError(f"`git {' '.join(args)}` did not answer within two minutes") from None


def _git_ready(what: str, cwd: Optional[str] = None, outside: Optional[str] = None) -> str:
    """The top folder of the work tree `cwd` (default: the current directory) is in; a SourceError
    (`outside`, or the message for a `REV:PATH`) outside one."""
    if shutil.which("git") is None:
        raise SourceError(f"git is not installed (or not on PATH): `{what}` needs it to read a git revision")
    done = _git("rev-parse", "--show-toplevel", cwd=cwd)
    if done.returncode != 0:
        raise SourceError(outside or (
            f"`{what}` names a git revision, but {os.getcwd()} is not inside a git repository"
            " (run the command from inside the repository, or compare two files)"
        ))
    return done.stdout.decode("utf-8", "replace").strip()


def _verify_revision(revision: str, cwd: Optional[str] = None) -> None:
    if revision.startswith("-"):  # never let a revision be read as an option
        raise SourceError(f"unknown revision `{revision}`")
    done = _git("rev-parse", "--verify", "--quiet", "--end-of-options", revision + "^{commit}", cwd=cwd)
    if done.returncode != 0:
        raise SourceError(f"unknown revision `{revision}` (try a branch, a tag or a commit: `git log --oneline`)")


def _show_blob(revision: str, path: str, label: str, cwd: Optional[str] = None, here: Optional[str] = None) -> bytes:
    """The file's bytes at `revision`; `here`: the file in the working tree (`--rev`), which a
    policy added since `revision` has and the revision has not."""
    done = _git("cat-file", "blob", f"{revision}:{path}", cwd=cwd)
    if done.returncode != 0:
        kind = _git("cat-file", "-t", f"{revision}:{path}", cwd=cwd).stdout.decode("utf-8", "replace").strip()
        if kind == "tree":
            raise SourceError(f"`{path}` is a directory at revision `{revision}` ({label}): name a policy file in it")
        if here is not None and os.path.isfile(here):  # a pull request that adds the policy
            raise SourceError(f"`{path}` does not exist at revision `{revision}` ({label}): it is new since then, so there is"
                              f" no old version to compare it with (`leadpolicy docs {here}` describes it whole)")
        raise SourceError(f"`{path}` does not exist at revision `{revision}` ({label}){_from_the_top(revision, path, cwd)}")
    return done.stdout


def _from_the_top(revision: str, path: str, cwd: Optional[str]) -> str:
    """The likely fix for a `REV:PATH` typed in a subfolder of the repository with PATH from there:
    git reads PATH from the repository's top (`REV:./PATH` from the current folder)."""
    if path.startswith(("./", "../", "/")):
        return ""
    prefix = _git("rev-parse", "--show-prefix", cwd=cwd).stdout.decode("utf-8", "replace").strip()
    if not prefix or _git("cat-file", "-e", f"{revision}:{prefix}{path}", cwd=cwd).returncode != 0:
        return ""
    return (f": the path after `{revision}:` is from the repository's top; did you mean `{revision}:{prefix}{path}`"
            f" (or `{revision}:./{path}`, from this folder)?")


def _decode(data: bytes, label: str) -> str:
    compressed = compression(data[:8])
    if compressed is not None:  # `old.policy.gz`: its bytes would read as "not UTF-8 (byte 2)"
        raise SourceError(f"{label} is {compressed}-compressed, and leadpolicy reads a policy as plain UTF-8 text:"
                          " decompress it first")
    try:
        return data.decode("utf-8-sig")  # a byte-order mark is not part of the policy
    except UnicodeDecodeError as error:  # in the words of every command (docs/cli-guide.md): the byte, and where
        raise SourceError(f"{label} is not UTF-8 text (byte {error.start + 1} is 0x{data[error.start]:02x})") from None
