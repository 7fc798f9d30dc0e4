"""Build the application from settings; nothing is built at import time."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles

from app import i18n
from app.config import Settings
from app.routes import catalogue, health, home
from indicators import load_catalogue
from scoring import Scorer

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
LANGUAGE_COOKIE = "kla_lang"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    # Fail fast: a broken instrument file must stop the start, not the first page view.
    instrument = load_catalogue(settings.catalogue_file)

    app = FastAPI(title="KLA", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.catalogue = instrument
    app.state.scorer = Scorer(instrument)

    @app.middleware("http")
    async def language(request: Request, call_next):
        asked = request.query_params.get("lang")
        chosen = i18n.choose_language(asked or request.cookies.get(LANGUAGE_COOKIE))
        token = i18n.current_language.set(chosen)
        try:
            response = await call_next(request)
        finally:
            i18n.current_language.reset(token)
        if asked in i18n.LANGUAGES:
            response.set_cookie(LANGUAGE_COOKIE, asked, max_age=365 * 24 * 3600, httponly=True, samesite="lax")
        return response

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(health.router)
    app.include_router(home.router)
    app.include_router(catalogue.router)
    return app
