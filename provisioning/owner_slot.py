"""Which broker identity one posctl run uses.

The broker makes each client's certificate CN its client id (``use_username_as_clientid``), so
that no client can take over another's session; two posctl runs under one CN would therefore
disconnect each other in turn. ``posctl broker`` issues a few posctl identities
(``broker.OWNER_SLOTS``) and each run holds one of them for as long as it is connected, by an
advisory lock on a file in that identity's folder (released by the system when the run ends,
however it ends).
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass

from provisioning.broker import OWNER_SLOTS, owner_cn
from provisioning.home import Home, HomeError


@dataclass(frozen=True, slots=True)
class OwnerSlot:
    cn: str
    fd: int

    def release(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def claim(home: Home) -> OwnerSlot:
    """The first posctl identity no other run on this machine holds."""
    issued = 0
    for slot in range(1, OWNER_SLOTS + 1):
        cn = owner_cn(slot)
        ident = home.identity_dir(cn)
        if not (ident / "client.crt").exists():
            continue
        issued += 1
        fd = os.open(ident / "in-use.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return OwnerSlot(cn, fd)
    if not issued:
        raise HomeError(
            f"posctl has no broker identity in {home.identity_dir(owner_cn(1))}: run "
            "`posctl broker`"
        )
    raise HomeError(
        f"{issued} posctl runs are already connected to the broker from this owner directory; "
        "wait for one to finish (each needs an identity of its own; `posctl broker` issues "
        f"{OWNER_SLOTS})"
    )
