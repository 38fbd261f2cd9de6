"""A simulated year's manifest: how it was drawn, what it holds, and the figures it matches."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stateline.simulate.errors import SimulationError

FORMAT = "stateline-simulated-year/1"
MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class Manifest:
    """The year, scale and seed a folder was drawn with, and its counts by state and profile."""

    format: str
    year: int
    scale: float
    seed: int
    queries: int
    agencies: int
    by_state: dict[str, int]
    by_profile: dict[str, int]
    figures: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def read_manifest(folder: Path) -> Manifest:
    """The manifest of a simulated year; ``SimulationError`` if ``folder`` is not one."""
    if not folder.is_dir():
        raise SimulationError(f"{folder} does not exist or is not a folder")
    path = folder / MANIFEST
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError as error:
        raise SimulationError(f"{folder} is not a simulated year: {MANIFEST} is missing") from error
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SimulationError(f"{path} is corrupt: {error}") from error
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise SimulationError(f"{path} is not a manifest of format {FORMAT}")
    try:
        return Manifest(
            format=str(raw["format"]),
            year=int(raw["year"]),
            scale=float(raw["scale"]),
            seed=int(raw["seed"]),
            queries=int(raw["queries"]),
            agencies=int(raw["agencies"]),
            by_state={str(k): int(v) for k, v in raw["by_state"].items()},
            by_profile={str(k): int(v) for k, v in raw["by_profile"].items()},
            figures=list(raw["figures"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise SimulationError(f"{path} is corrupt: {error!r}") from error
