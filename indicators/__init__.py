"""The KLA instrument as data: models, loader and checks. Imports nothing from `app`."""

from indicators.catalogue import Catalogue, QuestionRef
from indicators.faults import CatalogueError, Fault
from indicators.loader import DEFAULT_CATALOGUE, load_catalogue, parse_catalogue
from indicators.models import (
    Band,
    Indicator,
    Level,
    NumberScale,
    OptionsScale,
    Part,
    PercentScale,
    Question,
)

__all__ = [
    "DEFAULT_CATALOGUE",
    "Band",
    "Catalogue",
    "CatalogueError",
    "Fault",
    "Indicator",
    "Level",
    "NumberScale",
    "OptionsScale",
    "Part",
    "PercentScale",
    "Question",
    "QuestionRef",
    "load_catalogue",
    "parse_catalogue",
]
