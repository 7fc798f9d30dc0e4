"""Right after the demo, with e-mail on, one run of the job runner delivers the due reminders of 2025
(Kota Palangka Raya's returned answers and answering window closing; the reopening the province's
return opened in Kabupaten Pulang Pisau) to the demo accounts' example.org addresses, and a second run
delivers nothing new (issue 24, "Must show")."""

from __future__ import annotations

from collections import Counter

from sqlmodel import select

from app.jobs.registry import JobContext
from app.jobs.runner import tick
from app.models import Job, User
from app.services.demo import build_demo
from app.services.demo_notices import RETURN_NOTE, SENSITIVE_NOTE
from app.services.demo_province_2025 import PROVINCE_RETURN_NOTE, RETURNED_CODE
from tests.smtp_sink import SmtpServer


def test_the_demos_reminders_go_out_once(db, catalogue, app, settings, engine):
    from app.jobs import tasks  # noqa: F401 (registers the e-mail handler and scans)

    build_demo(db, catalogue, app.state.evidence, nation=False)
    db.commit()
    assert all(u.email == f"{u.username}@example.org" for u in db.exec(select(User)).all())
    with SmtpServer() as smtp:
        context = JobContext(settings.model_copy(update={"smtp_url": smtp.url}), engine, catalogue, "demo-runner")
        first = tick(context)
        assert first.failed == {}
        kinds = Counter((r.to[0], r.message["Subject"].split("]")[1].split(":")[0].strip())
                        for r in smtp.sink.received)
        dinkes = "dinkes.palangkaraya@example.org"
        subjects = [r.subject for r in smtp.sink.to(dinkes)]
        assert sum("dikembalikan" in s for s in subjects) >= 2, subjects
        assert sum("Masa pengisian" in s for s in subjects) == 1, subjects
        dp3a = [r.subject for r in smtp.sink.to("dp3a.palangkaraya@example.org")]
        assert any("Masa pengisian" in s for s in dp3a), dp3a
        # The reopening: the province's return in Pulang Pisau opened it; its DP3A (the kab/kota's only
        # account) is told, with the deadline and the note; its opener, the province's verifier, is not.
        reopened = [r for r in smtp.sink.received if "dibuka kembali" in r.subject]
        assert [r.to[0] for r in reopened] == ["dp3a.pulangpisau@example.org"], [r.to for r in reopened]
        assert RETURNED_CODE in reopened[0].subject and PROVINCE_RETURN_NOTE in reopened[0].body
        assert "Kabupaten Pulang Pisau" in reopened[0].body and "WIB" in reopened[0].subject
        assert smtp.sink.to("prov.kalteng@example.org") == []
        bodies = " ".join(r.body for r in smtp.sink.to(dinkes))
        assert RETURN_NOTE in bodies
        everything = " ".join(r.subject + r.body for r in smtp.sink.received)
        assert SENSITIVE_NOTE not in bodies and "visum" not in everything and "inisial" not in everything
        assert "buka aplikasi untuk melihat catatan" in bodies  # the sensitive question's return
        assert len(kinds) >= 3
        delivered = len(smtp.sink.received)
        second = tick(context)
        assert second.jobs == 0 and len(smtp.sink.received) == delivered
    assert all(job.state == "done" for job in db.exec(select(Job)).all())
