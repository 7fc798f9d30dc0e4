"""DP3A administration: agencies and their accounts, who answers what, the answering window."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.deps import AdminPlace
from app.templating import render

router = APIRouter(prefix="/r/{regency_code}/{year}/kelola", tags=["administration"])


@router.get("", name="administration")
def administration(request: Request, place: AdminPlace):
    return render(request, "administration/index.html", {"place": place})
