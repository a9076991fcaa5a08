"""Accounts through the login page and direct requests: Django's hashed passwords, the
django-axes lockout after five wrong passwords, CSRF on every POST, the audit trail, and a
manager of one store getting 404 for everything of another store."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from provisioning.collector.db import CentralDB
from provisioning.web.models import AuditEntry

from .conftest import PASSWORD, client_for, till


def _login(c: Client, username: str, password: str) -> Any:
    return c.post("/login/", {"username": username, "password": password})


def test_password_is_stored_hashed_and_login_is_recorded(owner: Any) -> None:
    stored = get_user_model().objects.get(username="boss").password
    assert PASSWORD not in stored and stored.startswith(("pbkdf2_", "argon2", "scrypt"))
    c = Client()
    r = _login(c, "boss", PASSWORD)
    assert r.status_code == 302 and r["Location"] == "/monitor/"
    assert c.get("/monitor/").status_code == 200
    assert AuditEntry.objects.filter(action="login", username="boss").count() == 1
    assert c.post("/logout/").status_code == 302
    assert c.get("/monitor/").status_code == 302
    assert AuditEntry.objects.filter(action="logout", username="boss").count() == 1


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(owner: Any) -> None:
    c = Client()
    for _ in range(4):
        r = _login(c, "boss", "wrong password")
        assert r.status_code == 200 and b"id_password" in r.content
    assert _login(c, "boss", "wrong password").status_code == 429
    locked = _login(c, "boss", PASSWORD)
    assert locked.status_code == 429
    assert c.get("/monitor/").status_code == 302  # not logged in
    failed = AuditEntry.objects.filter(action="login.failed", username="boss")
    assert failed.count() >= 5
    assert all("wrong" not in json.dumps(e.detail) for e in failed)
    # Another address is not locked out by this one's failures.
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert _login(other, "boss", PASSWORD).status_code == 302


def test_csrf_is_enforced_on_login_logout_and_forms(owner: Any, central_db: CentralDB) -> None:
    c = Client(enforce_csrf_checks=True)
    assert _login(c, "boss", PASSWORD).status_code == 403
    page = c.get("/login/")
    token = page.cookies["csrftoken"].value
    r = c.post(
        "/login/",
        {"username": "boss", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert r.status_code == 302
    till(central_db, "shopA", "t1").status()
    assert c.post("/stores/shopA/staff/add/", {"name": "X"}).status_code == 403
    assert c.post("/logout/").status_code == 403
    assert c.post("/i18n/setlang/", {"language": "en"}).status_code == 403
    assert c.get("/monitor/").status_code == 200  # still logged in


def test_pages_need_a_login(central_db: CentralDB) -> None:
    c = Client()
    for url in ("/monitor/", "/feed/", "/stores/shopA/staff/", "/stores/shopA/staff/add/",
                "/audit/", "/monitor/stores/"):
        r = c.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/"), url


def test_a_manager_of_store_a_cannot_reach_store_b(
    manager_a: Any, central_db: CentralDB
) -> None:
    a, b = till(central_db, "shopA", "ta"), till(central_db, "shopB", "tb")
    for t in (a, b):
        t.staff_saved({"staff_id": f"clerk-{t.store_id}", "name": f"Clerk of {t.store_id}",
                       "role": "cashier"})
        t.sale("c1", [("1", f"item of {t.store_id}", 1000, 500)])
        t.status()
    c = client_for(manager_a)
    assert c.get("/stores/shopA/staff/").status_code == 200
    for url in ("/stores/shopB/staff/", "/stores/shopB/staff/add/", "/stores/nowhere/staff/"):
        assert c.get(url).status_code == 404, url
    r = c.post("/stores/shopB/staff/add/",
               {"name": "Eve", "staff_id": "666", "role": "cashier"})
    assert r.status_code == 404
    page = c.get("/monitor/").content.decode()
    assert "shopA" in page and "item of shopA" in page
    assert "shopB" not in page and "item of shopB" not in page
    assert b"shopB" not in c.get("/monitor/stores/").content
    denied = AuditEntry.objects.filter(action="access.denied", username="mgr_a")
    assert sorted(e.store_id for e in denied) == ["nowhere", "shopB", "shopB", "shopB"]
    AuditEntry.objects.create(username="boss", action="staff.add", store_id="shopB",
                              detail={"staff_id": "clerk-of-b"})
    AuditEntry.objects.create(username="boss", action="staff.add", store_id="shopA",
                              detail={"staff_id": "clerk-of-a"})
    audit = client_for(manager_a, HTTP_ACCEPT_LANGUAGE="en").get("/audit/").content.decode()
    assert "access.denied" in audit  # the manager's own entries
    assert "clerk-of-a" in audit and "clerk-of-b" not in audit


def test_a_manager_cannot_give_a_role_above_their_own(
    manager_a: Any, central_db: CentralDB
) -> None:
    from provisioning.web import central

    central.get().homes["shopA"] = object()  # type: ignore[assignment]  # never reached
    c = client_for(manager_a)
    page = c.get("/stores/shopA/staff/add/").content.decode()
    assert 'value="cashier"' in page and 'value="manager"' not in page
    r = c.post("/stores/shopA/staff/add/",
               {"name": "Boss Two", "staff_id": "777", "role": "manager"})
    assert r.status_code == 400
    assert not AuditEntry.objects.filter(action="staff.add").exists()


def test_django_system_checks_find_nothing(central_db: CentralDB) -> None:
    from django.core import checks

    assert checks.run_checks() == []


def test_the_secret_key_is_made_once_private_and_kept(tmp_path: Any) -> None:
    import os
    import stat

    from provisioning.web.config import secret_key_file

    first = secret_key_file(tmp_path)
    assert len(first) >= 50 and secret_key_file(tmp_path) == first
    path = tmp_path / "web" / "secret_key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]


def test_a_disabled_account_loses_its_open_session(owner: Any) -> None:
    c = client_for(owner)
    assert c.get("/monitor/").status_code == 200
    owner.is_active = False
    owner.save()
    assert c.get("/monitor/").status_code == 302
    assert _login(Client(), "boss", PASSWORD).status_code == 200  # the form again, no login
