"""`frozen`: a frozen dataclass that is cheap to define.

`@dataclass(frozen=True)` writes six methods per class as source text and
compiles each (`__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__`,
`__delattr__`): for the ~50 AST node classes that was 15-20 ms of every
`leadpolicy check`, a sixth of its start-up. Here the dataclass machinery only
does its bookkeeping (fields, defaults, `__match_args__`, so `dataclasses.fields`
and `replace` work as before); `__init__` is compiled the first time a class is
instantiated (so kinds a policy never uses cost nothing), and equality, hashing,
`repr` and immutability are shared methods of `Frozen`, driven by each class's
fields. The behaviour is that of `@dataclass(frozen=True)`: equality and hash
over the fields with `compare=True`, `repr` over those with `repr=True`,
assignment raising `dataclasses.FrozenInstanceError`.
"""

from __future__ import annotations

import dataclasses
from operator import attrgetter
from typing import Any, Callable, TypeVar, dataclass_transform

T = TypeVar("T", bound=type)

_MISSING = dataclasses.MISSING


class Frozen:
    """The shared methods of every `@frozen` class."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        key = _compare_key(self.__class__)
        return key(self) == key(other)

    def __hash__(self) -> int:
        return hash(_compare_key(self.__class__)(self))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _repr_names(self.__class__))
        return f"{self.__class__.__qualname__}({shown})"


def _compare_key(cls: type) -> Callable[[Any], tuple]:
    key = cls.__dict__.get("_frozen_compare_key")
    if key is None:
        names = tuple(f.name for f in dataclasses.fields(cls) if f.compare)
        getter = attrgetter(*names) if names else (lambda _: ())
        key = getter if len(names) != 1 else (lambda obj, get=getter: (get(obj),))
        type.__setattr__(cls, "_frozen_compare_key", key)
    return key  # type: ignore[no-any-return]


def _repr_names(cls: type) -> tuple[str, ...]:
    names = cls.__dict__.get("_frozen_repr_names")
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls) if f.repr)
        type.__setattr__(cls, "_frozen_repr_names", names)
    return names  # type: ignore[no-any-return]


def _compile_init(cls: type) -> Callable[..., None]:
    """The `__init__` @dataclass(frozen=True) would write: positional fields, then keyword-only ones."""
    namespace: dict[str, Any] = {"_set": object.__setattr__}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.default is not _MISSING:
            namespace[f"_d_{f.name}"] = f.default
            parameter = f"{f.name}=_d_{f.name}"
            value = f.name
        elif f.default_factory is not _MISSING:
            namespace[f"_f_{f.name}"] = f.default_factory
            parameter = f"{f.name}=_MISSING"
            namespace["_MISSING"] = _MISSING
            value = f"_f_{f.name}() if {f.name} is _MISSING else {f.name}"
        else:
            parameter = value = f.name
        (keyword if f.kw_only else positional).append(parameter)
        body.append(f"    _set(self, {f.name!r}, {value})")
    parameters = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    post_init = ["    self.__post_init__()"] if hasattr(cls, "__post_init__") else []
    source = f"def __init__({parameters}):\n" + "\n".join(body + post_init or ["    pass"]) + "\n"
    exec(source, namespace)  # noqa: S102 - the dataclass way: names are the class's own field names
    init: Callable[..., None] = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _first_init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = self.__class__
    init = _compile_init(cls)
    type.__setattr__(cls, "__init__", init)
    init(self, *args, **kwargs)


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def frozen(cls: T) -> T:
    """Make `cls` (a subclass of Frozen) a frozen dataclass."""
    if not issubclass(cls, Frozen):
        raise TypeError(f"@frozen class {cls.__name__} must derive from Frozen")
    cls = dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    cls.__init__ = _first_init  # type: ignore[misc]
    return cls
