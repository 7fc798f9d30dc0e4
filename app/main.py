"""ASGI entry point: `uvicorn app.main:app`."""

import gc

from app.factory import create_app

app = create_app()

# Everything loaded at start-up (the instrument, templates, modules) lives as long as the process:
# keep it out of the collector's way so that full collections stay short under load.
gc.collect()
gc.freeze()
