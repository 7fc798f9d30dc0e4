"""Shared fixtures.

The database is SQLite in a temporary folder, or PostgreSQL when
KLA_TEST_DATABASE_URL says so (scripts/test.sh runs the suite both ways).
The schema is built once per run by the Alembic migrations; every test then
starts from empty tables.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from types import SimpleNamespace

import fastapi.dependencies.utils as fastapi_dependencies
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, exists, func, literal, make_url, or_, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from app.config import Settings
from app.db import make_engine
from app.factory import create_app
from app.migrate import upgrade
from app.models import Agency, Answer, Assessment, Province, Regency, Role, User
from app.services.setup import default_agencies, ensure_cycle, open_assessment
from indicators import DEFAULT_CATALOGUE, load_catalogue
from scoring import Scorer

PASSWORD = "rahasia-123"

# Every test builds its own app, and FastAPI works out each route's parameters afresh in every app (at
# its first request that looks a route up by name): reading each handler's signature and evaluating its
# annotations is a good half of that, ~0.1 s per test. A signature depends on the function alone, so
# the tests read each one once (the app itself, built once per process, is untouched).
_read_signature = fastapi_dependencies.get_typed_signature
_read_once = functools.cache(_read_signature)


def _typed_signature(call):
    try:
        return _read_once(call)
    except TypeError:  # a callable that cannot be a key (an instance that defines __eq__ only)
        return _read_signature(call)


fastapi_dependencies.get_typed_signature = _typed_signature


def pytest_collection_modifyitems(config, items):
    """Browser tests last: Playwright's sync API keeps an event loop running in the main thread
    until the session ends, which would break every later test that starts its own loop."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None or "browser" in item.path.parts)
    if os.environ.get("KLA_TEST_DATABASE_URL"):
        _keep_database_tests(config, items)


def _keep_database_tests(config, items) -> None:
    """The PostgreSQL run (scripts/test.sh runs the suite twice) keeps only the tests that reach the
    database through the `database_url` fixture, directly or through any fixture built on it: the
    others (the scoring engine, the evidence checks, the catalogue...) would run the very same code a
    second time, about a third of the suite's time on that run."""
    kept, dropped = [], []
    for item in items:
        (kept if "database_url" in getattr(item, "fixturenames", ()) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue(DEFAULT_CATALOGUE)


@pytest.fixture(scope="session")
def scorer(catalogue):
    return Scorer(catalogue)


@pytest.fixture(scope="session")
def catalogue_text() -> str:
    return DEFAULT_CATALOGUE.read_text(encoding="utf-8")


# -- database -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("KLA_TEST_DATABASE_URL")
    if url:
        url = _per_worker(url)
        engine = make_engine(url)
        with engine.begin() as connection:  # start from nothing, migrations included
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
            # A commit need not wait for the disk here (nothing in a test outlives a crash): the
            # connections opened from now on, the app's and its subprocesses' included, commit at once.
            name = make_url(url).database
            connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        engine.dispose()
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'kla-test.sqlite3'}"


def _per_worker(url: str) -> str:
    """Under pytest-xdist (`-n 2`) each worker gets its own PostgreSQL database, `<name>_<worker>`,
    created on the same server when missing: the workers would otherwise drop each other's tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first() is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def migrated(database_url) -> str:
    upgrade(database_url)
    return database_url


@pytest.fixture
def engine(migrated):
    engine = make_engine(migrated)
    yield engine
    _empty_tables(engine)
    engine.dispose()


# Answers beyond which a test's rows go by TRUNCATE on PostgreSQL (a world starts with none; the demo's nation
# makes far more: its assignments, ~11,000, are too few to tell).
MANY_ROWS = 20_000


def _empty_tables(engine) -> None:
    """Every table emptied, children first; on PostgreSQL the id sequences start again at 1, as on a
    new database. DELETE and setval, not TRUNCATE: TRUNCATE makes new files for each of the ~40 tables,
    about 200 ms after every test against 10 ms (more than a minute of the PostgreSQL run). But after a
    test that made the demo's whole nation, deleting row by row (each checked against its foreign keys)
    takes some 20 s: then one TRUNCATE of every table."""
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    with engine.begin() as connection:
        postgresql = engine.dialect.name == "postgresql"
        many = postgresql and connection.execute(
            select(func.count()).select_from(select(Answer.id).limit(MANY_ROWS + 1).subquery())).scalar_one()
        if many and many > MANY_ROWS:
            connection.execute(text("TRUNCATE " + ", ".join(f'"{table.name}"' for table in tables)))
        else:
            for table in tables:
                connection.execute(table.delete())
        if postgresql:
            sequences = connection.execute(text("SELECT sequencename FROM pg_sequences WHERE schemaname = "
                                                "current_schema()")).scalars().all()
            if sequences:
                connection.execute(text("SELECT " + ", ".join(f"setval('\"{name}\"', 1, false)" for name in sequences)))


@pytest.fixture
def db(engine):
    with Session(engine, expire_on_commit=False) as session:
        yield session


# -- the app --------------------------------------------------------------------------


@pytest.fixture
def settings(migrated, tmp_path) -> Settings:
    return Settings(environment="test", database_url=migrated, data_dir=tmp_path / "data", max_upload_mb=2)


@pytest.fixture
def app(settings, catalogue, engine):
    application = create_app(settings, catalogue=catalogue)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def make_client(app):
    """More than one browser at once (two people editing the same answer)."""
    clients = []

    def make() -> TestClient:
        test_client = TestClient(app)
        test_client.__enter__()
        clients.append(test_client)
        return test_client

    yield make
    for test_client in clients:
        test_client.__exit__(None, None, None)


# -- a small world: two kab/kota in one province, one in another -----------------------


@dataclass
class World:
    regency_a: Regency
    regency_b: Regency
    regency_c: Regency
    year: int
    users: dict[str, User] = field(default_factory=dict)
    agencies: dict[str, Agency] = field(default_factory=dict)
    assessments: dict[str, object] = field(default_factory=dict)

    def base(self, which: str = "a") -> str:
        regency = {"a": self.regency_a, "b": self.regency_b, "c": self.regency_c}[which]
        return f"/r/{regency.code}/{self.year}"


@pytest.fixture(scope="session")
def password_hash() -> str:
    """Argon2 with the smallest cost: a hash carries its own parameters, so every test login
    verifies in a millisecond instead of the production ~100 ms. The app's hasher is untouched."""
    from pwdlib.hashers.argon2 import Argon2Hasher

    return Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


def _build_world(db, catalogue, password_hash) -> World:
    """The small world, made through the app's services (see `world`)."""
    db.add_all([Province(code="62", name="Kalimantan Tengah"), Province(code="63", name="Kalimantan Selatan")])
    a = Regency(code="62.71", province_code="62", name="Kota Palangka Raya")
    b = Regency(code="62.01", province_code="62", name="Kabupaten Kotawaringin Barat")
    c = Regency(code="63.71", province_code="63", name="Kota Banjarmasin")
    db.add_all([a, b, c])
    db.flush()
    cycle = ensure_cycle(db, catalogue)
    result = World(a, b, c, cycle.year)
    for key, regency in (("a", a), ("b", b), ("c", c)):
        default_agencies(db, regency, catalogue)
        result.assessments[key] = open_assessment(db, regency, cycle, catalogue)
    db.flush()
    agencies = {(ag.regency_code, ag.role_code): ag for ag in db.exec(select(Agency)).all()}
    for key, regency in (("a", a), ("b", b)):
        result.agencies[f"dinkes_{key}"] = agencies[(regency.code, "DINKES")]
        result.agencies[f"dp3a_{key}"] = agencies[(regency.code, "DP3A")]
    people = {
        "admin": dict(role=Role.ADMIN),
        "province": dict(role=Role.PROVINCE, province_code="62"),
        "province_other": dict(role=Role.PROVINCE, province_code="63"),
        "dp3a_a": dict(role=Role.DP3A, regency_code=a.code, agency_id=result.agencies["dp3a_a"].id),
        "opd_a": dict(role=Role.OPD, regency_code=a.code, agency_id=result.agencies["dinkes_a"].id),
        "opd_a2": dict(role=Role.OPD, regency_code=a.code, agency_id=result.agencies["dinkes_a"].id),
        "dp3a_b": dict(role=Role.DP3A, regency_code=b.code, agency_id=result.agencies["dp3a_b"].id),
        "opd_b": dict(role=Role.OPD, regency_code=b.code, agency_id=result.agencies["dinkes_b"].id),
        # The ministry's reviewers (assigned to provinces) and field verifiers (teams per kab/kota:
        # `season_team(world, db, "a", "verifier")` puts one on a team).
        "reviewer": dict(role=Role.REVIEWER, provinces=["62"], organisation="KemenPPPA"),
        "reviewer_other": dict(role=Role.REVIEWER, provinces=["63"], organisation="KemenPPPA"),
        "verifier": dict(role=Role.VERIFIER, organisation="Kemenkes"),
        "verifier_other": dict(role=Role.VERIFIER, organisation="Kemendikdasmen"),
    }
    for username, fields in people.items():
        user = User(username=username, full_name=username.replace("_", " ").title(), password_hash=password_hash,
                    **fields)
        db.add(user)
        result.users[username] = user
    db.commit()
    return result


@dataclass
class _WorldRows:
    """A world as the database held it once built: every row of every table, the id sequences
    (PostgreSQL), and where each of the World's objects is."""

    catalogue: object
    password_hash: str
    rows: list[tuple[object, list[dict]]]  # (table, rows), parents first
    sequences: list[tuple[str, int | None]]
    keys: dict


_WORLDS: dict[str, _WorldRows] = {}
WORLD_SCHEMA = "kla_test_world"  # PostgreSQL: the world's rows, kept in the test database itself


def _world_rows(db, catalogue, password_hash, world: World) -> _WorldRows:
    connection = db.connection()
    rows = [(table, [dict(row) for row in connection.execute(table.select()).mappings()])
            for table in SQLModel.metadata.sorted_tables]
    sequences = []
    if connection.dialect.name == "postgresql":
        sequences = [tuple(row) for row in connection.execute(text(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema()"))]
        # Kept on the server, beside the app's tables: written back with one INSERT ... SELECT per table.
        connection.execute(text(f"DROP SCHEMA IF EXISTS {WORLD_SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {WORLD_SCHEMA}"))
        for table, table_rows in rows:
            if table_rows:
                connection.execute(text(f'CREATE UNLOGGED TABLE {WORLD_SCHEMA}."{table.name}" AS '
                                        f'SELECT * FROM "{table.name}"'))
        rows = [(table, [{}] if table_rows else []) for table, table_rows in rows]
        db.commit()
    keys = dict(regencies=(world.regency_a.code, world.regency_b.code, world.regency_c.code), year=world.year,
                users={k: v.id for k, v in world.users.items()}, agencies={k: v.id for k, v in world.agencies.items()},
                assessments={k: v.id for k, v in world.assessments.items()})
    return _WorldRows(catalogue, password_hash, [(t, r) for t, r in rows if r], sequences, keys)


def _nothing_written(db) -> bool:
    tables = SQLModel.metadata.sorted_tables
    return not db.connection().execute(
        sa_select(or_(*(exists(sa_select(literal(1)).select_from(table)) for table in tables)))).scalar_one()


def _restore_world(db, saved: _WorldRows) -> World:
    """The rows of `saved` written back as they were, into empty tables."""
    connection = db.connection()
    for table, rows in saved.rows:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f'INSERT INTO "{table.name}" SELECT * FROM {WORLD_SCHEMA}."{table.name}"'))
        else:  # RETURNING: SQLAlchemy sends a statement per thousand rows, not one per row
            connection.execute(table.insert().returning(*table.primary_key.columns), rows).all()
    if saved.sequences:
        connection.execute(text("SELECT " + ", ".join(
            f"setval('\"{name}\"', {value}, true)" if value is not None else f"setval('\"{name}\"', 1, false)"
            for name, value in saved.sequences)))
    db.commit()
    keys = saved.keys
    a, b, c = (db.get(Regency, code) for code in keys["regencies"])
    result = World(a, b, c, keys["year"])
    for name, model in (("users", User), ("agencies", Agency), ("assessments", Assessment)):
        loaded = {row.id: row for row in db.exec(select(model).where(col(model.id).in_(keys[name].values())))}
        setattr(result, name, {k: loaded[v] for k, v in keys[name].items()})
    return result


@pytest.fixture
def world(db, catalogue, password_hash, database_url) -> World:
    """Two kab/kota in Kalimantan Tengah (a, b) and one in Kalimantan Selatan (c), each with its
    agencies and its assessment of the catalogue's year, and a user of every role.

    Built through the app's services once per process (`_build_world`); every later test gets the
    very same rows written back in one go (~0.1 s less per test: some 600 assignments per kab/kota
    made one by one). The rows carry the times of that first build."""
    if not _nothing_written(db):  # a fixture before this one wrote rows: built the long way, not kept
        return _build_world(db, catalogue, password_hash)
    saved = _WORLDS.get(database_url)
    if saved is not None and saved.catalogue is catalogue and saved.password_hash == password_hash:
        return _restore_world(db, saved)
    built = _build_world(db, catalogue, password_hash)
    _WORLDS[database_url] = _world_rows(db, catalogue, password_hash, built)
    return built

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(client: TestClient) -> str:
    page = client.get("/masuk")
    match = CSRF_FIELD.search(page.text)
    assert match, "the login page carries a CSRF token"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the real form; returns the session's CSRF token."""
    token = csrf_of(client)
    response = client.post("/masuk", data={"username": username, "password": password, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    # A new session gets a new token: read it from any page.
    page = client.get("/akun/sandi")
    return CSRF_FIELD.search(page.text).group(1)


@pytest.fixture
def auth():
    return SimpleNamespace(login=login, csrf_of=csrf_of, password=PASSWORD)


def season_team(world: World, db, which: str, username: str, *, lead: bool = False) -> None:
    """Put a verifier on the field team of kab/kota `which` ("a", "b", "c")."""
    from app.models import FieldTeamMember

    db.add(FieldTeamMember(assessment_id=world.assessments[which].id, user_id=world.users[username].id, lead=lead,
                           added_by=world.users["admin"].id))
    db.commit()
