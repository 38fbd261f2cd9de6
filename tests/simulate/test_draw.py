"""The column draws: the alias method draws each outcome as often as its weight says, and a
profile's combinations are its mixes multiplied."""

from __future__ import annotations

import numpy as np
import pytest

from stateline.simulate.draw import alias_table, combinations, hour_weights
from stateline.simulate.mix import HOURS, PROFILES, WEEKDAYS, Profile


def test_alias_draws_follow_the_weights() -> None:
    weights = np.array([1.0, 2.0, 3.0, 4.0, 0.0])
    table = alias_table(weights, {})
    drawn = table.draw(np.random.default_rng(5), 1_000_000)
    shares = np.bincount(drawn, minlength=5) / len(drawn)
    assert shares[4] == 0
    assert np.allclose(shares[:4], weights[:4] / weights.sum(), atol=0.002)


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_each_profiles_mixes_add_up_to_one(profile: Profile) -> None:
    assert sum(r.weight for r in profile.reasons) == pytest.approx(1.0)
    assert sum(q.weight for q in profile.searches) == pytest.approx(1.0)


def test_combinations_are_the_mixes_multiplied() -> None:
    ice = next(p for p in PROFILES if p.name == "ice-ero")
    table = combinations(ice, "CA")
    drawn = table.draw(np.random.default_rng(1), 400_000)
    photo = table.codes["photo"][drawn].astype(bool)
    dq = table.codes["mke"][drawn] == 0
    assert not photo[~dq].any()
    assert photo[dq].mean() == pytest.approx(ice.photo, abs=0.01)
    cards = table.codes["credential"][drawn] == 2
    assert cards.mean() == pytest.approx(0.03, abs=0.003)  # California issues AB 60 licences
    assert not (combinations(ice, "TX").codes["credential"] == 2).any()


def test_hours_of_a_month_follow_the_day_and_the_week() -> None:
    weights = hour_weights("office", 2025, 2)  # 1 February 2025 is a Saturday
    assert len(weights) == 28 * 24 and weights.sum() == pytest.approx(1.0)
    saturday, monday = weights[:24].sum(), weights[48:72].sum()
    assert saturday / monday == pytest.approx(WEEKDAYS["office"][5] / WEEKDAYS["office"][0])
    assert weights[10] / weights[3] == pytest.approx(HOURS["office"][10] / HOURS["office"][3])
