"""The back office under test: Django configured once per test run on a real collector SQLite
file (Django's tables beside the collector's, as ``posctl web`` runs it), every table emptied
before each test, and helpers to log in and fill the collector through its own ingest."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("django", reason="the back office needs the web extra: pip install -e '.[web]'")

from provisioning.collector.db import CentralDB
from provisioning.web.demo import Till

PASSWORD = "correct horse battery"


def _configure() -> str:
    """Django's settings can be made once per process, and the test modules import models at
    collection time: so the back office is configured when this file is loaded, on a collector
    file in a directory of its own that is removed at exit."""
    from django.test.utils import setup_test_environment

    from provisioning.web import config

    where = Path(tempfile.mkdtemp(prefix="backoffice-test-"))
    atexit.register(shutil.rmtree, where, True)
    path = where / "collector.sqlite3"
    config.configure(
        config.WebConfig(
            db_url=str(path),
            allowed_hosts=("testserver", "127.0.0.1", "localhost"),
            reply_timeout=1.5,
            extra={"POS_WEB_FEED": {"poll": 0.05, "lifetime": 30.0}},
        )
    )
    config.migrate()
    setup_test_environment()
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    # Still Django's PBKDF2, with fewer rounds: a million rounds per login would make the
    # lockout test alone take many seconds on a shared machine.
    PBKDF2PasswordHasher.iterations = 2000
    return str(path)


WEB_DB = _configure()


@pytest.fixture(scope="session")
def web_db() -> str:
    return WEB_DB


def _empty_tables() -> None:
    from django.apps import apps

    from provisioning.web import central

    db = central.get().db
    with db.db.connection_context():
        for model in db.m.all:
            model.delete().execute()
    for model in apps.get_models():
        if model._meta.app_label in ("auth", "sessions", "axes", "backoffice"):
            model.objects.all().delete()


@pytest.fixture
def central_db(web_db: str) -> Iterator[CentralDB]:
    """The collector's database the back office reads, emptied; no store is commandable
    unless a test adds its home."""
    from provisioning.web import central

    _empty_tables()
    c = central.get()
    c.homes.clear()
    yield c.db
    c.homes.clear()


@pytest.fixture
def owner(central_db: CentralDB) -> Any:
    from provisioning.web import access

    return access.create_account("boss", PASSWORD, owner=True)


@pytest.fixture
def manager_a(central_db: CentralDB) -> Any:
    from provisioning.web import access

    return access.create_account("mgr_a", PASSWORD, stores=("shopA",))


def till(db: CentralDB, store: str, terminal: str) -> Till:
    return Till(db, store, terminal)


def client_for(user: Any, **kw: Any) -> Any:
    from django.test import Client

    c = Client(**kw)
    c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return c


@pytest.fixture
def pg_database(pg_url: str) -> Iterator[str]:
    """A fresh database on the PostgreSQL server, dropped afterwards."""
    psycopg2 = pytest.importorskip("psycopg2")
    admin = psycopg2.connect(pg_url, connect_timeout=5)
    admin.autocommit = True
    name = f"pos_web_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{pg_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()
