"""Health, readiness and the evidence check."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from sqlmodel import Session, select

from app.cli import main as cli
from app.models import Answer, User
from app.services.answers import AnswerInput, save_answer
from app.services.demo import sample_pdf
from app.services.evidence import attach


def test_ready_when_database_schema_and_store_are_fine(client):
    response = client.get("/ready")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "schema": "ok", "evidence": "ok"}


def test_not_ready_on_a_schema_from_a_newer_version_and_says_which_way(client, db):
    from sqlalchemy import text

    head = db.exec(text("SELECT version_num FROM alembic_version")).one()[0]
    db.exec(text("UPDATE alembic_version SET version_num = '0099_future'"))
    db.commit()
    try:
        response = client.get("/ready")
    finally:
        db.exec(text("UPDATE alembic_version SET version_num = :head").bindparams(head=head))
        db.commit()
    assert response.status_code == 503
    assert "newer than this version of the app" in response.json()["checks"]["schema"]
    assert "kla db upgrade" not in response.json()["checks"]["schema"]  # it would not help


def test_a_worker_is_not_ready_until_its_scores_are_warm(client, app, world, db, scorer, monkeypatch):
    from app.services import overview
    from app.startup import StartUp

    monkeypatch.setattr(app.state, "start_up", StartUp(warms=True))  # what a serving worker starts with
    waiting = client.get("/ready")
    assert waiting.status_code == 503 and waiting.json()["checks"]["scores"] == "warming up"
    overview.clear_cache()
    assert overview.warm_up(app.state.engine, scorer) == len(world.assessments)
    app.state.start_up.scores_cached()
    assert client.get("/ready").status_code == 200

    def no_scoring(*_args, **_kwargs):
        raise AssertionError("scored again although warmed up")

    monkeypatch.setattr(scorer, "score", no_scoring)
    monkeypatch.setattr(scorer, "verified", no_scoring)
    with Session(app.state.engine) as session:  # the cache is the app engine's
        rows = overview.region_rows(session, scorer, world.year)
    assert sum(1 for row in rows if row.scores is not None) == len(world.assessments)


def test_evidence_verify_finds_missing_and_altered_files(world, db, scorer, catalogue, app, monkeypatch, migrated):
    user = db.exec(select(User).where(User.username == "opd_a")).one()
    code = next(iter(catalogue.questions))
    save_answer(db, world.assessments["a"], code, AnswerInput(note="x"), 0, user, scorer)
    answer = db.exec(select(Answer)).one()
    stored = [app.state.evidence.save_file(io.BytesIO(sample_pdf(f"SK {n}", "x"))) for n in range(3)]
    for item in stored:
        attach(db, world.assessments["a"], answer, item, "sk.pdf", user)
    db.commit()
    monkeypatch.setenv("KLA_DATABASE_URL", migrated)
    monkeypatch.setenv("KLA_DATA_DIR", str(app.state.settings.data_dir))
    assert CliRunner().invoke(cli, ["evidence", "verify"]).exit_code == 0
    stored[0].path.unlink()
    stored[1].path.write_bytes(b"%PDF-1.4 diubah")
    result = CliRunner().invoke(cli, ["evidence", "verify"])
    assert result.exit_code == 1
    assert "3 berkas diperiksa: 1 hilang, 1 berubah." in result.output
    assert stored[0].sha256 in result.output and stored[1].sha256 in result.output


def test_requests_are_logged_as_json_lines(client, world, auth, caplog):
    import json
    import logging

    logging.getLogger("kla.requests").setLevel(logging.INFO)
    logging.getLogger("kla.requests").propagate = True
    auth.login(client, "opd_a")
    with caplog.at_level(logging.INFO, logger="kla.requests"):
        client.get("/akun/sandi")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "kla.requests"]
    line = next(item for item in lines if item["path"] == "/akun/sandi")
    assert line["method"] == "GET" and line["status"] == 200 and line["user"] is not None and line["ms"] >= 0
    assert abs(datetime.fromisoformat(line["at"]) - datetime.now(UTC)) < timedelta(minutes=1)
    assert line["pid"] == os.getpid()


def test_a_worker_compiles_its_templates_and_route_table_before_its_first_request(app, monkeypatch):
    import fastapi.routing

    from app.factory import prepare_worker
    from app.templating import TEMPLATES_DIR, env

    prepare_worker(app)
    names = {str(p.relative_to(TEMPLATES_DIR)) for p in TEMPLATES_DIR.rglob("*.html")}
    cached = {key[1] for key in env.cache}  # (weakref to the loader, name)
    assert names <= cached
    # FastAPI builds each router's part of the table on the first lookup of a name in it: none is left.
    built = []
    original = fastapi.routing._IncludedRouter._build_effective_context
    monkeypatch.setattr(fastapi.routing._IncludedRouter, "_build_effective_context",
                        lambda self, route: built.append(route) or original(self, route))
    for name, params in (("workspace", {"regency_code": "62.71", "year": 2024}), ("review_queue", {"regency_code": "62.71", "year": 2024})):
        app.url_path_for(name, **params)
    assert built == []


def test_monitors_may_ask_with_head(client):
    for path in ("/health", "/ready"):
        response = client.head(path)
        assert response.status_code == 200, path
        assert response.content == b""


def test_a_serving_worker_warms_up_in_its_lifespan_and_is_ready_afterwards(settings, catalogue, world, monkeypatch):
    import gc
    import time

    from fastapi.testclient import TestClient

    from app.factory import create_app
    from app.services import overview
    from app.templating import TEMPLATES_DIR, env

    monkeypatch.setattr(gc, "freeze", lambda: None)  # what a worker keeps for life; the tests go on collecting
    overview.clear_cache()
    app = create_app(settings, catalogue=catalogue, warm_up=True)
    try:
        assert app.state.start_up.warming  # nothing happens when the app is built, only when it starts
        with TestClient(app) as client:  # runs the lifespan, as a server does
            cached = {key[1] for key in env.cache}
            assert {str(p.relative_to(TEMPLATES_DIR)) for p in TEMPLATES_DIR.rglob("*.html")} <= cached
            deadline = time.monotonic() + 30
            while (response := client.get("/ready")).status_code != 200 and time.monotonic() < deadline:
                assert response.json()["checks"]["scores"] == "warming up"
                time.sleep(0.05)
            assert response.status_code == 200 and response.json()["checks"]["scores"] == "ok"
    finally:
        app.state.engine.dispose()
