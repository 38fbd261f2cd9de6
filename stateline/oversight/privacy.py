"""Differential privacy for the public statistics: a privacy-loss budget split across figures,
each figure released through OpenDP's discrete Laplace mechanism with its 95% margin of error.

A figure here is a count in which each person counts at most once, so adding or removing any
one person changes it by at most one (its sensitivity). The budget ``epsilon`` is split equally
across the figures; each figure's noise scale is the smallest OpenDP proves within its share,
and OpenDP's own accounting of all of them together (basic composition: the shares add up) must
come to no more than ``epsilon``, or nothing is released. The noise is symmetric around zero,
so a noisy figure is unbiased; OpenDP draws it from the operating system's secure randomness,
which cannot be seeded.

A noisy figure below :func:`threshold` is suppressed. The test is on the noisy figure, after
the noise, never on the true count: a decision made on the true count would itself tell
something about the people behind it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from importlib.metadata import version
from typing import Any

import opendp.prelude as dp

# Noise on integers and the composition of measurements are in OpenDP's "contrib" set.
dp.enable_features("contrib")

CONFIDENCE = 0.95
"""How sure each margin of error is: the true count lies within it 95 times in 100."""

MINIMUM = 10
"""The smallest noisy figure published, whatever the budget (see :func:`threshold`)."""

SENSITIVITY = 1
"""How much one person can change one figure: each person counts at most once in each."""

MECHANISM = "discrete Laplace (OpenDP make_laplace over integers)"

_SPACE = (dp.atom_domain(T="i64"), dp.absolute_distance(T="i64"))


class PrivacyError(ValueError):
    """A budget that cannot be spent as asked; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class Share:
    """One figure's part of the budget: the epsilon OpenDP proves it spends, its noise scale
    and its margin of error (the noise stays within it at :data:`CONFIDENCE`)."""

    epsilon: float
    scale: float
    margin: int


@dataclass(frozen=True, slots=True)
class Budget:
    """A budget split across ``len(shares)`` figures, and what OpenDP says they spend together."""

    epsilon: float
    shares: tuple[Share, ...]
    spent: float


@dataclass(frozen=True, slots=True)
class Noisy:
    """A figure as released: the noisy count and its 95% interval, or suppressed."""

    value: int
    low: int
    high: int
    share: Share
    suppressed: bool


def _laplace(scale: float) -> dp.Measurement:
    return dp.m.make_laplace(*_SPACE, scale=scale)


def _spent(measurement: dp.Measurement) -> float:
    """The epsilon OpenDP proves ``measurement`` spends when one person changes a count by one."""
    return float(measurement.map(SENSITIVITY))  # type: ignore[no-untyped-call]


def margin(scale: float, confidence: float = CONFIDENCE) -> int:
    """The smallest whole ``m`` with P(|noise| > m) <= 1 - ``confidence`` for discrete Laplace
    noise of ``scale``: P(|noise| >= k) = 2 a^k / (1 + a) for k >= 1, where a = exp(-1/scale).

    OpenDP's ``discrete_laplacian_scale_to_accuracy`` agrees (a test checks), but overflows on
    the tiny scales a very large budget gives."""
    a = math.exp(-1 / scale)
    needed = scale * math.log(2 / ((1 - confidence) * (1 + a)))
    # Rounded up a hair: a margin too wide keeps its promise, one too narrow does not.
    return max(0, math.ceil(needed * (1 + 1e-12)) - 1)


def threshold(share: Share) -> int:
    """The smallest noisy figure published: :data:`MINIMUM`, or the margin of error where it
    is larger (below it, a figure cannot be told apart from none at all)."""
    return max(MINIMUM, share.margin)


def split(epsilon: float, figures: int) -> Budget:
    """``epsilon`` split equally across ``figures`` figures, each of sensitivity one.

    Each share is at most ``epsilon / figures``; where rounding would let OpenDP's account of
    the whole exceed ``epsilon``, the shares are made a hair smaller until it does not.
    """
    if not math.isfinite(epsilon) or epsilon <= 0:
        raise PrivacyError(f"--epsilon must be a number above 0, not {epsilon}")
    if figures < 1:
        raise PrivacyError("a budget is split across one figure or more")
    target = epsilon / figures
    for _ in range(64):
        scale = dp.binary_search_param(_laplace, d_in=SENSITIVITY, d_out=target)
        each = _laplace(scale)
        spent = _spent(dp.c.make_composition([each] * figures))
        share_epsilon = _spent(each)
        # Both OpenDP's account (rounded up) and the exact sum of the shares stay within.
        if spent <= epsilon and Fraction(share_epsilon) * figures <= Fraction(epsilon):
            share = Share(share_epsilon, scale, margin(scale))
            return Budget(epsilon, (share,) * figures, spent)
        target *= 1 - 2**-30
    raise PrivacyError(f"cannot split epsilon {epsilon} across {figures} figures")


def add_noise(count: int, share: Share) -> Noisy:
    """``count`` with noise drawn for ``share``: a fresh draw each call, which spends the share
    again (publish one release, never an average of several)."""
    value = int(_laplace(share.scale)(count))
    return Noisy(
        value,
        value - share.margin,
        value + share.margin,
        share,
        suppressed=value < threshold(share),
    )


def statement(budget: Budget, unit: str) -> dict[str, Any]:
    """What a release says of its protection: the budget, how it was split and spent, the
    mechanism, the unit of privacy and its bound, the intervals and the threshold."""
    return {
        "epsilon": budget.epsilon,
        "spent": budget.spent,
        "figures": len(budget.shares),
        "split": "equally across the figures about people",
        "mechanism": MECHANISM,
        "opendp": version("opendp"),
        "unit": unit,
        "contribution_bound": "each person counts at most once in each figure",
        "confidence": CONFIDENCE,
        "threshold": (
            f"a noisy figure below {MINIMUM}, or below its own margin of error where that is "
            "larger, is suppressed; the test is on the noisy figure, never the true count"
        ),
        "each_run": "draws new noise and spends the budget again: publish one release",
    }
