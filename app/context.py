"""The workspace context: what every workspace and evidence route works with, resolved once per
request by its dependencies (the guard on the kab/kota, the session, the user, the instrument),
instead of six parameters threaded through each helper."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from app.config import Settings
from app.deps import CatalogueDep, CurrentUser, Place, ScorerDep, SessionDep, WorkPlace
from app.evidence import EvidenceStore
from app.models import User
from indicators import Catalogue
from scoring import Scorer

PREFIX = "/r/{regency_code}/{year}"  # every workspace route's: the kab/kota and the cycle


@dataclass
class Workspace:
    """One request in a kab/kota's workspace, by a user the guard admitted there."""

    request: Request
    session: Session
    place: Place
    user: User
    catalogue: Catalogue
    scorer: Scorer

    @property
    def settings(self) -> Settings:
        settings: Settings = self.request.app.state.settings
        return settings

    @property
    def store(self) -> EvidenceStore:
        store: EvidenceStore = self.request.app.state.evidence
        return store

    @property
    def max_upload_mb(self) -> int:
        return self.settings.max_upload_mb


async def get_workspace(request: Request, place: WorkPlace, session: SessionDep, user: CurrentUser,
                        catalogue: CatalogueDep, scorer: ScorerDep) -> Workspace:
    return Workspace(request, session, place, user, catalogue, scorer)


WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]
