"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic import command

from app.migrate import alembic_config


def test_migrations_match_the_models(migrated):
    # Raises if autogenerate would find any difference between the migrated schema and the models.
    command.check(alembic_config(migrated))


def test_kla_db_upgrade_is_idempotent(migrated):
    from app.migrate import upgrade

    upgrade(migrated)
    upgrade(migrated)


def test_upgrade_from_the_first_schema_keeps_existing_rows(tmp_path):
    """A database created at 0001 and filled with rows must reach head without losing any."""
    from sqlalchemy import text

    from app.db import make_engine
    from app.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0001")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO province (code, name) VALUES ('62', 'Kalimantan Tengah')"))
        connection.execute(text("INSERT INTO regency (code, province_code, name) VALUES ('62.71', '62', 'Kota')"))
        connection.execute(text("INSERT INTO cycle (id, year, instrument_code, instrument_version) "
                                "VALUES (1, 2024, 'kla-2024', '2024.1')"))
        connection.execute(text("INSERT INTO assessment (id, cycle_id, regency_code, window_open, stage) "
                                "VALUES (1, 1, '62.71', 1, 'self')"))
        connection.execute(text(
            "INSERT INTO answer (id, assessment_id, question_code, note, not_applicable, status, version, "
            "updated_at) VALUES (1, 1, '1.1', '', 0, 'draft', 1, '2024-05-01 10:00:00')"))
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM answer")).scalar() == 1
        assert connection.execute(text("SELECT stage FROM assessment WHERE id = 1")).scalar() == "self"
        assert connection.execute(text("PRAGMA foreign_key_check")).fetchall() == []
    engine.dispose()


def test_0006_closes_the_windows_an_approval_already_followed(tmp_path):
    """Before 0006 an approval left the reopening open until its deadline; the upgrade closes those."""
    from sqlalchemy import text

    from app.db import make_engine
    from app.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0005")
    engine = make_engine(url)
    with engine.begin() as connection:
        for statement in (
            "INSERT INTO province (code, name) VALUES ('62', 'Kalimantan Tengah')",
            "INSERT INTO regency (code, province_code, name) VALUES ('62.71', '62', 'Kota')",
            "INSERT INTO cycle (id, year, instrument_code, instrument_version) VALUES (1, 2024, 'kla-2024', '2024.1')",
            "INSERT INTO assessment (id, cycle_id, regency_code, window_open, stage, revision) "
            "VALUES (1, 1, '62.71', 0, 'province', 1)",
            "INSERT INTO user (id, username, full_name, password_hash, role, active, session_version, created_at) "
            "VALUES (1, 'prov', 'Prov', 'x', 'PROVINCE', 1, 1, '2024-05-01 00:00:00')",
        ):
            connection.execute(text(statement))
        for answer_id in (1, 2):
            connection.execute(text(
                "INSERT INTO answer (id, assessment_id, question_code, note, not_applicable, status, version, "
                f"updated_at) VALUES ({answer_id}, 1, '1.{answer_id}', '', 0, 'APPROVED', 3, '2024-05-01 10:00:00')"))
            connection.execute(text(
                "INSERT INTO reopening (answer_id, stage, until, note, opened_by, opened_at) "
                f"VALUES ({answer_id}, 'province', '2099-01-01 00:00:00.000000', '', 1, '2024-05-02 10:00:00.000000')"))
        # Answer 1 was approved after its window opened; answer 2 only before.
        connection.execute(text(
            "INSERT INTO reviewevent (answer_id, stage, action, reasons, note, user_id, at) VALUES "
            "(1, 'province', 'approved', '[]', '', 1, '2024-05-03 09:00:00.000000'), "
            "(2, 'province', 'approved', '[]', '', 1, '2024-05-01 09:00:00.000000')"))
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        closed = dict(connection.execute(text("SELECT answer_id, closed_at FROM reopening")).all())
    engine.dispose()
    assert closed[1] is not None and str(closed[1]).startswith("2024-05-03 09:00")
    assert closed[2] is None


def test_0009_gives_every_existing_file_its_library_document(tmp_path):
    """Files attached before the library become documents: one per content per assessment, linked from
    every attachment of that content; a content whose every attachment was removed is a removed document."""
    from sqlalchemy import text

    from app.db import make_engine
    from app.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0008")
    engine = make_engine(url)
    with engine.begin() as connection:
        for statement in (
            "INSERT INTO province (code, name) VALUES ('62', 'Kalimantan Tengah')",
            "INSERT INTO regency (code, province_code, name) VALUES ('62.71', '62', 'Kota')",
            "INSERT INTO cycle (id, year, instrument_code, instrument_version) VALUES (1, 2024, 'kla-2024', '2024.1')",
            "INSERT INTO cycle (id, year, instrument_code, instrument_version) VALUES (2, 2025, 'kla-2024', '2024.1')",
            "INSERT INTO assessment (id, cycle_id, regency_code, window_open, stage, revision) "
            "VALUES (1, 1, '62.71', 0, 'province', 1), (2, 2, '62.71', 1, 'self', 1)",
            "INSERT INTO user (id, username, full_name, password_hash, role, active, created_at) "
            "VALUES (1, 'dp3a', 'DP3A', 'x', 'DP3A', 1, '2024-05-01 00:00:00')",
            "INSERT INTO storedfile (sha256, size, media_type, kind, created_at) VALUES "
            "('aa', 10, 'application/pdf', 'pdf', '2024-05-01 00:00:00'), "
            "('bb', 10, 'application/pdf', 'pdf', '2024-05-01 00:00:00')",
        ):
            connection.execute(text(statement))
        for answer_id, assessment_id, code in ((1, 1, '1.1'), (2, 1, '1.2'), (3, 2, '1.1')):
            connection.execute(text(
                "INSERT INTO answer (id, assessment_id, question_code, note, not_applicable, status, version, "
                f"updated_at) VALUES ({answer_id}, {assessment_id}, '{code}', '', 0, 'SUBMITTED', 1, "
                "'2024-05-01 10:00:00')"))
        # The Perda 'aa' on two questions of 2024 and carried into 2025; 'bb' attached and removed.
        connection.execute(text(
            "INSERT INTO evidence (id, answer_id, sha256, filename, uploaded_by, uploaded_at, removed_at) VALUES "
            "(1, 1, 'aa', 'perda.pdf', 1, '2024-05-01 10:00:00', NULL), "
            "(2, 2, 'aa', 'perda-kla.pdf', 1, '2024-05-02 10:00:00', NULL), "
            "(3, 3, 'aa', 'perda.pdf', 1, '2025-05-01 10:00:00', NULL), "
            "(4, 2, 'bb', 'salah.pdf', 1, '2024-05-01 10:00:00', '2024-05-01 11:00:00')"))
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        documents = {(row.assessment_id, row.sha256): row for row in connection.execute(text(
            "SELECT id, assessment_id, sha256, filename, title, kind, removed_at FROM document"))}
        links = dict(connection.execute(text("SELECT id, document_id FROM evidence")).all())
        assert connection.execute(text("PRAGMA foreign_key_check")).fetchall() == []
    engine.dispose()
    assert set(documents) == {(1, "aa"), (1, "bb"), (2, "aa")}
    assert links[1] == links[2] == documents[(1, "aa")].id
    assert links[3] == documents[(2, "aa")].id != links[1]
    assert links[4] == documents[(1, "bb")].id
    assert documents[(1, "aa")].title == "" and documents[(1, "aa")].kind == "other"
    assert documents[(1, "aa")].removed_at is None and documents[(1, "bb")].removed_at is not None
