"""The commit policy's mechanism (app.deps.get_session): services never commit, the route commits
once, and a request that ends before that commit leaves nothing written."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.deps import SessionDep
from app.models import Province


def _routes() -> APIRouter:
    router = APIRouter()

    @router.get("/-test-/fails-after-writing")
    def fails(session: SessionDep) -> None:
        session.add(Province(code="97", name="Tidak jadi"))
        session.flush()  # what a service does: written to the transaction, not committed
        raise RuntimeError("a bug after the service call")

    @router.get("/-test-/refused-after-writing")
    def refused(session: SessionDep) -> None:
        session.add(Province(code="98", name="Ditolak"))
        session.flush()
        raise HTTPException(409)

    @router.get("/-test-/forgets-to-commit")
    def forgets(session: SessionDep) -> dict[str, str]:
        session.add(Province(code="96", name="Lupa"))
        session.flush()
        return {"status": "ok"}

    @router.get("/-test-/commits")
    def commits(session: SessionDep) -> dict[str, str]:
        session.add(Province(code="99", name="Tersimpan"))
        session.flush()
        session.commit()
        return {"status": "ok"}

    return router


def test_only_what_the_route_commits_is_written(app, engine):
    app.include_router(_routes())
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/-test-/fails-after-writing").status_code == 500
        assert client.get("/-test-/refused-after-writing").status_code == 409
        assert client.get("/-test-/forgets-to-commit").status_code == 200
        assert client.get("/-test-/commits").status_code == 200
    with Session(engine) as session:
        assert session.exec(select(Province.code)).all() == ["99"]
