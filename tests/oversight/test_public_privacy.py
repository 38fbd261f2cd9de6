"""The public statistics' privacy mechanism: the budget split never spends more than epsilon,
however many figures share it, and the noisy figures are unbiased, with 95% intervals that hold.

OpenDP draws its noise from the operating system's secure randomness, which cannot be seeded:
the statistical tests allow five standard errors, so a true mechanism fails one about once in
three million runs.
"""

from __future__ import annotations

import math
from fractions import Fraction

import opendp.prelude as dp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stateline.oversight.privacy import (
    MINIMUM,
    PrivacyError,
    Share,
    add_noise,
    margin,
    split,
    statement,
    threshold,
)
from stateline.oversight.public import FIGURES, UNIT, publish


def assert_within(epsilon: float, figures: int) -> None:
    budget = split(epsilon, figures)
    assert len(budget.shares) == figures
    # OpenDP's own account, rounded up, and the exact sum of what each share spends.
    assert budget.spent <= epsilon
    assert sum(Fraction(s.epsilon) for s in budget.shares) <= Fraction(epsilon)
    each = dp.m.make_laplace(
        dp.atom_domain(T="i64"), dp.absolute_distance(T="i64"), scale=budget.shares[0].scale
    )
    composed = dp.c.make_composition([each] * figures)
    assert composed.map(1) <= epsilon  # type: ignore[no-untyped-call]
    # ... and none of the budget is thrown away beyond rounding.
    assert budget.spent >= epsilon * (1 - 1e-6)


@pytest.mark.parametrize(
    ("epsilon", "figures"),
    [
        (1.0, len(FIGURES)),
        (1.0, 6),
        (1.0, 7),
        (0.1, 3),
        (1 / 3, 1000),
        (7.77, 13),
        (1e-6, 2),
        (1e3, 5),
        (0.5, 1),
        (2.0, 999),
    ],
)
def test_the_budget_is_never_exceeded(epsilon: float, figures: int) -> None:
    assert_within(epsilon, figures)


@settings(max_examples=40, deadline=None)
@given(
    epsilon=st.floats(min_value=1e-4, max_value=100, allow_nan=False, allow_infinity=False),
    figures=st.integers(min_value=1, max_value=400),
)
def test_the_budget_is_never_exceeded_whatever_the_split(epsilon: float, figures: int) -> None:
    assert_within(epsilon, figures)


@pytest.mark.parametrize("epsilon", [0.0, -1.0, -0.0, math.nan, math.inf])
def test_a_budget_that_is_not_above_zero_is_refused(epsilon: float) -> None:
    with pytest.raises(PrivacyError, match="--epsilon must be a number above 0"):
        split(epsilon, 7)
    with pytest.raises(PrivacyError, match="one figure or more"):
        split(1.0, 0)


def standard_deviation(scale: float) -> float:
    """Of the discrete Laplace distribution: P(k) is proportional to exp(-|k| / scale)."""
    a = math.exp(-1 / scale)
    return math.sqrt(2 * a) / (1 - a)


def test_noisy_figures_are_unbiased_and_their_intervals_hold() -> None:
    budget = split(1.0, len(FIGURES))
    truth = {f.name: 40 * n for n, f in enumerate(FIGURES)}  # 0 too: no clamping at zero
    draws = 2_000
    totals = dict.fromkeys(truth, 0)
    covered = dict.fromkeys(truth, 0)
    for _ in range(draws):
        for published in publish(truth, budget):
            name, noisy = published.figure.name, published.noisy
            assert noisy is not None
            totals[name] += noisy.value
            covered[name] += noisy.low <= truth[name] <= noisy.high
            assert noisy.high - noisy.value == noisy.value - noisy.low == noisy.share.margin
    share = budget.shares[0]
    tolerance = 5 * standard_deviation(share.scale) / math.sqrt(draws)
    for name, count in truth.items():
        assert abs(totals[name] / draws - count) <= tolerance, name
        least = 0.95 - 5 * math.sqrt(0.95 * 0.05 / draws)
        assert covered[name] / draws >= least, name


def test_one_share_alone_is_unbiased_at_a_small_budget() -> None:
    (share,) = split(0.05, 1).shares
    draws = 4_000
    mean = sum(add_noise(1_000, share).value for _ in range(draws)) / draws
    assert abs(mean - 1_000) <= 5 * standard_deviation(share.scale) / math.sqrt(draws)


@pytest.mark.parametrize("scale", [0.1, 0.5, 1.0, 2.0, 3.3, 7.0, 12.345, 100.0, 3000.0, 1e5])
def test_the_margin_is_opendps_accuracy(scale: float) -> None:
    accuracy = dp.discrete_laplacian_scale_to_accuracy(scale, 0.05)
    assert margin(scale) == math.floor(accuracy)


def test_a_noisy_figure_below_the_threshold_is_suppressed() -> None:
    # A budget so large the noise is nil: what is suppressed shows in the true count.
    (share,) = split(1e6, 1).shares
    assert share.margin == 0 and threshold(share) == MINIMUM
    assert add_noise(MINIMUM - 1, share).suppressed
    shown = add_noise(MINIMUM, share)
    assert not shown.suppressed and shown.value == MINIMUM
    # At a small budget the margin of error sets the threshold.
    wide = Share(epsilon=0.01, scale=100.0, margin=299)
    assert threshold(wide) == 299


def test_the_statement_names_the_budget_and_how_it_was_spent() -> None:
    budget = split(1.0, len(FIGURES))
    said = statement(budget, UNIT)
    assert said["epsilon"] == 1.0 and said["spent"] <= 1.0
    assert said["figures"] == len(FIGURES)
    assert "at most once in each figure" in said["contribution_bound"]
    assert said["confidence"] == 0.95
