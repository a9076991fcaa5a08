"""HTTPS to the payment providers: one pooled ``requests`` session per provider, the provider's
CA (or the system's), an optional client certificate, and a timeout on every request, so a
provider that hangs costs the terminal seconds, never the sale screen."""

from __future__ import annotations

from dataclasses import dataclass

import requests


class ProviderError(OSError):
    """The provider's answer is missing or cannot be trusted: the money may or may not have
    moved. An ``OSError``, so callers that catch network failures catch this too."""


class Unreachable(ProviderError):
    """No answer in time, a refused connection or a TLS failure."""


class BadAnswer(ProviderError):
    """An answer that is malformed or whose signature does not verify."""


@dataclass(frozen=True, slots=True)
class Timeouts:
    connect: float = 5.0
    read: float = 10.0
    """Longest wait for any part of an answer; the adapter never lets a call outlive its
    deadline by more than this."""


class Transport:
    def __init__(
        self,
        *,
        ca_file: str = "",
        client_cert: tuple[str, str] | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        self.timeouts = timeouts or Timeouts()
        self._verify: str | bool = ca_file or True
        self._cert = client_cert
        self._session = requests.Session()
        self.last_date = ""
        """The HTTP Date header of the last answer: the provider's clock, for doctor."""

    def post(
        self,
        url: str,
        *,
        data: bytes | dict[str, str],
        content_type: str,
        with_cert: bool = False,
        read_timeout: float | None = None,
    ) -> str:
        """The answer's text (HTTP 200 only). Raises ``Unreachable``."""
        if with_cert and self._cert is None:
            raise Unreachable("this call needs the merchant's API certificate, none is loaded")
        read = self.timeouts.read if read_timeout is None else max(0.1, read_timeout)
        try:
            response = self._session.post(
                url,
                data=data,
                headers={"Content-Type": content_type},
                timeout=(self.timeouts.connect, read),
                verify=self._verify,
                cert=self._cert if with_cert else None,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise Unreachable(f"{url}: {type(exc).__name__}: {exc}") from None
        self.last_date = response.headers.get("Date", "")
        if response.status_code != 200:
            raise Unreachable(f"{url}: HTTP {response.status_code}")
        response.encoding = "utf-8"
        return response.text

    def close(self) -> None:
        self._session.close()
