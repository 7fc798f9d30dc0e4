"""ASGI entry point: `uvicorn app.main:app`. A worker that serves warms up as it starts (the
lifespan in app.factory); importing this module builds the app and does nothing else."""

from app.factory import create_app

app = create_app(warm_up=True)
