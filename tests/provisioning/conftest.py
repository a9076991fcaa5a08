"""Fixtures for the owner side's tests (collector, back office): one PostgreSQL server for
the whole run when one can be had."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL server: POS_TEST_PG_URL, or a throwaway cluster of the tests' own."""
    from collector.postgres import PostgresUnavailable, PrivatePostgres

    given = os.environ.get("POS_TEST_PG_URL")
    if given:
        yield given
        return
    try:
        server = PrivatePostgres().start()
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield server.url
    finally:
        server.stop()
