"""The front door."""

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

router = APIRouter(tags=["home"])


@router.get("/", name="home")
def home() -> RedirectResponse:
    return RedirectResponse("/instrumen", status_code=303)
