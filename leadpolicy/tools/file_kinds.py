"""What an input file is by its first bytes, whatever its name: the table files leads come in
that are not text (a Parquet file, a DuckDB or SQLite database, an .xls workbook). The
commands read JSON Lines and CSV as text, and the SQL engines read Parquet and DuckDB
databases: a file of the wrong kind must be named for what it is, not read as garbage."""

from __future__ import annotations

import os
import stat
from typing import Optional

__all__ = ["TABLE_FILES", "COMPRESSED_FILES", "is_stream", "first_bytes", "table_file_kind", "compression", "is_parquet", "is_duckdb_database"]

STDIN = "-"

# (offset, magic, key, what it is)
TABLE_FILES = ((0, b"PAR1", "parquet", "a Parquet file"), (8, b"DUCK", "duckdb", "a DuckDB database"),
               (0, b"SQLite format 3\x00", "sqlite", "a SQLite database"),
               (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xls", "an Excel workbook (.xls)"))

# the first bytes of the compressed files a CRM or warehouse export comes in, and their tools:
# (magic, kind, decompress to a file, decompress to standard output)
COMPRESSED_FILES = ((b"\x1f\x8b", "gzip", "gunzip -k {path}", "gunzip -c {path}"),
                    (b"BZh", "bzip2", "bunzip2 -k {path}", "bunzip2 -c {path}"),
                    (b"\xfd7zXZ\x00", "xz", "unxz -k {path}", "xz -dc {path}"),
                    (b"\x28\xb5\x2f\xfd", "zstd", "unzstd {path}", "zstd -dc {path}"),
                    (b"PK\x03\x04", "zip", "unzip {path}", "unzip -p {path}"))


def compression(head: bytes) -> Optional[str]:
    """The kind of compressed file (`gzip`, ...) whose first bytes are `head`, else None."""
    return next((kind for magic, kind, _, _ in COMPRESSED_FILES if head.startswith(magic)), None)


def is_stream(path: str) -> bool:
    """A path that can be read only once: a pipe or FIFO, a character device, a socket
    (`/dev/stdin`, `<(cat acme.policy)`, a named pipe). Looking at its first bytes would take
    them from the command that reads it next, which then found the file empty."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


def first_bytes(path: Optional[str], count: int) -> bytes:
    """The first `count` bytes of an input file named on the command line; none for standard
    input, a stream (`is_stream`: read once, by the command) or a file that cannot be read
    (said by whatever reads it next)."""
    if path is None or path == STDIN or is_stream(path):
        return b""
    try:
        with open(path, "rb") as stream:
            return stream.read(count)
    except OSError:
        return b""


def table_file_kind(path: Optional[str]) -> Optional[tuple[str, str]]:
    """(key, what it is) of TABLE_FILES for a file that is one of them, else None."""
    head = first_bytes(path, 16)
    for offset, magic, key, kind in TABLE_FILES:
        if head[offset:offset + len(magic)] == magic:
            return key, kind
    return None


def is_parquet(path: str) -> bool:
    """A Parquet file, by its name (.parquet) or its first bytes."""
    return path.lower().endswith(".parquet") or (table_file_kind(path) or ("",))[0] == "parquet"


def is_duckdb_database(path: str) -> bool:
    """A DuckDB database, by its name (.duckdb, .db) or its first bytes."""
    return path.lower().endswith((".duckdb", ".db")) or (table_file_kind(path) or ("",))[0] == "duckdb"
