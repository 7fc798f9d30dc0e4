"""Why an upload is refused: a short code per reason, and the exception that carries it.

Its own module so that the format checks (`sniff`, `pdf_checks`, `office_checks`) can all
raise it without importing each other; `app.evidence.messages` turns a code into words.
"""

from __future__ import annotations

REFUSAL_CODES: tuple[str, ...] = (
    "empty",
    "executable",
    "html",
    "zip_bomb",
    "corrupt",
    "unknown_type",
    "pdf_active_content",
    "pdf_form_script",
    "pdf_structure",
    "office_macros",
    "office_external",
    "office_embedded",
    "encrypted",
    "too_large",
)


class RefusedFile(Exception):
    """The upload is not accepted; `code` is one of `REFUSAL_CODES`.

    `detail` is for logs (it may be technical); `params` feed the user-facing message,
    e.g. `limit_mb` for `too_large`.
    """

    def __init__(self, code: str, detail: str = "", **params: object) -> None:
        if code not in REFUSAL_CODES:
            raise ValueError(f"unknown refusal code {code!r}")
        super().__init__(code, detail)
        self.code = code
        self.detail = detail
        self.params = params

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}" if self.detail else self.code
