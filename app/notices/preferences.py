"""What a user chooses about e-mail: the address, the language it is written in, the kinds turned off.
Saved audited and idempotent (the same form twice writes nothing the second time); the route commits."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session

from app.i18n import LANGUAGES, _
from app.models import User
from app.notices import NoticeKind, kinds_for
from app.refusals import Refusal
from app.services import audit

MAX_EMAIL = 254
# One @, a dot in the domain, no spaces or angle brackets: enough to catch a typo. Whether the address
# exists only the server can say (a bounce), which is the admin's list of failed e-mails.
_ADDRESS = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:.]{2,}$")


@dataclass(frozen=True)
class Choice:
    email: str
    language: str
    off: list[str]


def check_email(text: str) -> str:
    """The address as stored ("" turns e-mail off), or a `Refusal` saying what is wrong."""
    address = text.strip()
    if not address:
        return ""
    if len(address) > MAX_EMAIL or not _ADDRESS.match(address):
        raise Refusal(_("This is not an e-mail address. Write it like name@example.go.id, or leave it empty "
                        "to receive no e-mail."), code="bad_email")
    local, _at, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def read(email: str, language: str, wanted: list[str], user: User) -> Choice:
    """The form's values as a choice: the kinds of the user's role not ticked are turned off."""
    offered = kinds_for(user.role)
    off = sorted(kind.value for kind in offered if kind.value not in wanted)
    # Kinds another role would get stay as they were: a role change keeps the old choice.
    off += sorted(k for k in (user.email_off or []) if k not in {kind.value for kind in offered})
    return Choice(check_email(email), language if language in LANGUAGES else user.language, off)


def save(session: Session, actor: User, user: User, choice: Choice) -> bool:
    """Store `choice` on `user`; says whether anything changed (nothing written when not)."""
    before = {"email": user.email, "language": user.language, "off": sorted(user.email_off or [])}
    after = {"email": choice.email, "language": choice.language, "off": sorted(choice.off)}
    if before == after:
        return False
    user.email, user.language, user.email_off = choice.email, choice.language, list(choice.off)
    session.add(user)
    # In the account's kab/kota chain, as the DP3A's other account changes are (national accounts: "").
    audit.record(session, actor, "user.email_settings", "user", user.id, regency_code=user.regency_code,
                 before=before, after=after)
    return True


def set_address(session: Session, actor: User, user: User, text: str) -> bool:
    """The DP3A's change of an account's address (its accounts page): checked as the create form checks it
    (a `Refusal` with code "bad_email"), the language and kinds the person chose kept, audited as the
    account's e-mail settings; says whether anything changed (the same address twice writes nothing)."""
    return save(session, actor, user, Choice(check_email(text), user.language, list(user.email_off or [])))


def kind_label(kind: NoticeKind) -> str:
    return {
        NoticeKind.RETURNED: _("An answer of my agency is returned"),
        NoticeKind.REOPENED: _("An answer is reopened, with its deadline"),
        NoticeKind.WINDOW: _("The answering window closes in 3 days and in 1 day"),
        NoticeKind.RECOMMENDATION: _("A recommendation is due within 3 days or overdue"),
        NoticeKind.DIGEST: _("A daily summary of what arrived (from 07:00 WIB)"),
    }[kind]


def short_labels() -> dict[str, str]:
    """The kinds' names in lists (the admin's failed e-mails)."""
    return {
        NoticeKind.RETURNED.value: _("answer returned"),
        NoticeKind.REOPENED.value: _("answer reopened"),
        NoticeKind.WINDOW.value: _("answering window closing"),
        NoticeKind.RECOMMENDATION.value: _("recommendation due"),
        NoticeKind.DIGEST.value: _("daily summary"),
    }
