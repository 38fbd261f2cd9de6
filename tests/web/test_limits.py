"""The head limits from the environment: defaults, overrides, and a clear error for a bad value."""

from __future__ import annotations

import pytest

from stateline.web.limits import HeadLimits


def test_the_defaults_hold_where_the_environment_sets_nothing() -> None:
    assert HeadLimits.from_env({}) == HeadLimits(size=8192, lines=100, timeout=10.0)


def test_the_environment_sets_each_limit() -> None:
    environ = {
        "STATELINE_HEAD_BYTES": "16384",
        "STATELINE_HEAD_LINES": "50",
        "STATELINE_HEAD_TIMEOUT": "2.5",
    }
    assert HeadLimits.from_env(environ) == HeadLimits(size=16384, lines=50, timeout=2.5)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STATELINE_HEAD_BYTES", "lots"),
        ("STATELINE_HEAD_BYTES", "0"),
        ("STATELINE_HEAD_LINES", "1.5"),
        ("STATELINE_HEAD_TIMEOUT", "-1"),
    ],
)
def test_a_bad_value_is_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        HeadLimits.from_env({name: value})
