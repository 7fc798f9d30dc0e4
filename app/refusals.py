"""The one shape of "no": a service refuses by raising `Refusal`; a route turns it into a message.

A refusal carries the sentence for the user, already in the request's language (services call
`app.i18n.gettext`, which reads the language of the request or of the `kla` command), the HTTP
status a route answers with, and a stable `code` for callers that must tell refusals apart (the
importer, the API, tests) without matching message text.

    try:
        answers.save(...)
    except Refusal as refusal:
        return render(..., message=refusal.message, status_code=refusal.status)
"""

from __future__ import annotations


class Refusal(Exception):
    """A rule refused the change; nothing was written."""

    status = 422

    def __init__(self, message: str, *, code: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        if status is not None:
            self.status = status


class Conflict(Refusal):
    """Someone else changed the thing since the user loaded it (optimistic locking)."""

    status = 409


class NotAllowed(Refusal):
    """The user may not do this here and now (a closed window, a stage passed, another's work)."""

    status = 409
