"""How far a worker's start-up work has come: what /ready reads (app.factory's lifespan does the work)."""

from __future__ import annotations

import threading


class StartUp:
    """A serving worker (app.main) warms up as it starts: it compiles its templates and builds its
    route table before its first request, then scores the nation beside its first requests and is
    not ready until that is done. An app built for tests or a command does none of it (`warms` is
    False), and /ready then does not wait for it: warm caches make pages faster, never different."""

    def __init__(self, *, warms: bool) -> None:
        self.warms = warms
        self._scores_cached = threading.Event()

    @property
    def warming(self) -> bool:
        """The worker is still scoring the nation into its cache."""
        return self.warms and not self._scores_cached.is_set()

    def scores_cached(self) -> None:
        """The scores are in the cache, or could not be put there: a cold cache is slower, not wrong."""
        self._scores_cached.set()
