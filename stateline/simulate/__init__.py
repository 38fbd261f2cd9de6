"""The national policy-impact simulator: a year of DMV query traffic, replayed through state law.

``generate`` draws a year of queries calibrated to the published Nlets figures (``published``)
and the modelling choices written down in ``mix``, and writes them as Parquet partitioned by
state and month; ``replay`` decides every query by each state's Cedar bundle, or one swapped
in, deciding each distinct combination of attributes once and joining the counts in DuckDB.
It reads no ledger and writes nothing but its own output folder; every agency in it is
synthetic.
"""
