"""Liveness: the process answers and its instrument is loaded."""

from fastapi import APIRouter, Request

router = APIRouter(tags=["health"])


@router.get("/health")
def health(request: Request) -> dict:
    catalogue = request.app.state.catalogue
    return {"status": "ok", "instrument": catalogue.data.instrument.code, "questions": len(catalogue.questions)}
