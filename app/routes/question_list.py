"""The workspace's list of questions as HTML, from three caches of fragments.

A whole list is kept per assessment revision and the codes it shows. After a change (a new
revision) it is put together again from its skeleton (the part and indicator headings of a list of
codes, laid out once per language) and its rows, which are the same in every kab/kota (the link to
a card is relative to the list's page): a row is rendered once per worker for the whole nation, and
a list after a save is one join, not a template run over 274 questions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from sqlalchemy.engine import Engine
from starlette.requests import Request

from app.cache import FragmentCache
from app.i18n import LANGUAGES, current_language
from app.templating import env as templating_env
from indicators import Catalogue
from indicators.models import Question

_question_lists = FragmentCache(size=128)
_question_rows = FragmentCache(size=20_000)  # ~1 KB each
_question_skeletons = FragmentCache(size=256)  # per list of codes (an agency's, all) and language

# A skeleton: the headings' HTML with the questions whose rows go between them, in order.
Skeleton = tuple[Markup | Question, ...]


@dataclass
class ListState:
    """What the rows of a list show besides the instrument: answers (rows or ORM objects with the
    same attributes), file counts per answer id, points per question and the coordinators' marks."""

    answers: Mapping[str, Any] = field(default_factory=dict)
    evidence: Mapping[int | None, int] = field(default_factory=dict)
    points: Mapping[str, int] = field(default_factory=dict)
    # Whose decision an answer's status is, where a cluster coordinator's (`coordination.coordinator_marks`).
    marks: Mapping[str, str] = field(default_factory=dict)


def question_list(request: Request, catalogue: Catalogue, assessment: object, codes: list[str],
                  state: ListState) -> Markup:
    """The list of `codes` of this assessment at its revision, under their part and indicator headings."""
    return _question_lists.get(request, (tuple(codes),), lambda: _join(request, catalogue, codes, state),
                               catalogue=catalogue, assessment=assessment)


def _join(request: Request, catalogue: Catalogue, codes: list[str], state: ListState) -> Markup:
    skeleton = _question_skeletons.get(request, (tuple(codes),), lambda: _skeleton(catalogue, codes),
                                       catalogue=catalogue)
    row = question_row(request.app.state.engine, request.scope.get("root_path", ""), catalogue, state)
    return Markup("").join(piece if isinstance(piece, Markup) else row(piece) for piece in skeleton)


def _skeleton(catalogue: Catalogue, codes: list[str]) -> Skeleton:
    macros: Any = templating_env.get_template("workspace/_questions.html").module  # its macros, by name
    pieces: list[Markup | Question] = []
    part = indicator = None  # the codes of the part and indicator whose headings came last
    for code in codes:
        ref = catalogue.questions[code]
        if ref.part.code != part:
            if indicator is not None:
                pieces.append(Markup(macros.indicator_end()))
            if part is not None:
                pieces.append(Markup(macros.part_end()))
            part, indicator = ref.part.code, None
            pieces.append(Markup(macros.part_start(ref.part)))
        if ref.indicator.code != indicator:
            if indicator is not None:
                pieces.append(Markup(macros.indicator_end()))
            indicator = ref.indicator.code
            pieces.append(Markup(macros.indicator_start(ref.indicator)))
        pieces.append(ref.question)
    if part is None:
        return (Markup(macros.no_questions()),)
    pieces += [Markup(macros.indicator_end()), Markup(macros.part_end())]
    return tuple(pieces)


def question_row(engine: Engine, root_path: str, catalogue: Catalogue,
                 state: ListState) -> Callable[[Question], Markup]:
    """`row(question)`: its HTML from the row cache, rendered on a miss."""
    render_row = templating_env.get_template("workspace/_question_row.html").module.row  # type: ignore[attr-defined]

    def row(q: Question) -> Markup:
        a = state.answers.get(q.code)
        files = state.evidence.get(a.id, 0) if a else 0
        points = state.points.get(q.code, 0)
        mark = state.marks.get(q.code)
        # Everything the row shows, so that the key alone decides whether the cached HTML is right.
        shown = (a.status, a.option, a.value, a.not_applicable) if a else None
        return _question_rows.get_at(engine, root_path, (q.code, shown, files, points, mark),
                                     lambda: Markup(render_row(q, a, files, points, mark)), catalogue=catalogue)

    return row


def warm_question_rows(engine: Engine, catalogue: Catalogue, root_path: str = "") -> int:
    """Render every question's row as it stands before anyone answers, in every language: the
    rows most of a list shows, so that no kab/kota's first list pays for them. Returns how many."""
    count = 0
    for language in LANGUAGES:
        token = current_language.set(language)
        try:
            row = question_row(engine, root_path, catalogue, ListState())
            for ref in catalogue.questions.values():
                row(ref.question)
                count += 1
        finally:
            current_language.reset(token)
    return count
