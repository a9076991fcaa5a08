"""Doctor's payments check: which providers take real money, that a simulated one is not set
on real hardware, that the credentials load (with the service user as the only reader) and
that the clock is plausible, since signed requests carry timestamps and TLS checks dates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TextIO

from terminal.drivers.doctor.checks import Checkup
from terminal.drivers.payment.credentials import SecretsError, load_secrets
from terminal.drivers.payment.flow import NO_SUCH_ORDER
from terminal.drivers.payment.http import ProviderError
from terminal.drivers.payment.live import WALLET_NAMES

CLOCK_FLOOR = datetime(2026, 1, 1, tzinfo=UTC)
"""No real payment happens before this release was made: a clock behind it is wrong."""


def check_payments(c: Checkup) -> None:
    p = c.section("payments")
    simulated = bool(c.section("hardware").get("simulated", True))
    qr, card = str(p.get("qr", "simulated")), str(p.get("card", "simulated"))
    wallets = [w for w in p.get("qr_wallets", ["wechat", "alipay"]) if w in WALLET_NAMES]
    live = [WALLET_NAMES[w] for w in wallets] if qr == "live" else []
    body = [
        f"QR       {'live: ' + ', '.join(live) if live else qr}"
        + ("  (no money moves)" if qr == "simulated" else ""),
        f"card     {card}" + ("  (no money moves)" if card == "simulated" else ""),
    ]
    c.report.sections.append(("Payments", body))
    for key, kind in (("qr", qr), ("card", card)):
        if kind == "simulated" and not simulated:
            c.report.fail(
                f'[payments] {key} = "simulated" on real hardware: the terminal will not start',
                f'set {key} = "{"live" if key == "qr" else "none"}" in [payments]'
                + (' (or "none" when the store takes no QR payments)' if key == "qr" else ""),
            )
    if qr != "live":
        return
    path = Path(str(p.get("secrets_file", ""))).expanduser()
    try:
        secrets = load_secrets(path, tuple(wallets), uid=c.probe.uid_of(c.user))
    except SecretsError as exc:
        c.report.fail(
            f"payment credentials: {exc}",
            f"sudo chown {c.user} {path} && sudo chmod 600 {path}  (docs/payments.md)",
        )
    else:
        who = []
        if secrets.wechat is not None:
            who.append(f"WeChat Pay merchant {secrets.wechat.mch_id}")
        if secrets.alipay is not None:
            who.append(f"Alipay app {secrets.alipay.app_id}")
        c.report.ok(f"payment credentials load from {path} ({', '.join(who)})")
    _check_clock(c)


def _check_clock(c: Checkup) -> None:
    now = c.probe.clock_now()
    synced = c.probe.clock_synchronized()
    if now < CLOCK_FLOOR:
        c.report.warn(
            f"the clock says {now:%Y-%m-%d %H:%M} UTC, before this software was made: "
            "providers refuse requests with a wrong timestamp",
            "sudo timedatectl set-ntp true   (or set the time: sudo date -s ...)",
        )
    elif synced is False:
        c.report.warn(
            "the clock is not synchronised (NTP): signed payment requests carry the time",
            "sudo timedatectl set-ntp true",
        )
    else:
        c.report.ok(f"clock {now:%Y-%m-%d %H:%M} UTC" + (", NTP synchronised" if synced else ""))


PROBE_ORDER = "DOCTOR0000000000000000000000"
MAX_SKEW_S = 60


def try_payments(
    config: Any, out: TextIO, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> bool:
    """Ask each live provider about an order that does not exist: a signed "no such order"
    proves the network, TLS, credentials and signatures work, and moves no money. The
    answer's Date header shows how far the local clock is off."""
    from terminal.drivers.factory import section
    from terminal.drivers.payment.setup import build_live_qr

    p = section(config, "payments")
    if str(p.get("qr", "simulated")) != "live":
        out.write('payments: [payments] qr is not "live": nothing to test\n')
        return True
    try:
        live = build_live_qr(p)
    except (SecretsError, ValueError) as exc:
        out.write(f"payments: FAILED: {exc}\n")
        return False
    ok = True
    for wallet, provider in live.wallets.items():
        name = WALLET_NAMES[wallet]
        try:
            answer = provider.api.query(PROBE_ORDER, provider.timing.call_timeout_s)
        except ProviderError as exc:
            out.write(f"{name}: FAILED: {exc}\n")
            ok = False
            continue
        if answer.code not in NO_SUCH_ORDER:
            out.write(f"{name}: FAILED: {answer.message or answer.code or answer.state.value}\n")
            ok = False
            continue
        out.write(f"{name}: OK (signed answer, credentials accepted)\n")
        ok = _skew(name, getattr(provider.api, "transport", None), now(), out) and ok
    return ok


def _skew(name: str, transport: Any, now: datetime, out: TextIO) -> bool:
    header = getattr(transport, "last_date", "")
    try:
        theirs = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return True
    skew = (now - theirs).total_seconds()
    if abs(skew) > MAX_SKEW_S:
        out.write(
            f"{name}: WARNING: the local clock is {skew:+.0f} s off the provider's: "
            "sudo timedatectl set-ntp true\n"
        )
        return False
    return True
