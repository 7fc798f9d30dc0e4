"""`kla serve`: the web app under uvicorn, refused on settings the app would refuse."""

from __future__ import annotations

import click

from app.cli.common import fail, lang_option, main
from app.cli.database import settings_problem
from app.i18n import _
from app.loopback import is_loopback


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes.")
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="uvicorn's access log; with KLA_LOG_LEVEL=INFO the app writes JSON request lines itself.")
@click.option("--keep-alive", default=75, show_default=True, type=int,
              help="Seconds an idle connection stays open (a slow network pays for every new one).")
@lang_option()
def serve(host: str, port: int, workers: int, reload: bool, access_log: bool, keep_alive: int) -> None:
    """Run the web app with uvicorn (settings from KLA_* environment variables).

    Refuses to start (exit 2, a message, no traceback) on settings the app would refuse, and with
    the public development secret on any address but loopback: only this command knows the address.
    """
    import uvicorn

    refusal = serve_refusal(host)
    if refusal:
        fail(refusal)
    click.echo(f"KLA: http://{host}:{port}/")
    uvicorn.run("app.main:app", host=host, port=port, workers=workers, reload=reload, proxy_headers=True,
                access_log=access_log, timeout_keep_alive=keep_alive)


def serve_refusal(host: str) -> str | None:
    """Why `kla serve` must not start with the KLA_* settings of the environment on `host`, or None."""
    settings, problem = settings_problem()
    if settings is None:
        return problem
    if settings.uses_development_secret and not is_loopback(host):
        return _("With the development key (KLA_SECRET_KEY not set) the app may only serve a loopback address "
                 "(127.0.0.1, ::1, localhost), not %(host)s: anyone can forge a session with that key. Set "
                 "KLA_SECRET_KEY and KLA_ENVIRONMENT=production to serve the network.") % {"host": host}
    return None
