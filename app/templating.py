"""One Jinja environment for every page: autoescaped, i18n through the request's locale."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2_fragments.fastapi import Jinja2Blocks

from app import i18n
from scoring import format_points

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    extensions=["jinja2.ext.i18n"],
)
templates = Jinja2Blocks(env=env)
env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
env.globals["pick"] = i18n.pick
env.globals["current_language"] = i18n.current_language.get
env.filters["points"] = lambda cents: format_points(cents, i18n.decimal_mark())


def decimal_points(value) -> str:
    """A catalogue maximum (Decimal) shown with two decimals in the UI language."""
    text = f"{value:.2f}"
    return text.replace(".", i18n.decimal_mark())


env.filters["maxpoints"] = decimal_points


def is_partial(request: Request) -> bool:
    """HTMX swaps a fragment, except when restoring history (then it needs the page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def render(request: Request, name: str, context: dict | None = None, *, block: str | None = None, status_code: int = 200):
    """Render a page, or only `block` of it for an HTMX request."""
    context = dict(context or {})
    if block and is_partial(request):
        response = templates.TemplateResponse(request, name, context, block_name=block, status_code=status_code)
    else:
        response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Vary"] = "HX-Request"
    return response
