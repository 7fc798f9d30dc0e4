"""ASGI entry point: `uvicorn app.main:app`."""

import gc
import logging
import threading

from app.factory import create_app, prepare_worker
from app.services import overview

app = create_app()
prepare_worker(app)  # templates compiled, route table built: not inside the first requests

# Everything loaded at start-up (the instrument, templates, modules) lives as long as the process:
# keep it out of the collector's way so that full collections stay short under load.
gc.collect()
gc.freeze()

# Each worker scores the nation once as it starts, beside its first requests; /ready answers 503
# until then, so a proxy sends no one to a worker whose first national view would take seconds.
app.state.warmed = threading.Event()


def _warm_up() -> None:
    try:
        overview.warm_up(app.state.engine, app.state.scorer)
    except Exception as exc:  # a cold cache is slower, not wrong: it must never keep a worker from serving
        logging.getLogger("kla").warning("scores not warmed up at start (%s: %s)", type(exc).__name__, exc)
    finally:
        app.state.warmed.set()


threading.Thread(target=_warm_up, name="kla-warm-up", daemon=True).start()
