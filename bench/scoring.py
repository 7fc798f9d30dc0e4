"""Score the whole nation: 514 regions x 274 answers, generated. Target <= 50 ms.

    .venv/bin/python bench/scoring.py [--regions 514] [--repeat 7]

Prints the best and median time of scoring every region (self-assessed), and
of the verified score with every answer reviewed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from indicators import load_catalogue  # noqa: E402
from scoring import ReviewStatus, Scorer, Verdict, category_for  # noqa: E402
from scoring.samples import random_answers  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regions", type=int, default=514)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    scorer = Scorer(load_catalogue())
    rng = random.Random(2024)
    nation = [random_answers(scorer, rng, answered_share=1.0) for _ in range(args.regions)]
    statuses = [ReviewStatus.APPROVED] * 3 + [ReviewStatus.RETURNED, ReviewStatus.WAITING]
    reviews = [{code: Verdict(rng.choice(statuses)) for code in answers} for answers in nation]
    n_answers = sum(len(a) for a in nation)

    def self_assessed():
        return [category_for(scorer, scorer.score(answers)) for answers in nation]

    def verified():
        return [category_for(scorer, scorer.verified(a, r)) for a, r in zip(nation, reviews, strict=False)]

    print(f"regions: {args.regions}, answers: {n_answers}")
    for name, run in (("self-assessed", self_assessed), ("verified", verified)):
        timings = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            run()
            timings.append((time.perf_counter() - start) * 1000)
        print(f"{name:>14}: best {min(timings):7.1f} ms   median {statistics.median(timings):7.1f} ms   (target <= 50 ms)")


if __name__ == "__main__":
    main()
