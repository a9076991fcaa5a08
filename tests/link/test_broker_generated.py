"""mosquitto running the configuration ``posctl broker`` wrote, and the helpers the ACL,
collector and posctl tests share: a store set up with ``posctl init``/``broker``/``terminal
enroll`` in a temporary owner directory, and MQTT clients holding its certificates."""

from __future__ import annotations

import getpass
import os
import pwd
import re
import shutil
import ssl
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from provisioning import broker as brokercfg
from provisioning import terminals as terms
from provisioning.home import OWNER_CN, Home, collector_cn
from provisioning.posctl import main as posctl

from .broker import Broker, BrokerError, TlsFiles, free_port

pytestmark = pytest.mark.link

STORE = "shop1"


class GeneratedBroker(Broker):
    """The fixture's lifecycle around the generated mosquitto.conf, changed only where a test
    must differ from a broker machine: the port, the data and log locations, the user."""

    def __init__(self, tmp_path: Path, files: brokercfg.BrokerFiles, **kw: Any) -> None:
        self.files = files
        super().__init__(
            tmp_path,
            TlsFiles(files.ca, files.cert, files.key),
            acl_file=files.acl,
            name="posctl-broker",
            **kw,
        )

    def config_text(self) -> str:
        text = self.files.conf.read_text(encoding="utf-8")
        swaps = {
            r"^listener .*$": f"listener {self.port} {self.host}",
            r"^persistence_location .*$": f"persistence_location {self.dir}/",
            r"^log_dest .*$": "log_dest stderr",
        }
        for pattern, repl in swaps.items():
            text, n = re.subn(pattern, repl, text, flags=re.M)
            assert n == 1, f"generated mosquitto.conf lacks {pattern}"
        return f"user {getpass.getuser()}\n" + text


@dataclass
class StoreEnv:
    home: Home
    files: brokercfg.BrokerFiles
    broker: GeneratedBroker
    terminals: tuple[str, ...]
    clients: list[mqtt.Client] = field(default_factory=list)

    def cert(self, cn: str) -> tuple[Path, Path]:
        if cn.startswith("svc."):
            d = self.home.identity_dir(cn)
        else:
            d = Path(self.home.terminals()[cn]["bundle"])
        return d / "client.crt", d / "client.key"

    def tls(self, cn: str) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.home.ca_cert))
        crt, key = self.cert(cn)
        ctx.load_cert_chain(str(crt), str(key))
        return ctx

    def client(self, cn: str) -> Peer:
        peer = Peer(self, cn)
        self.clients.append(peer.client)
        return peer

    def close(self) -> None:
        for c in self.clients:
            c.disconnect()
            c.loop_stop()
        self.broker.kill()


class Peer:
    """A raw MQTT 5 client with one identity's certificate: what a hostile terminal would use."""

    def __init__(self, env: StoreEnv, cn: str) -> None:
        self.cn = cn
        self.messages: list[mqtt.MQTTMessage] = []
        self.pubacks: dict[int, Any] = {}
        self.subacks: dict[int, list[Any]] = {}
        self._cv = threading.Condition()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"{cn}-peer", protocol=mqtt.MQTTv5
        )
        self.client.tls_set_context(env.tls(cn))
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        connected = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: (
            connected.set() if not rc.is_failure else None
        )
        self.client.connect(env.broker.host, env.broker.port)
        self.client.loop_start()
        assert connected.wait(10), f"{cn} could not connect:\n{env.broker.log_tail()}"

    def _on_message(self, client: Any, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with self._cv:
            self.messages.append(msg)
            self._cv.notify_all()

    def _on_publish(self, client: Any, userdata: Any, mid: int, rc: Any, props: Any) -> None:
        with self._cv:
            self.pubacks[mid] = rc
            self._cv.notify_all()

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, rcs: Any, props: Any) -> None:
        with self._cv:
            self.subacks[mid] = list(rcs)
            self._cv.notify_all()

    def wait(self, cond: Callable[[], bool], timeout: float = 10.0) -> bool:
        with self._cv:
            return self._cv.wait_for(cond, timeout)

    def subscribe(self, topic: str) -> list[Any]:
        _, mid = self.client.subscribe(topic, qos=1)
        assert self.wait(lambda: mid in self.subacks), f"no SUBACK for {topic}"
        return self.subacks[mid]

    def publish(self, topic: str, payload: bytes, **kw: Any) -> Any:
        """Publish at QoS 1 and return the broker's PUBACK reason code."""
        info = self.client.publish(topic, payload, qos=1, **kw)
        assert self.wait(lambda: info.mid in self.pubacks), f"no PUBACK for {topic}"
        return self.pubacks[info.mid]

    def topics(self) -> list[str]:
        with self._cv:
            return [m.topic for m in self.messages]


def make_store(
    tmp_path: Path, terminals: tuple[str, ...] = ("t1", "t2"), collectors: int = 2
) -> StoreEnv:
    """A store built with posctl's own commands, and its broker running."""
    home_dir = tmp_path / "owner"
    assert (
        posctl(["--home", str(home_dir), "init", "--store", "Test Shop", "--store-id", STORE]) == 0
    )
    home = Home(home_dir)
    assert (
        posctl(
            [
                "--home",
                str(home_dir),
                "broker",
                "--host",
                "127.0.0.1",
                "--name",
                "localhost",
                "--collectors",
                str(collectors),
            ]
        )
        == 0
    )
    for t in terminals:
        assert posctl(["--home", str(home_dir), "terminal", "enroll", t]) == 0
    files = brokercfg.BrokerFiles(
        conf=home.broker_dir / "mosquitto.conf",
        acl=home.broker_dir / "acl",
        ca=home.broker_dir / "ca.crt",
        cert=home.broker_dir / "server.crt",
        key=home.broker_dir / "server.key",
        crl=home.broker_dir / "crl.pem",
    )
    broker = GeneratedBroker(tmp_path, files).start()
    # posctl and the bundles must point at this run's port.
    (home.root / "broker.json").write_text(
        f'{{"host": "127.0.0.1", "port": {broker.port}, "collectors": {collectors}}}\n'
    )
    return StoreEnv(home, files, broker, terminals)


def wait_until(cond: Callable[[], bool], timeout: float = 15.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


@pytest.fixture
def store(tmp_path: Path) -> Any:
    env = make_store(tmp_path)
    try:
        yield env
    finally:
        env.close()


# --- the generated configuration itself --------------------------------------------------------


def connects(env: StoreEnv, ctx: ssl.SSLContext, wait: float = 2.0) -> bool:
    """True when the broker accepts an MQTT session over ``ctx`` (a CONNACK with success)."""
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="probe", protocol=mqtt.MQTTv5)
    c.tls_set_context(ctx)
    ok = threading.Event()
    c.on_connect = lambda cl, u, f, rc, p: ok.set() if not rc.is_failure else None
    try:
        c.connect(env.broker.host, env.broker.port)
    except (ssl.SSLError, OSError):
        return False
    c.loop_start()
    try:
        return ok.wait(wait)
    finally:
        c.disconnect()
        c.loop_stop()


def test_generated_config_requires_client_certificates(store: StoreEnv) -> None:
    text = store.files.conf.read_text()
    for line in (
        "allow_anonymous false",
        "require_certificate true",
        "use_identity_as_username true",
        "use_username_as_clientid true",
        f"crlfile {store.files.crl}",
    ):
        assert line in text.splitlines()
    assert connects(store, store.tls("t1"))
    assert not connects(store, ssl.create_default_context(cafile=str(store.home.ca_cert)))


def test_certificate_from_another_ca_is_refused(store: StoreEnv, tmp_path: Path) -> None:
    other = Home(tmp_path / "other")
    other.init("Elsewhere", store_id="other")
    ctx = ssl.create_default_context(cafile=str(store.home.ca_cert))
    ident = other.identity_dir(OWNER_CN)
    ctx.load_cert_chain(str(ident / "client.crt"), str(ident / "client.key"))
    assert not connects(store, ctx)


def test_revoked_terminal_is_refused_after_broker_restart(store: StoreEnv) -> None:
    assert connects(store, store.tls("t1"))
    assert posctl(["--home", str(store.home.root), "terminal", "revoke", "t1"]) == 0
    store.broker.restart()
    assert not connects(store, store.tls("t1")), "a revoked certificate still connects"
    assert connects(store, store.tls("t2")), "revoking t1 must not lock out t2"


def test_revoked_id_cannot_be_enrolled_again(store: StoreEnv, capsys: Any) -> None:
    assert posctl(["--home", str(store.home.root), "terminal", "revoke", "t2"]) == 0
    assert posctl(["--home", str(store.home.root), "terminal", "enroll", "t2"]) == 1
    assert "never reused" in capsys.readouterr().err
    assert terms.active_terminals(store.home) == ["t1"]


def test_acl_has_a_block_per_collector_identity() -> None:
    text = brokercfg.acl_text(STORE, 3)
    for n in (1, 2, 3):
        assert f"user {collector_cn(n)}" in text


class AsWritten(Broker):
    """mosquitto running the generated file unchanged but for the ``user`` it runs as (the
    tests run as whoever runs them, not as the mosquitto user)."""

    def __init__(self, tmp_path: Path, conf: Path, port: int, host: str) -> None:
        self.conf = conf
        super().__init__(tmp_path, name="as-written", port=port, host=host)

    def config_text(self) -> str:
        return f"user {getpass.getuser()}\n" + self.conf.read_text(encoding="utf-8")


def test_the_generated_config_runs_as_written_with_its_own_files(
    tmp_path: Path, capsys: Any
) -> None:
    home = ["--home", str(tmp_path / "owner")]
    assert posctl([*home, "init", "--store", "Shop", "--store-id", STORE]) == 0
    port = free_port()
    out, data, log = tmp_path / "etc-pos-broker", tmp_path / "var-lib", tmp_path / "broker.log"
    args = ["broker", "--host", "127.0.0.1", "--port", str(port), "--out", str(out)]
    args += ["--bind", "127.0.0.1", "--bind", "127.0.0.2", "--name", "127.0.0.2"]
    args += ["--data-dir", str(data), "--log-file", str(log)]
    data.mkdir()
    assert posctl([*home, *args]) == 0
    said = capsys.readouterr().out
    assert "127.0.0.1, 127.0.0.2" in said
    assert f"{tmp_path / 'owner'} is closed" not in said  # --out is outside the owner home
    text = (out / "mosquitto.conf").read_text()
    conf = text.splitlines()
    for line in (
        f"persistence_location {data}/",
        "persistence true",
        f"autosave_interval {brokercfg.AUTOSAVE_SECONDS}",
        f"persistent_client_expiration {brokercfg.CLIENT_EXPIRY}",
        f"log_dest file {log}",
        f"message_size_limit {brokercfg.MESSAGE_SIZE_LIMIT}",
        f"listener {port} 127.0.0.1",
        f"listener {port} 127.0.0.2",
    ):
        assert line in conf, line
    assert "/var/lib/mosquitto" not in text and "syslog" not in text
    # Readable by mosquitto's own user: all but the key world-readable, the folder searchable.
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    for name in ("mosquitto.conf", "acl", "ca.crt", "server.crt", "crl.pem"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o644, name
    assert stat.S_IMODE((out / "server.key").stat().st_mode) == 0o600

    broker = AsWritten(tmp_path, out / "mosquitto.conf", port, "127.0.0.1").start()
    try:
        env = StoreEnv(
            Home(tmp_path / "owner"), brokercfg.BrokerFiles(*[out / "x"] * 6), broker, ()
        )
        for host in ("127.0.0.1", "127.0.0.2"):
            broker.host = host
            assert connects(env, env.tls(OWNER_CN)), host
        broker.stop()  # SIGTERM: mosquitto saves its sessions
        assert (data / "pos-broker.db").exists()
        assert "New client connected" in log.read_text()
    finally:
        broker.host = "127.0.0.1"
        broker.kill()


def test_broker_files_in_the_owner_home_come_with_a_warning(tmp_path: Path, capsys: Any) -> None:
    home = ["--home", str(tmp_path / "owner")]
    assert posctl([*home, "init", "--store", "Shop", "--store-id", STORE]) == 0
    assert posctl([*home, "broker", "--host", "127.0.0.1"]) == 0
    said = capsys.readouterr().out
    assert f"{tmp_path / 'owner'} is closed to other users" in said
    assert "--install-dir" in said and "every interface" in said


def _mosquitto_user() -> bool:
    try:
        pwd.getpwnam("mosquitto")
    except KeyError:
        return False
    return os.geteuid() == 0


class AsInstalled(AsWritten):
    """The generated file exactly as written: started as root, mosquitto drops to its own
    user, as the system service does."""

    def config_text(self) -> str:
        return self.conf.read_text(encoding="utf-8")


@pytest.mark.skipif(not _mosquitto_user(), reason="needs root and a mosquitto user")
def test_mosquitto_as_its_own_user_reads_the_files_where_the_docs_say(tmp_path: Path) -> None:
    home = ["--home", str(tmp_path / "owner")]
    assert posctl([*home, "init", "--store", "Shop", "--store-id", STORE]) == 0
    out = Path(tempfile.mkdtemp(prefix="pos-broker-test-", dir="/tmp"))
    try:
        port = free_port()
        args = ["broker", "--host", "127.0.0.1", "--port", str(port), "--bind", "127.0.0.1"]
        # In the owner's 0700 home (the default folder) it cannot, whoever owns the files.
        assert posctl([*home, *args]) == 0
        inside = tmp_path / "owner" / "broker"
        subprocess.run(["chown", "-R", "mosquitto:", str(inside)], check=True)
        with pytest.raises(BrokerError) as refused:
            AsInstalled(tmp_path, inside / "mosquitto.conf", port, "127.0.0.1").start(timeout=5)
        assert "Unable to open acl_file" in str(refused.value)
        # Written elsewhere and given to mosquitto's user, as posctl and the README say.
        assert posctl([*home, *args, "--out", str(out)]) == 0
        subprocess.run(["chown", "-R", "mosquitto:", str(out)], check=True)
        broker = AsInstalled(tmp_path / "b", out / "mosquitto.conf", port, "127.0.0.1").start()
        try:
            env = StoreEnv(Home(tmp_path / "owner"), brokercfg.BrokerFiles(*[out] * 6), broker, ())
            assert connects(env, env.tls(OWNER_CN))
            broker.stop()
            assert (out / "data" / "pos-broker.db").exists()
            assert "New client connected" in (out / "mosquitto.log").read_text()
        finally:
            broker.kill()
    finally:
        shutil.rmtree(out, ignore_errors=True)
