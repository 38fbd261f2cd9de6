"""Synthetic data for the demo, the tests and the benchmarks: people with licences, vehicles and
photos (``people``, from ``names``, ``places``, ``patterns``, ``catalogue`` and ``photo``), a
directory of agencies (``agencies``) and the demo night's traffic (``traffic``). Nothing here is
real and nothing in a node's production path imports it: the records a node serves are
whatever its store holds."""
