"""app.cache.FragmentCache: one key for a fragment, whether a request or a warm-up makes it."""

from __future__ import annotations

from types import SimpleNamespace

from markupsafe import Markup
from starlette.requests import Request

from app.cache import FragmentCache
from app.i18n import current_language


def _request(app, root_path: str = "") -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b"",
                    "root_path": root_path, "app": app})


def test_a_fragment_put_outside_a_request_is_found_by_the_request_it_was_made_for(app, catalogue):
    cache = FragmentCache(8)
    assessment = SimpleNamespace(id=3, revision=7)
    token = current_language.set("en")
    try:
        cache.get_at(app.state.engine, "/kla", ("row", "Q1"), lambda: Markup("<li>warm</li>"), catalogue=catalogue,
                     assessment=assessment)
        never = lambda: Markup("<li>rendered again</li>")  # noqa: E731
        assert cache.get(_request(app, "/kla"), ("row", "Q1"), never, catalogue=catalogue,
                         assessment=assessment) == "<li>warm</li>"
        # Anything else in the key's common parts is another fragment.
        assert cache.peek(_request(app), ("row", "Q1"), catalogue=catalogue, assessment=assessment) is None
        assert cache.peek(_request(app, "/kla"), ("row", "Q1"), catalogue=catalogue,
                          assessment=SimpleNamespace(id=3, revision=8)) is None
    finally:
        current_language.reset(token)
    token = current_language.set("id")
    try:
        assert cache.peek(_request(app, "/kla"), ("row", "Q1"), catalogue=catalogue, assessment=assessment) is None
    finally:
        current_language.reset(token)
    assert cache.count(app.state.engine) == 1
