"""What every command shares: the `kla` group, the language option and the ways to stop."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from app.i18n import LANGUAGES, current_language

Command = TypeVar("Command", bound=Callable[..., Any])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """KLA self-assessment tool: the instrument, scoring and the web app."""


def _speak(ctx: click.Context, _param: click.Parameter, language: str) -> str:
    """Set the language of the messages for the command, and put the previous one back after it."""
    token = current_language.set(language)
    ctx.call_on_close(lambda: current_language.reset(token))
    return language


def lang_option(*, expose_value: bool = False) -> Callable[[Command], Command]:
    """`--lang id|en`: the language the command speaks (its value passed on only if asked for)."""
    return click.option(
        "--lang",
        type=click.Choice(list(LANGUAGES)),
        default=lambda: os.environ.get("KLA_LANG", "id"),
        show_default="id, or $KLA_LANG",
        help="Language of the messages: id (Bahasa Indonesia) or en.",
        callback=_speak,
        expose_value=expose_value,
    )


def fail(message: str) -> NoReturn:
    """A refusal for the operator: the message on stderr, exit 2, no traceback."""
    click.echo(message, err=True)
    sys.exit(2)


def clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def redacted(url: str) -> str:
    """A database URL fit to print: the password hidden."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def first_line(exc: Exception) -> str:
    """The driver's own message (\"connection refused\", \"password authentication failed\"), without
    SQLAlchemy's statement dump and link."""
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__
