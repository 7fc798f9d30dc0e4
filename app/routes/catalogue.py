"""The instrument, read-only: parts, indicators, questions, points, scales and agencies."""

from fastapi import APIRouter, Request

from app.deps import OptionalUser
from app.templating import render

router = APIRouter(prefix="/instrumen", tags=["catalogue"])


@router.get("", name="catalogue")
def catalogue_page(request: Request, user: OptionalUser, part: str | None = None):
    """Open to anyone; `user` is loaded so that a signed-in user keeps the page header (name, way home)."""
    catalogue = request.app.state.catalogue
    parts = catalogue.data.parts
    chosen = next((p for p in parts if p.code == part), None)
    return render(
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
