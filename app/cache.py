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
from typing import TypeVar

from sqlalchemy.engine import Engine

T = TypeVar("T")


class RevisionCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self._by_engine: weakref.WeakKeyDictionary[Engine, OrderedDict] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, engine: Engine, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            entries = self._by_engine.get(engine)
            if entries is not None and key in entries:
                entries.move_to_end(key)
                return entries[key]
        # Computed outside the lock: two requests may both compute the same entry, which is harmless.
        value = compute()
        self.put(engine, key, value)
        return value

    def peek(self, engine: Engine, key: Hashable):
        """The entry for `key`, or None."""
        with self._lock:
            entries = self._by_engine.get(engine)
            if entries is None or key not in entries:
                return None
            entries.move_to_end(key)
            return entries[key]

    def put(self, engine: Engine, key: Hashable, value) -> None:
        with self._lock:
            entries = self._by_engine.setdefault(engine, OrderedDict())
            entries[key] = value
            entries.move_to_end(key)
            while len(entries) > self.size:
                entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._by_engine.clear()
