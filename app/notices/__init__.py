"""E-mail that reaches people (surel): reminders planned by the job runner's scans and sent by its
"email" job handler, through a real SMTP server (`KLA_SMTP_URL`; off while it is empty).

`plan` holds the scans: each looks at the database and enqueues one "email" job per message and
person under a key that names both (a message is planned once, whichever runner scans and however
often); `messages` writes a message in the recipient's language, with no sensitive content; `smtp`
sends it (a refusal raises: the queue retries with backoff, then marks the job failed for the admin);
`preferences` is what a user chooses (address, language, kinds turned off).
"""

from __future__ import annotations

from enum import StrEnum

from app.models import Role


class NoticeKind(StrEnum):
    """The kinds of e-mail; `User.email_off` lists those a user turned off."""

    RETURNED = "returned"  # an answer returned to its agency (any stage)
    REOPENED = "reopened"  # an answer opened again until a deadline
    WINDOW = "window"  # the answering window closes in 3 days, then in 1 day
    RECOMMENDATION = "recommendation"  # a recommendation due within 3 days or overdue
    DIGEST = "digest"  # the DP3A's daily summary of what arrived (ringkasan harian)


# Which kinds can reach which role: the preferences page offers only these, the scans send only these.
KINDS_OF_ROLE: dict[Role, tuple[NoticeKind, ...]] = {
    Role.OPD: (NoticeKind.RETURNED, NoticeKind.REOPENED, NoticeKind.WINDOW, NoticeKind.RECOMMENDATION),
    Role.DP3A: (NoticeKind.REOPENED, NoticeKind.WINDOW, NoticeKind.RECOMMENDATION, NoticeKind.DIGEST),
}


def kinds_for(role: Role) -> tuple[NoticeKind, ...]:
    return KINDS_OF_ROLE.get(Role(role), ())
