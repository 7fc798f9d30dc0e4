"""The DP3A changes an existing account's e-mail address on its accounts page (issue 24, surel): checked
like the create form, audited, idempotent; the person's own /akun/surel keeps working as before."""

from __future__ import annotations

from sqlmodel import func, select

from app.models import AuditEntry, User
from tests import html


def _accounts(world) -> str:
    return f"{world.base()}/kelola/akun"


def _audits(db) -> int:
    return db.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "user.email_settings")).one()


def _user(db, username: str) -> User:
    db.expire_all()
    return db.exec(select(User).where(User.username == username)).one()


def test_the_dp3a_changes_an_accounts_address(make_client, world, auth, db):
    target = _user(db, "opd_a")
    target.language, target.email_off = "en", ["window"]  # the person's own choices, kept by the DP3A's change
    db.add(target)
    db.commit()
    dp3a = make_client()
    token = auth.login(dp3a, "dp3a_a")
    url = f"{_accounts(world)}/{target.id}/surel"
    page = html.page(dp3a.get(_accounts(world)))
    assert html.attrs(page, f"//form[@action='{url}']//input[@name='email']/@id") == [f"email-{target.id}"]

    saved = dp3a.post(url, data={"csrf_token": token, "email": "  Budi.Dinkes@Palangkaraya.GO.ID "},
                      follow_redirects=False)
    assert saved.status_code == 303
    changed = _user(db, "opd_a")
    assert (changed.email, changed.language, changed.email_off) == ("Budi.Dinkes@palangkaraya.go.id", "en", ["window"])
    assert _audits(db) == 1
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "user.email_settings")).one()
    assert entry.user_id == world.users["dp3a_a"].id and entry.after["email"] == "Budi.Dinkes@palangkaraya.go.id"
    assert (entry.regency_code, entry.chain) == (target.regency_code, target.regency_code)  # the kab/kota's chain
    shown = html.page(dp3a.get(_accounts(world)))
    assert html.attrs(shown, f"//input[@id='email-{target.id}']/@value") == ["Budi.Dinkes@palangkaraya.go.id"]
    # The same address again: nothing written.
    assert dp3a.post(url, data={"csrf_token": token, "email": "Budi.Dinkes@palangkaraya.go.id"},
                     follow_redirects=False).status_code == 303
    assert _audits(db) == 1

    # Not an address: refused next to its field, what was typed kept, nothing written.
    refused = dp3a.post(url, data={"csrf_token": token, "email": "budi at dinkes"})
    assert refused.status_code == 422
    page = html.page(refused)
    assert html.attrs(page, f"//input[@id='email-{target.id}']/@value") == ["budi at dinkes"]
    assert html.attrs(page, f"//input[@id='email-{target.id}']/@aria-invalid") == ["true"]
    assert page.xpath(f"//details[@open and .//input[@id='email-{target.id}']]")  # the refused row's form open
    assert html.text_of(page, f"//span[@id='email-{target.id}-error']")
    assert _user(db, "opd_a").email == "Budi.Dinkes@palangkaraya.go.id" and _audits(db) == 1
    # Empty: no e-mail any more.
    assert dp3a.post(url, data={"csrf_token": token, "email": ""}, follow_redirects=False).status_code == 303
    assert _user(db, "opd_a").email == "" and _audits(db) == 2

    # The person's own page still sets it (with their language and kinds).
    opd = make_client()
    opd_token = auth.login(opd, "opd_a")
    own = opd.post("/akun/surel", data={"csrf_token": opd_token, "email": "sendiri@example.org", "language": "id",
                                        "kinds": ["returned"]}, follow_redirects=False)
    assert own.status_code in (200, 303)
    assert _user(db, "opd_a").email == "sendiri@example.org"


def test_only_the_kab_kotas_dp3a_changes_its_accounts_addresses(make_client, world, auth, db):
    target, other = _user(db, "opd_a"), _user(db, "opd_b")
    dp3a = make_client()
    token = auth.login(dp3a, "dp3a_a")
    # Another region's account is not on A's page.
    assert dp3a.post(f"{_accounts(world)}/{other.id}/surel", data={"csrf_token": token, "email": "x@example.org"},
                     follow_redirects=False).status_code == 404
    for username in ("opd_a", "dp3a_b"):
        client = make_client()
        client_token = auth.login(client, username)
        response = client.post(f"{_accounts(world)}/{target.id}/surel",
                                data={"csrf_token": client_token, "email": "x@example.org"}, follow_redirects=False)
        assert response.status_code == 403, username
    assert _user(db, "opd_a").email == target.email and _user(db, "opd_b").email == other.email
    assert _audits(db) == 0
