"""A release of the public statistics as it is published: one JSON document, or one
self-contained HTML page with its charts (the Vega libraries inline) and its privacy statement.

What the figures are and how they are counted is :mod:`stateline.oversight.public`'s; this
module only shows them.
"""

from __future__ import annotations

import json
from typing import Any

import altair as alt

from stateline.oversight.charts import charts
from stateline.oversight.html import templates, vega_bundle
from stateline.oversight.privacy import MINIMUM, Share, statement, threshold
from stateline.oversight.public import NOT_RELEASED, UNIT, Published, Release
from stateline.oversight.transparency import OUTCOME_NAMES, section_json


def _figure(published: Published, share: Share) -> dict[str, Any]:
    """One figure about people: none (no request behind it), suppressed, or its noisy count
    and 95% interval."""
    noisy = published.noisy
    shown = noisy is not None and not noisy.suppressed
    return {
        "figure": published.figure.name,
        "title": published.figure.title,
        "epsilon": share.epsilon,
        "scale": share.scale,
        "margin": share.margin,
        "threshold": threshold(share),
        "none": noisy is None,
        "why_none": (
            None
            if noisy is not None
            else "no answer to these agencies carried records"
            if published.figure.sent
            else "no request from these agencies"
        ),
        "suppressed": noisy is not None and noisy.suppressed,
        "value": 0 if noisy is None else noisy.value if shown else None,
        "low": 0 if noisy is None else noisy.low if shown else None,
        "high": 0 if noisy is None else noisy.high if shown else None,
    }


def figures(release: Release) -> list[dict[str, Any]]:
    """The figures about people, as a release shows them."""
    shares = release.budget.shares
    return [_figure(p, share) for p, share in zip(release.people, shares, strict=True)]


def as_json(release: Release) -> dict[str, Any]:
    """The release as one JSON document."""
    return {
        "title": release.title,
        "covers": release.covers,
        "year": release.year,
        "made": release.made.isoformat(),
        "privacy": statement(release.budget, UNIT),
        "exact": "requests, by requester category and by agency: they describe agencies",
        "people": figures(release),
        "requests": {s.name: section_json(s) for s in release.requests},
        "not_released": [{"figure": f, "why": why} for f, why in NOT_RELEASED],
        "ledgers": [{"state": s, "size": n, "root": root} for s, n, root in release.heads],
        "unreadable_entries": release.unreadable,
    }


def as_text(release: Release) -> str:
    return json.dumps(as_json(release), indent=2) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


_ENV = templates(_cell)


def people_chart(release: Release) -> dict[str, Any] | None:
    """The published figures about people, each with its 95% interval as an error bar."""
    values = [
        {"figure": f["title"], "people": f["value"], "low": f["low"], "high": f["high"]}
        for f in figures(release)
        if f["value"] is not None and not f["none"]
    ]
    if not values:
        return None
    data = alt.Data(values=values)  # type: ignore[no-untyped-call]
    figure = alt.Y("figure:N", sort=None, title=None, axis=alt.Axis(labelLimit=360))
    base = alt.Chart(data).encode(y=figure)
    bars = base.mark_rule(color="#3b6fb6", strokeWidth=2).encode(
        x=alt.X("low:Q", title="people (95% interval)"), x2="high:Q"
    )
    points = base.mark_point(filled=True, size=70, color="#3b6fb6").encode(
        x="people:Q", tooltip=["figure:N", "people:Q", "low:Q", "high:Q"]
    )
    spec: dict[str, Any] = (bars + points).properties(width=560).to_dict()
    return spec


def render(release: Release) -> str:
    """The release as one self-contained HTML page, the Vega libraries inline."""
    drawn: dict[str, Any] = {}
    people = people_chart(release)
    if people is not None:
        drawn["people"] = people
    by_category = charts(release.report).get("by_category")
    if by_category is not None:
        by_category["title"] = "Requests by who asked"
        drawn["by_category"] = by_category
    summary = release.requests[0].rows[0]
    shares = release.budget.shares
    return _ENV.get_template("public.html").render(
        release=release,
        figures=figures(release),
        privacy=statement(release.budget, UNIT),
        per_figure=shares[0].epsilon,
        margins=sorted({s.margin for s in shares}),
        thresholds=sorted({threshold(s) for s in shares}),
        minimum=MINIMUM,
        unit=UNIT,
        not_released=NOT_RELEASED,
        cards=[("requests", summary[0])]
        + [(OUTCOME_NAMES[o], n) for o, n in zip(OUTCOME_NAMES, summary[1:], strict=True)],
        made=release.made.strftime("%Y-%m-%d %H:%M UTC"),
        charts=drawn,
        bundle=vega_bundle(),
    )
