"""Our estimate against the ministry's own score (Nilai EM), to calibrate the provisional scales.

The DP3A records, per question, the score the ministry's application (evaluasikla.id) gave once the
answer was entered there. Our estimate is the self-assessed points the scorer gives for the same
answer. Compared only where an official figure is recorded: per question, per indicator, per part
and in total (sums of question points, before an indicator's cap), each saying how many questions
it compares; and per answer scale and per answer on it (each option of an options scale, a typed
value, "not applicable"): how often and by how much our points differ from the official ones, so
that the scales of `data/kla_clusters.yaml` can be recalibrated where they differ most.

All points are whole cents (hundredths), as everywhere in `scoring`; a difference is ours minus
the official figure (positive: our scale gives more than the ministry's application did).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from indicators import Catalogue, OptionsScale
from scoring.answers import Answer
from scoring.engine import Scorer

# What was answered, besides an option's code (option codes are letters, digits, "_", "." and "-").
VALUE = "~value"  # a typed percentage or number
NOT_APPLICABLE = "~na"  # "tidak berlaku"
UNANSWERED = "~none"  # nothing answered: the scorer gives 0


@dataclass(frozen=True, slots=True)
class Observed:
    """One question: our estimate and, where recorded, the official figure (both in cents)."""

    code: str
    indicator: str
    part: str
    scale: str
    answer: str  # an option's code, VALUE, NOT_APPLICABLE or UNANSWERED
    max_cents: int
    ours: int
    official: int | None = None

    @property
    def compared(self) -> bool:
        return self.official is not None

    @property
    def difference(self) -> int:
        """Ours minus the official figure (0 where none is recorded)."""
        return self.ours - self.official if self.official is not None else 0


@dataclass(frozen=True, slots=True)
class Sums:
    """Questions of one indicator, part or the whole instrument: what is compared and how it differs."""

    questions: int = 0  # in the group
    compared: int = 0  # with an official figure
    ours: int = 0  # our estimate over the compared questions only
    official: int = 0
    differing: int = 0  # compared questions whose figures differ

    @property
    def difference(self) -> int:
        return self.ours - self.official

    def add(self, seen: Observed) -> Sums:
        if seen.official is None:
            return Sums(self.questions + 1, self.compared, self.ours, self.official, self.differing)
        return Sums(self.questions + 1, self.compared + 1, self.ours + seen.ours, self.official + seen.official,
                    self.differing + (seen.ours != seen.official))


@dataclass(frozen=True, slots=True)
class Spread:
    """How our points differ from the official ones over a set of compared questions."""

    count: int = 0
    differing: int = 0
    total_difference: int = 0  # cents, ours minus official
    total_absolute: int = 0  # cents
    max_cents: int = 0  # the most these questions could earn together
    ours: int = 0
    official: int = 0

    def add(self, seen: Observed) -> Spread:
        assert seen.official is not None
        gap = seen.ours - seen.official
        return Spread(self.count + 1, self.differing + (gap != 0), self.total_difference + gap,
                      self.total_absolute + abs(gap), self.max_cents + seen.max_cents, self.ours + seen.ours,
                      self.official + seen.official)

    @property
    def mean_difference(self) -> Fraction:
        """Cents per question (ours minus official); 0 over no question."""
        return Fraction(self.total_difference, self.count) if self.count else Fraction(0)

    @property
    def mean_absolute(self) -> Fraction:
        return Fraction(self.total_absolute, self.count) if self.count else Fraction(0)

    @property
    def ours_share(self) -> Fraction | None:
        """Our points as a share of the maximum (what the scale gives), None without a maximum."""
        return Fraction(self.ours, self.max_cents) if self.max_cents else None

    @property
    def official_share(self) -> Fraction | None:
        """The official points as a share of the maximum: what the scale would give if it matched."""
        return Fraction(self.official, self.max_cents) if self.max_cents else None


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """One answer on a scale (an option, a typed value, "not applicable") and its spread."""

    answer: str
    spread: Spread


@dataclass(frozen=True, slots=True)
class ScaleRow:
    """One answer scale: its spread over every compared question on it, and per answer."""

    scale: str
    spread: Spread
    answers: tuple[AnswerRow, ...]


@dataclass(frozen=True)
class Comparison:
    """Everything compared, in instrument order; the scales with the largest total difference first."""

    questions: tuple[Observed, ...]  # compared questions only
    indicators: dict[str, Sums]
    parts: dict[str, Sums]
    total: Sums
    scales: tuple[ScaleRow, ...]
    unanswered: int = 0  # compared questions we have no answer for (left out of the scales)
    codes: frozenset[str] = field(default_factory=frozenset)  # of the compared questions

    @property
    def differing(self) -> tuple[Observed, ...]:
        return tuple(q for q in self.questions if q.ours != q.official)


def answer_key(answer: Answer | None, takes_option: bool) -> str:
    """What was answered, as the calibration groups it."""
    if answer is None:
        return UNANSWERED
    if answer.not_applicable:
        return NOT_APPLICABLE
    if takes_option and answer.option is not None:
        return answer.option
    return VALUE


def observe(scorer: Scorer, answers: Mapping[str, Answer], official: Mapping[str, int]) -> list[Observed]:
    """Every question of the instrument in its order, with our self-assessed points for `answers`
    and the official figure in cents where `official` has one (codes not in the instrument are
    ignored)."""
    catalogue: Catalogue = scorer.catalogue
    known = {code: answer for code, answer in answers.items() if code in scorer.questions}
    points = scorer.score(known).questions
    seen = []
    for ref in catalogue.iter_questions():
        code = ref.question.code
        compiled = scorer.questions[code]
        scale = catalogue.scales[ref.question.scale]
        seen.append(Observed(code, ref.indicator.code, ref.part.code, scale.code,
                             answer_key(known.get(code), isinstance(scale, OptionsScale)), compiled.max_cents,
                             points.get(code, 0), official.get(code)))
    return seen


def compare(observed: Iterable[Observed]) -> Comparison:
    """Sums per indicator, part and in total, and the spread per scale and answer."""
    indicators: dict[str, Sums] = {}
    parts: dict[str, Sums] = {}
    total = Sums()
    per_scale: dict[str, Spread] = {}
    per_answer: dict[str, dict[str, Spread]] = {}
    questions = []
    unanswered = 0
    for seen in observed:
        indicators[seen.indicator] = indicators.get(seen.indicator, Sums()).add(seen)
        parts[seen.part] = parts.get(seen.part, Sums()).add(seen)
        total = total.add(seen)
        if seen.official is None:
            continue
        questions.append(seen)
        if seen.answer == UNANSWERED:
            unanswered += 1
            continue
        per_scale[seen.scale] = per_scale.get(seen.scale, Spread()).add(seen)
        options = per_answer.setdefault(seen.scale, {})
        options[seen.answer] = options.get(seen.answer, Spread()).add(seen)
    scales = tuple(sorted(
        (ScaleRow(scale, spread, tuple(sorted((AnswerRow(a, s) for a, s in per_answer[scale].items()),
                                              key=lambda row: (-row.spread.total_absolute, row.answer))))
         for scale, spread in per_scale.items()),
        key=lambda row: (-row.spread.total_absolute, row.scale)))
    return Comparison(tuple(questions), indicators, parts, total, scales, unanswered,
                      frozenset(q.code for q in questions))


def comparison(scorer: Scorer, answers: Mapping[str, Answer], official: Mapping[str, int]) -> Comparison:
    return compare(observe(scorer, answers, official))
