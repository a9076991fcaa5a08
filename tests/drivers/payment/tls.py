"""The provider emulators' throwaway CA: the broker tests' one (``tests/link/certs.py``), giving
a server certificate for 127.0.0.1 and a merchant client certificate (WeChat's /secapi calls
need one) as (certificate, key) paths."""

from __future__ import annotations

from pathlib import Path

from tests.link.certs import TestCA


class EmulatorCA(TestCA):
    @property
    def ca(self) -> Path:
        return self.ca_path

    def issue(self, cn: str, *, server: bool) -> tuple[Path, Path]:
        issued = self._issue(cn, server=server)
        return issued.cert, issued.key
