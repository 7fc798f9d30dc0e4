"""Liveness (/health: the process answers) and readiness (/ready: database, schema, evidence store,
the worker's score cache)."""

from __future__ import annotations

import os

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.deps import CatalogueDep, EngineDep, SettingsDep, StartUpDep
from app.migrate import revisions, schema_state

router = APIRouter(tags=["health"])


@router.api_route("/health", methods=["GET", "HEAD"], name="health")  # HEAD: what uptime monitors send
def health(catalogue: CatalogueDep) -> dict[str, str | int]:
    return {"status": "ok", "instrument": catalogue.data.instrument.code, "questions": len(catalogue.questions)}


@router.api_route("/ready", methods=["GET", "HEAD"], name="ready")
def ready(settings: SettingsDep, engine: EngineDep, start_up: StartUpDep) -> JSONResponse:
    """Ready to serve: the database answers at the newest schema, the evidence store is writable and
    (in a worker that warms up, app.main's) the scores are cached."""
    checks: dict[str, str] = {}
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current, head = revisions(connection, settings.resolved_database_url)
        checks["database"] = "ok"
        checks["schema"] = _schema_check(settings.resolved_database_url, current, head)
    except Exception as exc:  # readiness reports, it does not crash
        checks["database"] = f"unreachable: {type(exc).__name__}"
    store = settings.evidence_dir
    try:
        store.mkdir(parents=True, exist_ok=True)
        checks["evidence"] = "ok" if os.access(store, os.W_OK) else "not writable"
    except OSError as exc:
        checks["evidence"] = f"unavailable: {exc.strerror}"
    if start_up.warms:
        checks["scores"] = "warming up" if start_up.warming else "ok"
    healthy = all(value == "ok" for value in checks.values())
    return JSONResponse({"status": "ok" if healthy else "not ready", "checks": checks},
                        status_code=200 if healthy else 503)


def _schema_check(url: str, current: str | None, head: str) -> str:
    state = schema_state(url, current, head)
    if state == "newer":
        return f"at {current}, newer than this version of the app ({head}): run the version that upgraded it"
    return "ok" if state == "ok" else f"at {current}, expected {head}: run kla db upgrade"
