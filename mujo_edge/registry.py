"""A small generic registry: named factories that raise with the valid names on a miss.

Used for datasets, encoders, students, export backends, motion generators, ... Dispatch is always
by exact name through a registry, never by substring matching.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from mujo_edge.errors import ConfigError, UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to objects (classes, factories or info records).

    >>> r: Registry[int] = Registry("colour")
    >>> r.add("red", 1)
    >>> r.get("red")
    1
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def add(self, name: str, item: T) -> None:
        """Register ``item`` under ``name``; registering a name twice is an error."""
        if name in self._items:
            raise ConfigError(f"{self.kind} {name!r} is registered twice")
        self._items[name] = item

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator form of :meth:`add`."""

        def deco(item: T) -> T:
            self.add(name, item)
            return item

        return deco

    def replace(self, name: str, item: T) -> None:
        """Register ``item`` under ``name`` whether or not the name is taken (for entries that are reloaded,
        such as imported datasets); use :meth:`add` for everything defined in code."""
        self._items[name] = item

    def remove(self, name: str) -> None:
        """Forget ``name`` (unknown names raise with the valid ones)."""
        self.get(name)
        del self._items[name]

    def get(self, name: str) -> T:
        """Return the item named ``name`` or raise :class:`UnknownNameError` listing valid names."""
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(self.kind, name, self._items) from None

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def parse_list(self, text: str) -> list[str]:
        """Parse a comma-separated list of names (``"a,b"``; ``"all"`` = every name), validating each."""
        if text.strip() == "all":
            return self.names()
        names = [t.strip() for t in text.split(",") if t.strip()]
        if not names:
            raise ConfigError(f"empty list of {self.kind}s; valid {self.kind}s: {', '.join(self.names())}")
        for n in names:
            self.get(n)
        return names
