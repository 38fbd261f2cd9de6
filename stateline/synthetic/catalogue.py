"""What synthetic vehicles and driving records are made of: makes, models, colours and events."""

from __future__ import annotations

from stateline.node.records.model import HistoryKind

# fmt: off
MAKES: tuple[tuple[str, int, tuple[str, ...], tuple[tuple[str, str], ...]], ...] = (
    # (make, relative share, world manufacturer identifiers, ((model, NCIC plate type), ...))
    ("TOYOTA", 15, ("4T1", "2T1", "JTD", "5TD", "5TF"),
     (("CAMRY", "PC"), ("COROLLA", "PC"), ("RAV4", "PC"), ("TACOMA", "TK"), ("HIGHLANDER", "PC"),
      ("TUNDRA", "TK"), ("PRIUS", "PC"))),
    ("FORD", 13, ("1FA", "1FT", "1FM", "3FA"),
     (("F150", "TK"), ("ESCAPE", "PC"), ("EXPLORER", "PC"), ("FUSION", "PC"), ("FOCUS", "PC"),
      ("RANGER", "TK"), ("MUSTANG", "PC"))),
    ("CHEVROLET", 12, ("1G1", "1GC", "1GN", "3GN"),
     (("SILVERADO", "TK"), ("EQUINOX", "PC"), ("MALIBU", "PC"), ("TAHOE", "PC"),
      ("IMPALA", "PC"), ("COLORADO", "TK"))),
    ("HONDA", 10, ("1HG", "2HG", "5J6", "5FN"),
     (("CIVIC", "PC"), ("ACCORD", "PC"), ("CR-V", "PC"), ("PILOT", "PC"), ("ODYSSEY", "PC"))),
    ("NISSAN", 7, ("1N4", "JN8", "1N6"),
     (("ALTIMA", "PC"), ("ROGUE", "PC"), ("SENTRA", "PC"), ("FRONTIER", "TK"))),
    ("JEEP", 5, ("1C4",), (("WRANGLER", "PC"), ("GRAND CHEROKEE", "PC"), ("CHEROKEE", "PC"))),
    ("RAM", 4, ("1C6", "3C6"), (("1500", "TK"), ("2500", "TK"))),
    ("DODGE", 3, ("2C3", "1C3"), (("CHARGER", "PC"), ("CHALLENGER", "PC"), ("DURANGO", "PC"))),
    ("GMC", 3, ("1GT", "1GK"), (("SIERRA", "TK"), ("TERRAIN", "PC"), ("YUKON", "PC"))),
    ("HYUNDAI", 5, ("KMH", "5NP"), (("ELANTRA", "PC"), ("SONATA", "PC"), ("TUCSON", "PC"))),
    ("KIA", 4, ("KNA", "KND"), (("SORENTO", "PC"), ("OPTIMA", "PC"), ("SOUL", "PC"))),
    ("SUBARU", 4, ("JF1", "JF2", "4S4"),
     (("OUTBACK", "PC"), ("FORESTER", "PC"), ("IMPREZA", "PC"))),
    ("VOLKSWAGEN", 2, ("3VW", "1VW"), (("JETTA", "PC"), ("PASSAT", "PC"), ("TIGUAN", "PC"))),
    ("TESLA", 2, ("5YJ",), (("MODEL 3", "PC"), ("MODEL Y", "PC"))),
    ("BMW", 2, ("WBA", "5UX"), (("330I", "PC"), ("X5", "PC"))),
    ("MERCEDES-BENZ", 2, ("WDD", "4JG"), (("C300", "PC"), ("GLE350", "PC"))),
    ("MAZDA", 2, ("JM1", "JM3"), (("MAZDA3", "PC"), ("CX-5", "PC"))),
    ("HARLEY-DAVIDSON", 1, ("1HD",), (("SPORTSTER", "MC"), ("ROAD KING", "MC"))),
    ("YAMAHA", 1, ("JYA",), (("YZF-R3", "MC"), ("BOLT", "MC"))),
)
# fmt: on
"""Makes by rough share of the US fleet; the plate type follows the body (car, truck, bike)."""

COLOURS = (
    ("WHI", 24),
    ("BLK", 22),
    ("SIL", 15),
    ("GRY", 15),
    ("BLU", 9),
    ("RED", 9),
    ("BRO", 2),
    ("GRN", 1),
    ("TAN", 1),
    ("GLD", 1),
    ("MAR", 1),
)
"""NCIC vehicle colour codes, by rough share of cars on the road."""

EYES = (("BRO", 45), ("BLU", 27), ("HAZ", 10), ("GRN", 9), ("GRY", 3), ("BLK", 5), ("MUL", 1))
"""NCIC eye colour codes."""

HAIR = (("BRO", 42), ("BLK", 33), ("BLN", 14), ("RED", 4), ("SDY", 3), ("GRY", 3), ("WHI", 1))
"""NCIC hair colour codes for people under 55; older people go grey, white or bald."""

CONVICTIONS = (
    ("SPEEDING 1-10 OVER", 1, 30),
    ("SPEEDING 11-20 OVER", 3, 25),
    ("SPEEDING 21 OR MORE OVER", 4, 6),
    ("RAN RED LIGHT", 3, 8),
    ("FAILURE TO YIELD", 3, 6),
    ("FOLLOWING TOO CLOSELY", 3, 4),
    ("IMPROPER LANE CHANGE", 2, 4),
    ("HANDHELD PHONE USE", 2, 6),
    ("NO SEAT BELT", 0, 5),
    ("NO PROOF OF INSURANCE", 0, 4),
    ("RECKLESS DRIVING", 6, 2),
    ("DRIVING UNDER THE INFLUENCE", 8, 2),
)
"""(description, points, relative frequency) of moving-violation convictions."""

ACCIDENTS = (
    ("PROPERTY DAMAGE NOT AT FAULT", 0, 5),
    ("PROPERTY DAMAGE AT FAULT", 2, 4),
    ("INJURY ACCIDENT AT FAULT", 3, 1),
)
"""(description, points, relative frequency) of reported accidents."""

SUSPENSIONS = (
    ("FAILURE TO APPEAR", 6),
    ("POINT ACCUMULATION", 3),
    ("NO INSURANCE", 3),
    ("UNPAID FINES", 4),
)
"""(description, relative frequency) of suspension reasons; a revocation follows a DUI."""

EVENT_KINDS = (
    (HistoryKind.CONVICTION, 75),
    (HistoryKind.ACCIDENT, 25),
)
