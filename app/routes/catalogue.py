"""The instrument, read-only: parts, indicators, questions, points, scales and agencies."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.deps import CatalogueDep, OptionalUser
from app.templating import render

router = APIRouter(prefix="/instrumen", tags=["catalogue"])


@router.get("", name="catalogue")
def catalogue_page(request: Request, user: OptionalUser, catalogue: CatalogueDep,
                   part: str | None = None) -> Response:
    """Open to anyone; `user` is loaded so that a signed-in user keeps the page header (name, way home)."""
    parts = catalogue.data.parts
    chosen = next((p for p in parts if p.code == part), None)
    page: Response = render(
        request,
        "catalogue/index.html",
        {
            "catalogue": catalogue,
            "parts": parts,
            "shown": [chosen] if chosen else parts,
            "chosen": chosen,
        },
        block="part_list",
    )
    return page
