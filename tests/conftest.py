"""Shared fixtures: each real database backend, and a whole exchange built in one process.

``engine`` runs a test twice: on a fresh SQLite file and on a fresh schema of the PostgreSQL
server that ``scripts/postgres.sh`` starts (``./dev test`` starts it). Under CI a missing
PostgreSQL is an error, never a skip.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, event, text

from stateline.config import Config
from stateline.storage.engine import open_engine, sqlite_url

if TYPE_CHECKING:
    from stateline.bootstrap import System
    from stateline.node.records.model import Person
    from stateline.node.service import StateNode

POSTGRES_URL = os.environ.get("STATELINE_TEST_POSTGRES_URL")
PEOPLE = 25
SEED = 7


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A real, empty database: a SQLite file, or a private schema on PostgreSQL."""
    if request.param == "sqlite":
        eng = open_engine(sqlite_url(str(tmp_path / "test.sqlite")))
        yield eng
        eng.dispose()
        return
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("STATELINE_TEST_POSTGRES_URL is not set: run the tests with ./dev test")
        pytest.skip("PostgreSQL not started (./dev test starts it)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = open_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    eng = open_engine(POSTGRES_URL)

    @event.listens_for(eng, "connect")
    def _search_path(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET search_path TO {schema}")
        cursor.close()
        dbapi_connection.commit()

    yield eng
    eng.dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


# A whole exchange in one process: the demo directory, 51 nodes with synthetic records, the hub.
@pytest.fixture(scope="session")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Config:
    from stateline import demo

    config = Config(data_dir=Path(tmp_path_factory.mktemp("exchange")) / "data")
    demo.prepare(config, PEOPLE, SEED)
    # As it was before any test sent traffic through it: tests that count what they send copy
    # this, with the same credentials, rather than the exchange earlier tests have used.
    shutil.copytree(config.data_dir, pristine_dir(config))
    return config


def pristine_dir(prepared: Config) -> Path:
    """A copy of the prepared exchange's data directory that no test writes to."""
    return prepared.data_dir.parent / "pristine"


def fresh_copy(prepared: Config, into: Path) -> Path:
    """A copy of the prepared exchange as no test has used it, at ``into``."""
    shutil.copytree(pristine_dir(prepared), into)
    return into


@pytest.fixture
def system(prepared: Config) -> Iterator[System]:
    from stateline.bootstrap import build

    built = build(prepared)
    yield built
    built.close()


@pytest.fixture
def own_system(prepared: Config, tmp_path: Path) -> Iterator[System]:
    """A whole exchange of the test's own, on a fresh copy of the prepared one. For tests whose
    traffic does not pass through the hub's log (deliveries handed to a node directly, or over
    a transport the hub's exchange does not log): on the shared exchange they would leave
    disclosures with no logged answer, which later tests' reconciliations rightly count."""
    from dataclasses import replace

    from stateline.bootstrap import build

    built = build(replace(prepared, data_dir=fresh_copy(prepared, tmp_path / "data")))
    yield built
    built.close()


@pytest.fixture(scope="session")
def tokens(prepared: Config) -> dict[str, str]:
    from stateline import demo

    return demo.load_tokens(prepared)


@pytest.fixture(scope="session")
def people() -> dict[str, list[Person]]:
    """The same synthetic people the nodes hold, regenerated from the seed."""
    from stateline.synthetic.people import generate_people

    return {s: list(generate_people(s, PEOPLE, SEED)) for s in ("NY", "NJ", "CA", "TX", "WA")}


@pytest.fixture
def redelivered_ny(own_system: System) -> StateNode:
    """New York's node as a cluster runs it, keeping its answers for deliveries that come
    again (JetStream), over the same database and ledger as ``own_system``'s NY node."""
    from stateline.bootstrap import open_node
    from stateline.node.policy.decide import CedarPolicy

    system = own_system
    served = system.nodes["NY"]
    assert isinstance(served.policy, CedarPolicy)
    return open_node(
        "NY",
        system.engines["NY"],
        served.policy,
        served.ledger,
        system.keys["NY"],
        served.commits,
        system.exchange,
        redelivered=True,
    )
