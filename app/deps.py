"""FastAPI dependencies: the database session, the current user and the guards.

Guards answer before the handler runs: 401 (log in), 403 (not yours) or 404.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Literal, NoReturn, cast

from fastapi import Depends, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import and_, bindparam, join, or_
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col
from starlette.datastructures import FormData

from app import access
from app.config import Settings
from app.evidence import EvidenceStore
from app.i18n import gettext as _
from app.models import Agency, Assessment, Cycle, FieldTeamMember, Regency, Role, User, UserSession, utcnow
from app.services.sessions import COOKIE_KEY, token_key
from app.startup import StartUp
from indicators import Catalogue
from scoring import Scorer, Stage


class LoginRequired(Exception):
    """No valid session: pages redirect to the login form, htmx gets HX-Redirect."""


# What the app is built with (app.factory puts it on app.state): routes ask for it here instead of
# reaching into the app. Dependencies that do no blocking work are `async def`: FastAPI runs a plain
# `def` dependency in the thread pool, a hop that costs more than the check itself on every request.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_store(request: Request) -> EvidenceStore:
    store: EvidenceStore = request.app.state.evidence
    return store


async def get_start_up(request: Request) -> StartUp:
    start_up: StartUp = request.app.state.start_up
    return start_up


async def get_catalogue(request: Request) -> Catalogue:
    catalogue: Catalogue = request.app.state.catalogue
    return catalogue


async def get_scorer(request: Request) -> Scorer:
    scorer: Scorer = request.app.state.scorer
    return scorer


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
StoreDep = Annotated[EvidenceStore, Depends(get_store)]
StartUpDep = Annotated[StartUp, Depends(get_start_up)]
CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
ScorerDep = Annotated[Scorer, Depends(get_scorer)]


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work, and the one place its commit policy is kept:

    - services never commit: they add, change and `flush()` (to get ids, or to let a constraint
      speak), and write their audit entries in the same session;
    - the route commits once, after its last service call, before it renders its answer;
    - anything that ends the request before that commit (a refusal, a 404, a bug) leaves nothing
      written, and so does a refusal the route catches and renders without committing.

    The rollback is the session's close, as the request leaves this `with`: the transaction ends
    uncommitted and the connection goes back to the pool, which rolls it back (the engine's
    `pool_reset_on_return`, "rollback" by default). Not `session.rollback()` on an exception: it
    would expire every loaded object, and the error page still shows the signed-in user.
    Creating a session opens no connection; the first query does, in the (threaded) handler.
    The session closes after the response is sent (FastAPI's default scope of a yield dependency),
    or as an exception passes through here on its way to the error page.
    It reads the engine itself rather than through `get_engine`: one dependency less on every request."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def read_form(request: Request) -> FormData:
    """The parsed form, read once on the event loop so that handlers can be plain `def`
    and do their database work in the thread pool instead of blocking every connection.
    NUL characters are dropped: PostgreSQL refuses them in text, and nobody types one."""
    form = await request.form()
    if any(isinstance(value, str) and "\x00" in value for _key, value in form.multi_items()):
        form = FormData([(key, value.replace("\x00", "") if isinstance(value, str) else value)
                         for key, value in form.multi_items()])
    return form


FormDep = Annotated[FormData, Depends(read_form)]

MAX_ID = 2**31 - 1  # PostgreSQL's integer: a larger id is no row, not an error
# Path parameters that name rows and regions. Anything else is no page (404), rather than a query
# that cannot run (an id past the database's integer, a NUL that PostgreSQL refuses in text).
RegencyCode = Annotated[str, Path(pattern=r"^[0-9]{2}\.[0-9]{2}$")]
ProvinceCode = Annotated[str, Path(pattern=r"^[0-9]{2}$")]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]


# Every request runs these: built once (building a statement costs more CPU than running it).
# The user comes with the session that names it (app.services.sessions): a logged-out, expired or
# ended session, an inactive account or an account of an inactive agency finds no row.
_sessions, _agencies = sa_inspect(UserSession).local_table, sa_inspect(Agency).local_table
_SIGNED_IN = and_(_sessions.c.id == bindparam("sid"), _sessions.c.expires_at > bindparam("now"), col(User.active),
                  or_(col(User.agency_id).is_(None), _agencies.c.active))
_USER = (sa_select(User).select_from(User).join(_sessions, _sessions.c.user_id == User.id)
         .outerjoin(_agencies, _agencies.c.id == User.agency_id).where(_SIGNED_IN))
_regencies, _cycles = sa_inspect(Regency).local_table, sa_inspect(Cycle).local_table
_assessments = sa_inspect(Assessment).local_table
# Joined on the tables: an ORM join here would not stay in parentheses inside the outer join.
_PLACE = (join(_regencies, _assessments, _assessments.c.regency_code == _regencies.c.code)
          .join(_cycles, _cycles.c.id == _assessments.c.cycle_id))
_IS_PLACE = and_(_regencies.c.code == bindparam("regency_code"), _cycles.c.year == bindparam("year"))
_USER_AND_PLACE = (sa_select(User, Regency, Cycle, Assessment).select_from(User)
                   .join(_sessions, _sessions.c.user_id == User.id)
                   .outerjoin(_agencies, _agencies.c.id == User.agency_id)
                   .outerjoin(_PLACE, _IS_PLACE).where(_SIGNED_IN))
_PLACE_ALONE = sa_select(Regency, Cycle, Assessment).select_from(_PLACE).where(_IS_PLACE)


def _signed_in(request: Request) -> dict[str, object] | None:
    """The query parameters naming this request's session, or None: no session cookie."""
    key = token_key(request.session.get(COOKIE_KEY))
    return {"sid": key, "now": utcnow()} if key is not None else None


def _load_user(request: Request, session: Session) -> User | None:
    """The signed-in user, checked against the database on every request (logout, a password
    change, a deactivation end sessions at once); kept on request.state."""
    params = _signed_in(request)
    user = session.execute(_USER, params).scalar() if params is not None else None
    return _check_user(request, user)


def _check_user(request: Request, user: User | None) -> User | None:
    if user is None:
        for key in (COOKIE_KEY, "uid"):
            request.session.pop(key, None)
    request.state.user = user
    return user


def _loaded_user(request: Request) -> User | None | Literal[False]:
    """The user this request has already loaded (None: nobody signed in), or False: not yet."""
    return cast("User | None | Literal[False]", getattr(request.state, "user", False))


async def get_optional_user(request: Request, session: SessionDep) -> User | None:
    # get_place loads the user in the same thread-pool hop as the place: under load every
    # hop is one more wait for the interpreter lock.
    user = _loaded_user(request)
    return await run_in_threadpool(_load_user, request, session) if user is False else user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


async def get_current_user(user: OptionalUser) -> User:
    if user is None:
        raise LoginRequired()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


@dataclass
class Place:
    """The assessment a request is about, resolved from /r/{regency}/{year}."""

    regency: Regency
    cycle: Cycle
    assessment: Assessment


def get_place(
    request: Request,
    session: SessionDep,
    regency_code: RegencyCode,
    year: Annotated[int, Path(ge=2000, le=2100)],
) -> Place:
    user = _loaded_user(request)
    if user is not False:  # a dependency before this one has checked the user already
        if user is None:
            raise LoginRequired()
        return find_place(session, regency_code, year)
    # The user and the place in one round trip: every page and save of a kab/kota starts here.
    params = _signed_in(request)
    row = None
    if params is not None:
        row = session.execute(_USER_AND_PLACE, {**params, "regency_code": regency_code, "year": year}).first()
    user = _check_user(request, row[0] if row is not None else None)
    if row is None or user is None:
        raise LoginRequired()
    if row[1] is None:
        raise HTTPException(404)
    return Place(*row[1:])


def find_place(session: Session, regency_code: str, year: int) -> Place:
    row = session.execute(_PLACE_ALONE, {"regency_code": regency_code, "year": year}).first()
    if row is None:
        raise HTTPException(404)
    return Place(*row)


async def get_work_place(place: Annotated[Place, Depends(get_place)], user: CurrentUser) -> Place:
    if not access.may_work_in(user, place.regency.code):
        raise HTTPException(403)
    return place


async def get_admin_place(place: Annotated[Place, Depends(get_place)], user: CurrentUser) -> Place:
    if not access.may_administer(user, place.regency.code):
        raise HTTPException(403)
    return place


def on_team(session: Session, assessment: Assessment, user: User) -> bool:
    """Whether `user` is a field verifier on the team of this assessment (one indexed look-up, made
    only for verifiers: for every other role the answer is no without asking)."""
    if user.role != Role.VERIFIER:
        return False
    return session.exec(sa_select(FieldTeamMember.id).where(  # type: ignore[call-overload]
        col(FieldTeamMember.assessment_id) == assessment.id, col(FieldTeamMember.user_id) == user.id)).first() is not None


async def team_of(session: Session, place: Place, user: User) -> bool:
    """`on_team` from an async guard: the thread-pool hop only for a verifier (the guards of every
    other role stay on the event loop, as they do no blocking work)."""
    return user.role == Role.VERIFIER and await run_in_threadpool(on_team, session, place.assessment, user)


async def get_review_place(place: Annotated[Place, Depends(get_place)], user: CurrentUser,
                           session: SessionDep) -> Place:
    if not access.may_review(user, place.regency.code, place.regency.province_code, place.assessment.stage,
                             await team_of(session, place, user)):
        _refuse_review(place, user)
    return place


async def get_history_place(place: Annotated[Place, Depends(get_place)], user: CurrentUser,
                            session: SessionDep) -> Place:
    regency = place.regency
    if not (access.may_work_in(user, regency.code)
            or access.may_review(user, regency.code, regency.province_code, place.assessment.stage,
                                 await team_of(session, place, user))):
        _refuse_review(place, user)
    return place


def _refuse_review(place: Place, user: User) -> NoReturn:
    """403; a verifier of the region learns why: the kab/kota has not handed its work over yet."""
    regency = place.regency
    if (user.role in (Role.PROVINCE, Role.ADMIN) and place.assessment.stage == Stage.SELF
            and access.may_oversee(user, regency.code, regency.province_code)):
        raise HTTPException(403, _("%(name)s has not submitted its self-assessment yet: its answers and scores "
                                   "stay with the kab/kota until its DP3A submits them.") % {"name": regency.name})
    if (access.reviews_province(user, regency.province_code)
            and place.assessment.stage in (Stage.SELF, Stage.PROVINCE)):  # the ministry's reviewer, too early
        raise HTTPException(403, _("%(name)s is still with its province: the ministry reviews it once the province "
                                   "hands it on.") % {"name": regency.name})
    raise HTTPException(403)


WorkPlace = Annotated[Place, Depends(get_work_place)]
AdminPlace = Annotated[Place, Depends(get_admin_place)]
ReviewPlace = Annotated[Place, Depends(get_review_place)]
HistoryPlace = Annotated[Place, Depends(get_history_place)]


def agency_filter(opd: str | None) -> int | None:
    """The `?opd=` filter of a list page as an agency id; anything but a plain id means no filter.
    ASCII digits only: str.isdigit() also accepts "²", which int() refuses."""
    if not opd or len(opd) > 10 or not (opd.isascii() and opd.isdigit()):
        return None
    return int(opd) if 0 < int(opd) <= MAX_ID else None


def agency_in(session: Session, place: Place, agency_id: int) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None or agency.regency_code != place.regency.code:
        raise HTTPException(404)
    return agency

