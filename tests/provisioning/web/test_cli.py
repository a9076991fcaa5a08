"""``posctl web`` as the owner runs it, in a process of its own, on SQLite and on PostgreSQL
(a throwaway cluster the tests start): an account made with ``posctl web user add``, the login
form with its CSRF token over real HTTP, the monitoring page and the live feed over the
collector's database while the collector's ingest stores a sale."""

from __future__ import annotations

import http.cookiejar
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioning.collector.db import CentralDB
from provisioning.web.demo import Till

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "collector.sqlite3")
    return str(request.getfixturevalue("pg_database"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _posctl(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "provisioning.posctl", "--home", str(home), "web", *args],
        input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120,
    )


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[tuple[str, CentralDB]]:
    home = tmp_path / "owner"
    added = _posctl(home, "user", "add", "boss", "--owner", "--password-stdin", "--db", db_url,
                    stdin="a long owner password\n")
    assert added.returncode == 0, added.stderr
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "provisioning.posctl", "--home", str(home), "web", "--db", db_url,
         "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    db = CentralDB(db_url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", db
    finally:
        db.close()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _login(base: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("Accept-Language", "en")]
    page = opener.open(base + "/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    form = urllib.parse.urlencode(
        {"username": "boss", "password": "a long owner password",
         "csrfmiddlewaretoken": token.group(1)}
    ).encode()
    r = opener.open(urllib.request.Request(base + "/login/", form, {"Referer": base + "/login/"}))
    assert r.geturl().endswith("/monitor/")
    return opener


def test_posctl_web_serves_the_collectors_database(served: tuple[str, CentralDB]) -> None:
    base, db = served
    till = Till(db, "shop1", "till-7")
    till.sale("1001", [("1", "Cola", 2000, 350)], "card")
    till.status(outbox=4, version="2.0.1")
    opener = _login(base)
    page = opener.open(base + "/monitor/").read().decode()
    assert "till-7" in page and "2.0.1" in page and "Card 7.00" in page
    cursor = re.search(r'data-cursor="(\d+)"', page)
    assert cursor
    feed = opener.open(f"{base}/feed/?after={cursor.group(1)}", timeout=10)
    assert feed.headers["Content-Type"] == "text/event-stream"
    assert feed.readline().startswith(b"retry:")
    till.sale("1001", [("2", "Milk", 1000, 300)], "qr")
    started = time.monotonic()
    line = b""
    while b"data:" not in line:
        line = feed.readline()
    assert b'"text":"Milk","tenders":["qr"]' in line and time.monotonic() - started < 2
    feed.close()


def test_posctl_web_demo_prints_a_login_that_works(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "provisioning.posctl", "web", "--demo", "--demo-dir",
         str(tmp_path / "demo"), "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        assert lines[0].strip() == f"Demo back office: http://127.0.0.1:{port}/", lines
        found = re.search(r"Log in as 'owner' with password '([^']+)'", lines[1])
        assert found, lines
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
        base = f"http://127.0.0.1:{port}"
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(base + "/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token
        form = urllib.parse.urlencode({"username": "owner", "password": found.group(1),
                                       "csrfmiddlewaretoken": token.group(1)}).encode()
        r = opener.open(urllib.request.Request(base + "/login/", form))
        assert r.geturl().endswith("/monitor/")
        monitor = r.read().decode()
        assert 'id="term-demo-till-1"' in monitor and 'id="term-demo-till-2"' in monitor
        assert "今日 12 笔销售" in monitor  # the morning's sales all count for today
        staff = opener.open(base + "/stores/demo/staff/").read().decode()
        assert "Li Na 李娜" in staff and "Wang Wei 王伟" in staff
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_posctl_web_user_refuses_a_manager_without_stores_a_short_password_and_disables(
    tmp_path: Path,
) -> None:
    url = str(tmp_path / "collector.sqlite3")
    home = tmp_path / "owner"
    no_scope = _posctl(home, "user", "add", "lina", "--password-stdin", "--db", url,
                       stdin="a long manager password\n")
    assert no_scope.returncode == 1 and "--store" in no_scope.stderr
    short = _posctl(home, "user", "add", "lina", "--store", "shop1", "--password-stdin",
                    "--db", url, stdin="short\n")
    assert short.returncode == 1 and "password" in short.stderr
    ok = _posctl(home, "user", "add", "lina", "--store", "shop1", "--password-stdin",
                 "--db", url, stdin="a long manager password\n")
    assert ok.returncode == 0, ok.stderr
    changed = _posctl(home, "user", "password", "lina", "--password-stdin", "--db", url,
                      stdin="another long password\n")
    assert changed.returncode == 0, changed.stderr
    disabled = _posctl(home, "user", "disable", "lina", "--db", url)
    assert disabled.returncode == 0, disabled.stderr
    listed = _posctl(home, "user", "list", "--db", url)
    assert listed.stdout.split() == ["lina", "manager:", "shop1", "disabled"]


def test_a_taken_port_is_refused_before_any_login_is_printed(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run(
            [sys.executable, "-m", "provisioning.posctl", "web", "--demo", "--demo-dir",
             str(tmp_path / "demo"), "--port", str(port)],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )
    assert r.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in r.stderr and "--port" in r.stderr
    assert "password" not in r.stdout
