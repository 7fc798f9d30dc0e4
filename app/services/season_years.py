"""Which years the season's menus link to: the pipeline to the latest cycle, the award list to the
latest cycle with an award (a 2025 cycle open beside a published 2024 list: the menu shows the
2024 list until the first 2025 award is fixed), and every cycle's year for the pages' year switcher.

Every page's top menu asks, so the answer is one query per engine, kept for `KEEP_SECONDS` in each
worker process: a new cycle or a cycle's first award shows in another worker's menu within that
time, and at once in the worker that made it (`forget`). A kab/kota page does not ask at all: it
links to its own cycle (`place.cycle`)."""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col

from app.models import Assessment, Cycle
from app.models.season import Award

KEEP_SECONDS = 60.0


@dataclass(frozen=True)
class SeasonYears:
    years: tuple[int, ...]  # every cycle's year, latest first
    with_awards: tuple[int, ...]  # the years with at least one award fixed, latest first
    published: tuple[int, ...]  # the years whose award list is published, latest first

    @property
    def latest(self) -> int | None:
        return self.years[0] if self.years else None

    @property
    def award_year(self) -> int | None:
        """The award list the menu opens: the latest with an award, else the latest cycle's."""
        return self.with_awards[0] if self.with_awards else self.latest


_kept: weakref.WeakKeyDictionary[Engine | Connection, tuple[float, SeasonYears]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def season_years(engine: Engine | Connection) -> SeasonYears:
    now = time.monotonic()
    with _lock:
        kept = _kept.get(engine)
    if kept is not None and now - kept[0] < KEEP_SECONDS:
        return kept[1]
    awarded = (sa_select(col(Assessment.cycle_id)).join(Award, col(Award.assessment_id) == col(Assessment.id))
               .distinct())
    query = (sa_select(col(Cycle.year), col(Cycle.id).in_(awarded), col(Cycle.published_at).is_not(None))
             .order_by(col(Cycle.year).desc()))
    if isinstance(engine, Engine):
        with engine.connect() as connection:
            rows = connection.execute(query).all()
    else:
        rows = engine.execute(query).all()
    years = SeasonYears(tuple(year for year, *_ in rows), tuple(year for year, has, _ in rows if has),
                        tuple(year for year, _, published in rows if published))
    with _lock:
        _kept[engine] = (now, years)
    return years


def forget(engine: Engine | Connection | None = None) -> None:
    """Ask again next time (a cycle was opened, an award fixed): for `engine`, or every engine."""
    with _lock:
        if engine is None:
            _kept.clear()
        else:
            _kept.pop(engine, None)



def forget_after_commit(session: Session) -> None:
    """`forget` once `session` commits what changes the years (a new cycle, an award): before the
    commit, another request would read and keep the old answer."""
    bind = session.get_bind()
    event.listen(session, "after_commit", lambda _session: forget(bind), once=True)
