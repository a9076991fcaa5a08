"""Fixtures for the collector's tests: a PostgreSQL server when one can be had."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL server for the collector tests: POS_TEST_PG_URL, or one of the tests' own."""
    from .postgres import PostgresUnavailable, PrivatePostgres

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
