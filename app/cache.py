"""Small per-process caches of what pages compute from assessments at one revision.

Entries are keyed by the engine (weakly: a test's or a restored database's
entries go with its engine) and by a key that contains `Assessment.revision`,
which every audited change bumps, or else everything the entry was made from.
So an entry is never invalidated: a change makes a new key, and the old entry
ages out of the least-recently-used order.
Each worker process has its own caches; they hold derived data only.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from markupsafe import Markup
from sqlalchemy.engine import Connection, Engine
from starlette.requests import Request

from app.i18n import current_language

T = TypeVar("T")
F = TypeVar("F")  # a fragment: Markup, or pieces of it (a list's skeleton)
CacheKey = tuple[Hashable, ...]
Bind = Engine | Connection  # what a session is bound to (`Session.get_bind()`): in this app, the engine


class RevisionCache:
    """Entries of any kind, per engine, least recently used out first. Each cache holds one kind
    of value; its `get` returns what its `compute` returns."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._by_engine: weakref.WeakKeyDictionary[Bind, OrderedDict[Hashable, Any]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, engine: Bind, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            entries = self._by_engine.get(engine)
            if entries is not None and key in entries:
                entries.move_to_end(key)
                return cast(T, entries[key])
        # Computed outside the lock: two requests may both compute the same entry, which is harmless.
        value = compute()
        self.put(engine, key, value)
        return value

    def peek(self, engine: Bind, key: Hashable) -> Any:
        """The entry for `key`, or None."""
        with self._lock:
            entries = self._by_engine.get(engine)
            if entries is None or key not in entries:
                return None
            entries.move_to_end(key)
            return entries[key]

    def put(self, engine: Bind, key: Hashable, value: object) -> None:
        with self._lock:
            entries = self._by_engine.setdefault(engine, OrderedDict())
            entries[key] = value
            entries.move_to_end(key)
            while len(entries) > self.size:
                entries.popitem(last=False)

    def count(self, engine: Bind) -> int:
        """How many entries the cache holds for this engine."""
        with self._lock:
            return len(self._by_engine.get(engine, ()))

    def clear(self) -> None:
        with self._lock:
            self._by_engine.clear()


class FragmentCache:
    """Rendered HTML fragments (a table, a list row) kept per process.

    The key's common parts are added here, never by hand: the root path the links were built
    under, the UI language, the catalogue, and the assessment's id and revision when the fragment
    shows an assessment. The caller names only what else the fragment is made from; a value a
    template shows must come from those parts or from the revision, or the cache serves stale HTML.
    """

    def __init__(self, size: int) -> None:
        self._entries = RevisionCache(size)

    @staticmethod
    def key_for(root_path: str, language: str, *parts: Hashable, catalogue: object = None,
                assessment: object = None) -> CacheKey:
        """The key of a fragment rendered under `root_path` in `language`."""
        common: CacheKey = (root_path, language, id(catalogue))
        if assessment is not None:
            common += (getattr(assessment, "id", None), getattr(assessment, "revision", None))
        return common + parts

    @classmethod
    def key(cls, request: Request, *parts: Hashable, catalogue: object = None,
            assessment: object = None) -> CacheKey:
        return cls.key_for(request.scope.get("root_path", ""), current_language.get(), *parts,
                           catalogue=catalogue, assessment=assessment)

    def get(self, request: Request, parts: CacheKey, render: Callable[[], F], *,
            catalogue: object = None, assessment: object = None) -> F:
        """The fragment `render` makes for these parts, rendered only when not kept."""
        key = self.key(request, *parts, catalogue=catalogue, assessment=assessment)
        return self._entries.get(_engine(request), key, render)

    def get_at(self, engine: Engine, root_path: str, parts: CacheKey, render: Callable[[], F], *,
               catalogue: object = None, assessment: object = None) -> F:
        """`get` outside a request (a worker's warm-up), for links built under `root_path`, in the
        current language."""
        key = self.key_for(root_path, current_language.get(), *parts, catalogue=catalogue, assessment=assessment)
        return self._entries.get(engine, key, render)

    def peek(self, request: Request, parts: CacheKey, *, catalogue: object = None,
             assessment: object = None) -> Markup | None:
        key = self.key(request, *parts, catalogue=catalogue, assessment=assessment)
        found: Markup | None = self._entries.peek(_engine(request), key)
        return found

    def put(self, request: Request, parts: CacheKey, value: Markup, *, catalogue: object = None,
            assessment: object = None) -> None:
        key = self.key(request, *parts, catalogue=catalogue, assessment=assessment)
        self._entries.put(_engine(request), key, value)

    def count(self, engine: Engine) -> int:
        """How many fragments are kept for this engine (for tests of what is cached)."""
        return self._entries.count(engine)

    def clear(self) -> None:
        self._entries.clear()


def _engine(request: Request) -> Engine:
    """The app's engine: entries go with it (a test's, a restored database's)."""
    engine: Engine = request.app.state.engine
    return engine
