"""Evidence files × every route that touches them × every role × plain and sensitive files.

Three files of kab/kota A (whose `opd_a` also coordinates the clusters of their questions): `plain`
on an ordinary question; `sensitive` on a sensitive question (it names a child); `copy`, the same
bytes as `sensitive` on an ordinary question, as the old reuse hole left them behind. Each role gets the outcome its row of a table says, written out by hand:

- ok / named: served, done, or the file's name on the page;
- unnamed: the page opens but the file's name is not on it;
- hidden: answered exactly like an id that does not exist (404, same message, no name);
- refused: a clear message (422) without the name: a sensitive file stays off ordinary questions;
- closed: the answer is read-only (409; after submission), checked only once the file is visible;
- deny: 403 (the region or the question is not the user's), login: not signed in.

Every successful opening of a sensitive file leaves an "opened" entry in the audit log.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from lxml import html
from sqlmodel import select

from app.factory import api_routes
from app.models import Agency, Answer, AnswerStatus, AuditEntry, ClusterCoordinator, Evidence, Role, User
from app.services import evidence as evidence_service
from app.services.answers import AnswerInput, save_answer
from app.services.demo import sample_pdf

PLAIN_CODE, COPY_CODE, SENSITIVE_CODE = "13.6", "13.5", "22A.2"  # 13.x: DINKES; 22A.2: DINKES, DINSOS, ...
SENSITIVE_TARGET = "22A.1"  # sensitive, DINKES
TARGETS = {"opd_other_a": "1.2h"}  # each worker's own ordinary question to copy files onto (DISDIK)
DEFAULT_TARGET = "1.2l"  # DINKES, ordinary
NAMES = {"plain": "sk-posyandu.pdf", "sensitive": "visum-anak-budi.pdf", "copy": "visum-anak-budi.pdf"}
KINDS = ("plain", "sensitive", "copy")
MISSING_ID = 987_654
ROLES = ["anonymous", "admin", "province", "province_other", "dp3a_a", "opd_a", "opd_other_a", "dp3a_b", "opd_b"]
OUTSIDERS = {"admin", "province", "province_other", "dp3a_b", "opd_b"}  # not working in A


def table(dp3a: tuple, opd_a: tuple, opd_other_a: tuple, *, verifiers: tuple | None = None) -> dict:
    """{role: {kind: outcome}}; outsiders are denied unless `verifiers` (province of A and admin) says."""
    rows = {"anonymous": ("login",) * 3, "dp3a_a": dp3a, "opd_a": opd_a, "opd_other_a": opd_other_a}
    rows.update({role: ("deny",) * 3 for role in OUTSIDERS})
    if verifiers is not None:
        rows["province"] = rows["admin"] = verifiers
    return {role: dict(zip(KINDS, outcomes, strict=True)) for role, outcomes in rows.items()}


DENY, ALL_OK, ALL_NAMED = ("deny",) * 3, ("ok",) * 3, ("named",) * 3
HIDDEN = ("hidden",) * 3
# Before submission ("self") and after it ("province"): the province of A and the ministry join in.
EXPECTED = {
    stage: {
        "download": table(ALL_OK, ("ok", "hidden", "hidden"), HIDDEN),
        "review_file": table(ALL_OK, DENY, DENY, verifiers=ALL_OK if stage == "province" else None),
        # The cluster coordinators' desk (issue 24): opd_a coordinates the parts of all three questions;
        # a sensitive question, or a file with a sensitive one's content, is never theirs to open.
        "cluster_file": table(DENY, ("ok", "hidden", "hidden"), DENY),
        "card": table(ALL_NAMED, ("named", "unnamed", "unnamed"), DENY),
        "review_page": table(ALL_NAMED, DENY, DENY, verifiers=ALL_NAMED if stage == "province" else None),
        "history": table(ALL_NAMED, ("named", "unnamed", "unnamed"), DENY,
                         verifiers=ALL_NAMED if stage == "province" else None),
        "rekap": table(ALL_NAMED, DENY, DENY, verifiers=ALL_NAMED if stage == "province" else None),
        # The files offered for reuse on the user's own ordinary question (no form once submitted).
        "offered": table(("named", "unnamed", "unnamed") if stage == "self" else ("unnamed",) * 3,
                         ("named", "unnamed", "unnamed") if stage == "self" else ("unnamed",) * 3,
                         ("unnamed",) * 3),
        # New bytes onto the user's own ordinary question: those of a sensitive file are refused
        # (once submitted, nothing is taken at all).
        "upload_to_plain": table(*(("ok", "refused", "refused") if stage == "self" else ("closed",) * 3,) * 3),
        "copy_to_plain": table(("ok", "refused", "refused"), ("ok", "hidden", "hidden"), HIDDEN),
        "copy_to_sensitive": table(ALL_OK, ("ok", "hidden", "hidden"), DENY),
        "remove": table(ALL_OK, ("ok", "hidden", "hidden"), DENY),
    }
    for stage in ("self", "province")
}
MUTATIONS = {"upload_to_plain", "copy_to_plain", "copy_to_sensitive", "remove"}
# Every route that names, counts, opens, copies or removes a file, as the matrix exercises it;
# carry-over (the DP3A's only) and the counts are in test_sensitive_copies.py and the route matrix.
COVERED = {"evidence_download", "review_evidence", "question_card", "review_detail", "question_history",
           "export_regency", "evidence_upload", "evidence_reuse", "evidence_remove",
           "library_unlink",  # issue 23: a document's link, by role and sensitivity in tests/web/test_library.py
           "cluster_evidence"}


@pytest.fixture
def files(world, db, scorer, app, password_hash, catalogue):
    """The three files, and a focal point of A whose agency (DISDIK) answers none of their questions."""
    assessment = world.assessments["a"]
    disdik = db.exec(select(Agency).where(Agency.regency_code == world.regency_a.code,
                                          Agency.role_code == "DISDIK")).one()
    db.add(User(username="opd_other_a", full_name="Opd Disdik", password_hash=password_hash, role=Role.OPD,
                regency_code=world.regency_a.code, agency_id=disdik.id))
    opd = db.exec(select(User).where(User.username == "opd_a")).one()
    dp3a = db.exec(select(User).where(User.username == "dp3a_a")).one()
    answers = {}
    for code in (PLAIN_CODE, COPY_CODE, SENSITIVE_CODE):
        save_answer(db, assessment, code, AnswerInput(note="uji"), 0, dp3a, scorer)
        answers[code] = db.exec(select(Answer).where(Answer.assessment_id == assessment.id,
                                                     Answer.question_code == code)).one()
    store = app.state.evidence
    plain = evidence_service.attach(db, assessment, answers[PLAIN_CODE],
                                    store.save_file(io.BytesIO(sample_pdf("SK Posyandu", "2024"))), NAMES["plain"], opd)
    secret = evidence_service.attach(db, assessment, answers[SENSITIVE_CODE],
                                     store.save_file(io.BytesIO(sample_pdf("Visum", "rahasia"))), NAMES["sensitive"],
                                     dp3a)
    # What the hole left behind: the sensitive file reused onto an ordinary question.
    copy = evidence_service.reuse(db, assessment, answers[COPY_CODE], secret, opd)
    for part in {catalogue.questions[code].part.code for code in (PLAIN_CODE, COPY_CODE, SENSITIVE_CODE)}:
        db.add(ClusterCoordinator(assessment_id=assessment.id, part_code=part, user_id=opd.id, appointed_by=dp3a.id))
    db.commit()
    return {"plain": (plain, PLAIN_CODE), "sensitive": (secret, SENSITIVE_CODE), "copy": (copy, COPY_CODE)}


def _sent_for(db, evidence) -> Answer:
    answer = db.get(Answer, evidence.answer_id)
    answer.status = AnswerStatus.SUBMITTED
    db.add(answer)
    db.commit()
    return answer


def names(text: str, filename: str) -> bool:
    """Whether a page names the file anywhere: in its text or in an attribute (a confirm prompt, an option)."""
    if not text.strip():
        return False
    for element in html.fromstring(text).iter():
        pieces = [element.text, element.tail, *element.attrib.values()] if isinstance(element.tag, str) else []
        if any(filename in piece for piece in pieces if piece):
            return True
    return False


def error_text(response) -> str:
    return " ".join(html.fromstring(response.text).xpath('//*[contains(@class, "error")]//text()')).strip()


def basic(response) -> str | None:
    if response.status_code in (303, 307) and response.headers.get("location", "").startswith("/masuk"):
        return "login"
    if response.status_code == 401:
        return "login"
    if response.status_code == 403:
        return "deny"
    return None


def workbook_names(content: bytes, filename: str) -> bool:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return any(filename in str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows()
               for cell in row if cell.value is not None)


def opened_count(db, user_id, evidence_id) -> int:
    return len(db.exec(select(AuditEntry).where(AuditEntry.action == "evidence.download",
                                                AuditEntry.user_id == user_id,
                                                AuditEntry.entity_id == str(evidence_id))).all())


@pytest.mark.parametrize("stage", ["self", "province"])
@pytest.mark.parametrize("role", ROLES)
def test_evidence_access_matrix(app, make_client, auth, world, db, files, stage, role):
    assessment = world.assessments["a"]
    assessment.stage = stage
    db.add(assessment)
    db.commit()
    client = make_client()
    token = auth.login(client, role) if role != "anonymous" else auth.csrf_of(client)
    user = db.exec(select(User).where(User.username == role)).first()
    base = world.base()
    headers = {"X-CSRF-Token": token, "HX-Request": "true"}
    target = TARGETS.get(role, DEFAULT_TARGET)
    content = {kind: app.state.evidence.path_for(files[kind][0].sha256).read_bytes() for kind in KINDS}
    failures = []

    def check(action: str, kind: str, outcome: str) -> None:
        expected = EXPECTED[stage][action][role][kind]
        if stage != "self" and action in MUTATIONS and expected == "ok":
            expected = "closed"  # visible, but nothing changes after submission
        if outcome != expected:
            failures.append(f"{action} {kind} as {role} ({stage}): {outcome}, expected {expected}")

    def hidden_or(response, missing, fallback: str) -> str:
        """404 exactly like a missing id, without the name: hidden."""
        if response.status_code != 404:
            return fallback
        alike = missing.status_code == 404 and error_text(response) == error_text(missing)
        return "hidden" if alike and not names(response.text, NAMES["plain"]) and \
            not names(response.text, NAMES["sensitive"]) else "404-but-different"

    for kind in KINDS:  # opening: the bytes, and an "opened" entry for a sensitive file
        evidence, code = files[kind]
        for action, url in (("download", f"{base}/bukti/{{}}"), ("review_file", f"{base}/verifikasi-bukti/{{}}"),
                            ("cluster_file", f"{base}/gugus-tugas/klaster/bukti/{{}}")):
            before = opened_count(db, user.id, evidence.id) if user else 0
            # The coordinators' desk serves files of submitted answers only (a draft is the agency's own
            # work): the answer is sent for this one request, and back to a draft after it.
            sent = _sent_for(db, evidence) if action == "cluster_file" else None
            response = client.get(url.format(evidence.id), follow_redirects=False)
            if sent is not None:
                sent.status = AnswerStatus.DRAFT
                db.add(sent)
                db.commit()
            outcome = basic(response) or ("ok" if response.status_code == 200 else
                                          hidden_or(response, client.get(url.format(MISSING_ID)), "other"))
            check(action, kind, outcome)
            if outcome == "ok" and user:
                logged = opened_count(db, user.id, evidence.id) - before
                if logged != (0 if kind == "plain" else 1):
                    failures.append(f"{action} {kind} as {role}: {logged} 'opened' entries")
        for action, url in (("card", f"{base}/isian/{code}"), ("review_page", f"{base}/verifikasi/{code}"),
                            ("history", f"{base}/riwayat/{code}"), ("rekap", f"{base}/ekspor.xlsx"),
                            ("offered", f"{base}/isian/{target}")):
            response = client.get(url, follow_redirects=False)
            outcome = basic(response)
            if outcome is None and response.status_code == 200:
                named = (workbook_names(response.content, NAMES[kind]) if action == "rekap"
                         else names(response.text, NAMES[kind]))
                if action == "offered":  # only the reuse list counts here
                    named = any(NAMES[kind] in o.text_content() for o in html.fromstring(response.text).xpath(
                        '//form[contains(@class, "reuse")]//option') if o.get("value") == str(evidence.id))
                outcome = "named" if named else "unnamed"
            check(action, kind, outcome or str(response.status_code))

    for kind in KINDS:  # the same bytes uploaded again onto the user's own ordinary question
        evidence, _code = files[kind]
        before = len(db.exec(select(Evidence)).all())
        response = client.post(f"{base}/isian/{target}/bukti", headers=headers, follow_redirects=False,
                               files={"files": ("lagi.pdf", io.BytesIO(content[kind]), "application/pdf")})
        added = len(db.exec(select(Evidence)).all()) - before
        outcome = basic(response) or {200: "ok", 409: "closed"}.get(response.status_code, str(response.status_code))
        if response.status_code == 422:
            outcome = "refused" if not names(response.text, NAMES[kind]) else "refused-with-name"
        if added != (1 if outcome == "ok" else 0):
            failures.append(f"upload_to_plain {kind} as {role}: {added} rows added with outcome {outcome}")
        check("upload_to_plain", kind, outcome)

    for kind in KINDS:  # copying onto an ordinary and onto a sensitive question
        evidence, _code = files[kind]
        for action, onto in (("copy_to_plain", target), ("copy_to_sensitive", SENSITIVE_TARGET)):
            url = f"{base}/isian/{onto}/bukti-pakai"
            count = len(db.exec(select(Evidence).where(Evidence.sha256 == evidence.sha256)).all())
            # The upload above may have put these bytes there already: a file is attached once.
            there = db.exec(select(Evidence).join(Answer, Answer.id == Evidence.answer_id).where(
                Answer.assessment_id == assessment.id, Answer.question_code == onto,
                Evidence.sha256 == evidence.sha256, Evidence.removed_at.is_(None))).first() is not None
            response = client.post(url, data={"evidence_id": str(evidence.id)}, headers=headers,
                                   follow_redirects=False)
            added = len(db.exec(select(Evidence).where(Evidence.sha256 == evidence.sha256)).all()) - count
            outcome = basic(response) or {200: "ok", 409: "closed"}.get(response.status_code)
            if response.status_code == 422:
                outcome = "refused" if not names(response.text, NAMES[kind]) else "refused-with-name"
            if outcome is None:
                missing = client.post(url, data={"evidence_id": str(MISSING_ID)}, headers=headers)
                outcome = hidden_or(response, missing, str(response.status_code))
            if added != (1 if outcome == "ok" and not there else 0):
                failures.append(f"{action} {kind} as {role}: {added} rows added with outcome {outcome}")
            check(action, kind, outcome)

    for kind in KINDS:  # removing the file from its own question
        evidence, code = files[kind]
        url = f"{base}/isian/{code}/bukti/{{}}/hapus"
        response = client.post(url.format(evidence.id), headers=headers, follow_redirects=False)
        outcome = basic(response) or {200: "ok", 409: "closed"}.get(response.status_code)
        if outcome is None:
            outcome = hidden_or(response, client.post(url.format(MISSING_ID), headers=headers), "other")
        db.refresh(evidence)
        if (evidence.removed_at is not None) != (outcome == "ok"):
            failures.append(f"remove {kind} as {role}: removed_at {evidence.removed_at} with outcome {outcome}")
        check("remove", kind, outcome)

    assert not failures, "\n".join(failures)


def test_every_route_that_names_an_evidence_id_is_in_the_matrix(app):
    routes = {route.name for route in api_routes(app)}
    assert routes >= COVERED, COVERED - routes
    by_id = {route.name for route in api_routes(app) if "evidence_id" in route.param_convertors}
    assert by_id <= COVERED, by_id - COVERED


@pytest.mark.parametrize("role", ["dp3a_b", "opd_b"])
def test_another_regions_ids_are_no_such_file_at_home(make_client, auth, world, db, files, role):
    """Region B's own people, at B's own addresses, naming A's files: nothing exists there."""
    client = make_client()
    token = auth.login(client, role)
    headers = {"X-CSRF-Token": token, "HX-Request": "true"}
    base = world.base("b")
    for kind in KINDS:
        evidence, code = files[kind]
        responses = [client.get(f"{base}/bukti/{evidence.id}"),
                     client.post(f"{base}/isian/{DEFAULT_TARGET}/bukti-pakai", data={"evidence_id": str(evidence.id)},
                                 headers=headers)]
        responses.append(client.post(f"{base}/isian/{code}/bukti/{evidence.id}/hapus", headers=headers))
        if role == "dp3a_b":
            responses.append(client.get(f"{base}/verifikasi-bukti/{evidence.id}"))
        for response in responses:
            assert response.status_code == 404, (kind, response.request.url)
            assert not names(response.text, NAMES[kind])
    assert db.exec(select(Evidence).where(Evidence.removed_at.is_not(None))).all() == []
