"""Build the application from settings; nothing is built at import time."""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
from collections.abc import AsyncIterator, Iterable
from http import HTTPStatus

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool  # issue 25, tus
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from markupsafe import escape
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, NoMatchFound
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import i18n
from app.admission import AdmissionLimit
from app.config import Settings
from app.csrf import CsrfRejected, csrf_protect
from app.db import make_engine
from app.deps import LoginRequired
from app.evidence import EvidenceStore, UploadSizeLimit
from app.i18n import gettext as _
from app.loopback import LoopbackOnly
from app.request_log import RequestLog, configure_logging
from app.routes import (
    accounts,
    administration,
    answers,
    award,
    cycles,
    dashboard,
    evidence,
    exports,
    field,
    final,
    handoff_marks,
    handover,
    health,
    history,
    home,
    library,
    meeting_edits,  # a meeting's edit, taking a document out, removal
    ministry_accounts,
    national_export,
    province,
    recommendations,
    review,
    season_views,
    tus,
    workspace,
)
from app.routes import areas as areas_routes
from app.routes import catalogue as catalogue_page
from app.routes import handoff as handoff_routes
from app.routes import meetings as meetings_routes
from app.routes import notices as notices_routes
from app.routes import offline as offline_routes  # issue 25, offline: the service worker (/sw.js)
from app.routes import rad as rad_routes
from app.routes import taskforce as taskforce_routes
from app.routes import taskforce_cluster as taskforce_cluster_routes
from app.routes.api import build_api
from app.routes.workspace import warm_question_rows
from app.security_headers import SecurityHeaders, headers_for
from app.services import overview, sessions
from app.startup import StartUp
from app.static_assets import StaticApp, assets
from app.templating import compile_all, is_partial, render, templates
from app.templating import env as templating_env
from app.tus import expiry as tus_expiry  # issue 25, tus
from app.tus import protocol as tus_protocol  # issue 25, tus
from app.tus.protocol import TusHeaders  # issue 25, tus
from indicators import Catalogue, load_catalogue
from scoring import Scorer

LANGUAGE_COOKIE = "kla_lang"
API_PREFIX = "/api/v1"


def prepare_worker(app: FastAPI) -> None:
    """Work a worker would otherwise do inside its first requests (~0.4 s of CPU for the first
    workspace page, while every request beside it waits): compile every template (a broken one
    then stops the start instead of a user's page), and let FastAPI build its table of routes,
    which it does router by router as links are first looked up by name: a name that no route
    has makes it go through all of them; and render the workspace's rows of unanswered questions,
    the same in every kab/kota (~30 ms of a first list otherwise); the translation catalogues are
    compiled first. Speed only: without it, each
    template compiles and each row renders when a page first needs it."""
    i18n.load_translations()
    compile_all()
    assets.all()  # issue 25, budget: read and gzip every static file once, before the first page names one
    with contextlib.suppress(NoMatchFound):
        app.url_path_for("-warm-up-")
    warm_question_rows(app.state.engine, app.state.catalogue)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """A serving worker's start (`create_app(warm_up=True)`, as app.main does), before the server
    lets the first request in: `prepare_worker`, then the nation's scores in a thread beside the
    first requests; /ready answers 503 until they are cached, so that a proxy sends no one to a
    worker whose first national view would take seconds. An app that does not warm up starts
    with nothing to do (the tests: a TestClient runs the lifespan only as a context manager)."""
    start_up: StartUp = app.state.start_up
    # issue 25, tus: abandoned resumable uploads go at every start too (an installation without a runner)
    await run_in_threadpool(tus_expiry.at_start, app.state.engine, app.state.settings)
    if start_up.warms:
        prepare_worker(app)
        # Everything loaded by now (the instrument, templates, modules) lives as long as the process:
        # keep it out of the collector's way so that full collections stay short under load.
        gc.collect()
        gc.freeze()
        threading.Thread(target=_cache_scores, args=(app,), name="kla-warm-up", daemon=True).start()
    yield


def _cache_scores(app: FastAPI) -> None:
    try:
        overview.warm_up(app.state.engine, app.state.scorer)
    except Exception as exc:  # a cold cache is slower, not wrong: it must never keep a worker from serving
        logging.getLogger("kla").warning("scores not warmed up at start (%s: %s)", type(exc).__name__, exc)
    finally:
        app.state.start_up.scores_cached()


def create_app(settings: Settings | None = None, catalogue: Catalogue | None = None, *,
               warm_up: bool = False) -> FastAPI:
    """`catalogue` lets tests share one loaded instrument; normally it is read from the settings.
    `warm_up`: a serving worker warms up in its `lifespan`; tests and commands leave it out."""
    settings = settings or Settings()
    # Fail fast: a broken instrument file must stop the start, not the first page view.
    instrument = catalogue or load_catalogue(settings.catalogue_file)

    app = FastAPI(
        title="KLA",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(csrf_protect)],
        lifespan=lifespan,
    )
    configure_logging(settings.log_level)
    app.state.settings = settings
    app.state.catalogue = instrument
    app.state.scorer = Scorer(instrument)
    app.state.engine = make_engine(settings.resolved_database_url, connections=settings.active_requests)
    app.state.evidence = EvidenceStore(settings.evidence_dir, settings.max_upload_bytes)
    app.state.start_up = StartUp(warms=warm_up)

    # Templates are read once; only development picks up edits without a restart.
    templating_env.auto_reload = settings.environment == "development"
    assets.reload = settings.environment == "development"  # issue 25, budget: static files alike
    app.add_middleware(LanguageMiddleware)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="kla_session",
        max_age=settings.session_hours * 3600,
        same_site="lax",
        https_only=settings.deployed,
    )
    app.add_middleware(UploadSizeLimit, max_bytes=settings.max_upload_bytes)
    app.add_middleware(TusHeaders)  # issue 25, tus: Tus-Resumable on every /tus/ answer, the 413 above included
    app.add_middleware(SecurityHeaders, hsts=settings.deployed)
    app.add_middleware(RequestLog)
    app.add_middleware(AdmissionLimit, limit=settings.active_requests)  # outermost: waiting costs nothing
    if settings.uses_development_secret:  # config refuses it outside development and test
        app.add_middleware(LoopbackOnly)
    _add_error_pages(app, hsts=settings.deployed)

    # issue 25, budget: versioned names, a year in the cache, gzipped once (app/static_assets.py).
    app.mount("/static", StaticApp(assets), name="static")
    api = build_api()
    api.state = app.state  # one engine, catalogue and settings for pages and API
    app.state.api = api
    app.mount(API_PREFIX, api, name="api")
    for module in (health, home, accounts, catalogue_page, workspace, answers, evidence, review, dashboard, history,
                   province, cycles, exports, administration, recommendations, final, award, field, handover,
                   ministry_accounts, season_views,
                   library):
        app.include_router(module.router)
    app.include_router(areas_routes.router)  # issue 23: Kelana/Dekela from the source
    app.include_router(handoff_routes.router)
    app.include_router(handoff_marks.router)  # issue 23: the "sudah diunggah" checklist and Nilai EM
    # The Gugus Tugas (its hub, the coordinators' desk, meetings, the RAD KLA), e-mail settings and the
    # admin's list of jobs, the national workbook asked for here and built by the job runner (issue 24).
    for module in (taskforce_routes, taskforce_cluster_routes, meetings_routes, meeting_edits, rad_routes,
                   notices_routes, national_export):
        app.include_router(module.router)
    app.include_router(tus.router)  # issue 25, tus: resumable uploads (the tus protocol at /tus/)
    app.include_router(offline_routes.router)  # issue 25, offline: /sw.js, offline work in the workspace
    return app


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every page endpoint of the app, flattening included routers (FastAPI keeps them nested).

    The JSON API is a mounted app of its own: `app.state.api`, under API_PREFIX.
    """
    found: list[APIRoute] = []

    def walk(routes: Iterable[BaseRoute]) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                found.append(route)
            elif hasattr(route, "original_router"):  # an included router
                walk(route.original_router.routes)

    walk(app.routes)
    return found


class LanguageMiddleware:
    """Pick the UI language per request (?lang=, then the cookie) into a context variable.

    Pure ASGI rather than @app.middleware("http"), which costs a task per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        asked = request.query_params.get("lang")
        chosen = i18n.choose_language(asked or request.cookies.get(LANGUAGE_COOKIE))
        remember = asked in i18n.LANGUAGES

        async def send_with_cookie(message: Message) -> None:
            if remember and message["type"] == "http.response.start":
                cookie = f"{LANGUAGE_COOKIE}={asked}; Max-Age={365 * 24 * 3600}; Path=/; HttpOnly; SameSite=lax"
                message.setdefault("headers", []).append((b"set-cookie", cookie.encode("latin-1")))
            await send(message)

        token = i18n.current_language.set(chosen)
        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            i18n.current_language.reset(token)


def _add_error_pages(app: FastAPI, *, hsts: bool) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        target = "/masuk?next=" + request.url.path
        if request.headers.get("HX-Request") == "true":
            return HTMLResponse("", status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, _exc: CsrfRejected) -> Response:
        if request.url.path.startswith(tus_protocol.PREFIX + "/"):
            # The upload client shows what it is told as text: plain words, not the error page. Most often
            # the session ended in another tab (logged out): the page's token is then stale.
            if not request.session.get(sessions.COOKIE_KEY):
                return tus_protocol.plain(401, _("Your session has ended. Sign in again; the upload can continue."))
            return tus_protocol.plain(403, _("This page has expired. Reload it and choose the file again; "
                                             "the upload continues where it stopped."))
        message = _("This form has expired or came from another site. Reload the page and try again; "
                    "what you typed is still in the form.")
        return _error(request, 403, message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {
            403: _("You do not have access to this page or this region."),
            404: _("The page you asked for does not exist."),
            405: _("This address does not accept that kind of request."),
            413: _("The file is too large."),
        }
        # A route's own explanation wins; Starlette's default detail is the bare HTTP phrase ("Forbidden").
        try:
            default = HTTPStatus(exc.status_code).phrase
        except ValueError:
            default = None
        message = exc.detail if isinstance(exc.detail, str) and exc.detail != default else None
        return _error(request, exc.status_code, message or messages.get(exc.status_code, _("Something went wrong.")))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        """A page's parameters FastAPI could not read: a person gets a page, not FastAPI's JSON (the
        JSON API under API_PREFIX is an app of its own and keeps its JSON answers)."""
        if any(error.get("loc", ("",))[0] == "path" for error in exc.errors()):
            # A malformed id, code or year in the address names no page.
            return _error(request, 404, _("The page you asked for does not exist."))
        return _error(request, 422, _("Something in the address or the form is not valid. Go back, check what "
                                      "you entered and try again."))

    async def server_error(request: Request, _exc: Exception) -> Response:
        """The page for a failure nobody foresaw. Starlette sends it from ServerErrorMiddleware, outside
        every middleware of the app: the language, the session and the security headers are not there."""
        language = i18n.choose_language(request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE))
        token = i18n.current_language.set(language)
        request.scope.setdefault("router", app.router)  # the page's links, when it failed before routing
        response: Response
        try:
            message = _("Something went wrong on our side. What you saved before is kept; reload the page "
                        "and try again, and tell your administrator if it happens again.")
            fragment = f'<p class="error" role="alert">{_escape(message)}</p>'
            if is_partial(request):
                response = HTMLResponse(fragment, status_code=500,
                                        headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"})
            else:
                try:
                    response = templates.TemplateResponse(
                        request, "error.html", {"status": 500, "message": message, "user": None, "csrf_token": "",
                                                "flash": None}, status_code=500)
                except Exception:  # the page itself is what broke: the message alone, still a page
                    response = HTMLResponse(f'<!doctype html><html lang="{language}"><title>500</title>{fragment}'
                                            "</html>", status_code=500)
        finally:
            i18n.current_language.reset(token)
        response.headers.update(headers_for(request.url.path, hsts=hsts))
        return response

    # Registered for Exception, Starlette hands it to ServerErrorMiddleware (which still re-raises the
    # exception afterwards, so the server logs it).
    app.add_exception_handler(Exception, server_error)


def _error(request: Request, status: int, message: str) -> Response:
    if is_partial(request):
        return HTMLResponse(
            f'<p class="error" role="alert">{_escape(message)}</p>',
            status_code=status,
            headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"},
        )
    page: Response = render(request, "error.html", {"status": status, "message": message}, status_code=status)
    return page


def _escape(text: str) -> str:
    return str(escape(text))
