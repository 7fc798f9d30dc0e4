"""One Jinja environment for every page: autoescaped, i18n through the request's locale."""

from __future__ import annotations

import gzip
import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import Response
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup

from app import i18n
from app.charts import stage_bars, stage_legend
from app.clock import local_time
from app.csrf import csrf_token
from app.labels import coordinator_decision_label, returned_by_label, role_label, stage_label
from app.models import AnswerStatus, Role
from app.services import recommendations
from app.services.review import kab_kota_menu
from app.static_assets import assets
from scoring import Stage

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    extensions=["jinja2.ext.i18n"],
)
templates = Jinja2Blocks(env=env)


@pass_context
def url_for(context: Context, name: str, /, **path_params: Any) -> str:
    """The path of a named route, as Starlette's `url_for` but memoised: looking a route up by
    name walks the route table each time, and a page can hold dozens of links."""
    request: Request = context["request"]
    if name == "static" and set(path_params) == {"path"} and assets.get(str(path_params["path"])) is not None:
        # issue 25, budget: an asset named the old way still gets its versioned, year-long cacheable URL.
        return static_url(context, str(path_params["path"]))
    router = request.scope["router"]
    key = (name, *sorted((k, str(v)) for k, v in path_params.items()))
    paths = router.__dict__.setdefault("_paths_by_name", {})  # dies with its app
    path: str | None = paths.get(key)
    if path is None:
        if len(paths) > 50_000:
            paths.clear()
        path = paths[key] = str(router.url_path_for(name, **path_params))
    root: str = request.scope.get("root_path", "")
    return root + path


@pass_context
def static_url(context: Context, name: str) -> str:
    """A static file's versioned URL (`static_url('app.css')` -> /static/app.3f9a1c2e.css), cached for a
    year by browsers (app.static_assets; issue 25, budget). A file that does not exist raises: a page that
    names one is a mistake the tests catch."""
    request = context.get("request")
    root: str = request.scope.get("root_path", "") if request is not None else ""
    return f"{root}/static/{assets.url_path(name)}"


env.globals["url_for"] = url_for  # after Jinja2Blocks, which installs Starlette's
env.globals["static_url"] = static_url  # issue 25, budget
env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
env.globals["pick"] = i18n.pick
env.globals["stage_bars"] = stage_bars
env.globals["stage_legend"] = stage_legend
env.globals["current_language"] = i18n.current_language.get
env.globals["stage_label"] = stage_label
# The states themselves, so templates name them (`Stage.PROVINCE`) instead of spelling their values.
env.globals["Stage"] = Stage
env.globals["AnswerStatus"] = AnswerStatus
env.globals["Role"] = Role
env.globals["returned_by_label"] = returned_by_label
env.globals["coordinator_decision_label"] = coordinator_decision_label  # issue 24: never the DP3A's
env.globals["role_label"] = role_label
env.globals["kab_kota_menu"] = kab_kota_menu
env.globals["recommendation_note"] = recommendations.note_form  # the review page's "make it a recommendation"
env.globals["recommendation_status"] = recommendations.status_label
env.filters["points"] = i18n.format_cents  # points stored as cents: 1250 -> "12,50"


def decimal_points(value: Decimal) -> str:
    """A catalogue maximum (Decimal) shown with two decimals in the UI language."""
    return i18n.format_decimal_points(value)


env.filters["maxpoints"] = decimal_points
env.filters["percent"] = decimal_points  # a computed percentage, two decimals: 60 -> "60,00"


def answer_value(value: Decimal | str | float | None) -> str:
    """A number answer as a person writes it ("50", "87,5"), not as the column stores it ("50.0000")."""
    if value is None:
        return ""
    return i18n.format_number(Decimal(value))


env.filters["answervalue"] = answer_value


@pass_context
def language_link(context: Context, language: str) -> str:
    """The same page in another language: its other query parameters (a filter, a page) kept."""
    request = context.get("request")
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] if request is not None else []
    return "?" + urlencode([*kept, ("lang", language)])


env.globals["language_link"] = language_link

env.filters["localtime"] = local_time  # app.clock: the one place for WIB
env.filters["filesize"] = i18n.format_file_size


def dom_id(code: str) -> str:
    """Question codes hold dots ("1.2a"), which CSS selectors read as classes: use a safe form in ids."""
    return code.replace(".", "_")


env.filters["domid"] = dom_id


def is_partial(request: Request) -> bool:
    """HTMX swaps a fragment, except when restoring history (then it needs the page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


QUESTION_PAGE = re.compile(r"/isian/[^/?#]+/?$")


@pass_context
def list_on_page(context: Context) -> bool:
    """Whether the page an HTMX request came from shows the workspace list: a question also has a
    page of its own (linked from the history, the notices and the review), where the list's row
    badges, file counts and progress card are absent and htmx would log each out-of-band update
    of them as an error."""
    current = context["request"].headers.get("HX-Current-URL", "")
    try:
        path = urlsplit(current).path
    except ValueError:  # a broken header: assume the list, the common case
        return True
    return not QUESTION_PAGE.search(path)


env.globals["list_on_page"] = list_on_page


def compile_all() -> int:
    """Load every template into the environment's cache; returns how many."""
    names = env.list_templates(filter_func=lambda name: name.endswith(".html"))
    for name in names:
        env.get_template(name)
    return len(names)


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, block: str | None = None,
           status_code: int = 200) -> Response:
    """Render a page, or only `block` of it for an HTMX request."""
    context = dict(context or {})
    context.setdefault("user", getattr(request.state, "user", None))
    context.setdefault("csrf_token", csrf_token(request))
    context.setdefault("flash", request.session.pop("flash", None))
    if block and is_partial(request):
        response = templates.TemplateResponse(request, name, context, block_name=block, status_code=status_code)
    else:
        response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Vary"] = "HX-Request, Accept-Encoding"
    return compressed(request, response)


def render_fragment(request: Request, name: str, context: dict[str, Any]) -> Markup:
    """A partial rendered to HTML on its own, for a route to cache and place into its page."""
    return Markup(env.get_template(name).render({"request": request, **context}))


COMPRESS_FROM = 8_000  # bytes; pages of a few hundred KB (the assignment grid) shrink ~20 times


def compressed(request: Request, response: Response) -> Response:
    """Gzip a large page for a slow connection. Done here, for HTML only: a global middleware
    would also spend CPU re-compressing PDF and image downloads that gain nothing."""
    body = getattr(response, "body", b"")
    if len(body) < COMPRESS_FROM or "gzip" not in request.headers.get("accept-encoding", ""):
        return response
    response.body = gzip.compress(body, compresslevel=5)
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Content-Length"] = str(len(response.body))
    return response
