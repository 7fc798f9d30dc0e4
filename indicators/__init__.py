"""The KLA instrument as data: models, loader and checks. Imports nothing from `app`."""

from indicators.catalogue import Catalogue, QuestionRef
from indicators.faults import CatalogueError, Fault
from indicators.loader import DEFAULT_CATALOGUE, load_catalogue, parse_catalogue
from indicators.models import (
    Band,
    Figures,
    Indicator,
    Level,
    Measure,
    NotApplicable,
    NumberScale,
    OptionsScale,
    Part,
    PercentScale,
    Period,
    Question,
)

__all__ = [
    "DEFAULT_CATALOGUE",
    "Band",
    "Catalogue",
    "CatalogueError",
    "Fault",
    "Figures",
    "Measure",
    "NotApplicable",
    "Period",
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
