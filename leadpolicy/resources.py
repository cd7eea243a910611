"""Files shipped inside the package (templates, the embedded runtime), read the same way
from an installed wheel and from a source checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def package_text(relative: str) -> str:
    """The text of `leadpolicy/<relative>` (a path with `/`), UTF-8."""
    try:
        return resources.files("leadpolicy").joinpath(relative).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):  # a zipped or odd install: the source tree beside this file
        return (Path(__file__).resolve().parent / relative).read_text(encoding="utf-8")
