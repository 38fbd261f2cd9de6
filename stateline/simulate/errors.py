"""The one error the simulator raises: its message is the one line the command prints."""

from __future__ import annotations


class SimulationError(Exception):
    """Bad input to ``simulate`` or ``simulate replay``: an unknown state or bundle, a folder
    that is missing or not a simulated year, a scale that is not positive."""
