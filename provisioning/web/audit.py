"""The audit trail: every login, failed login, logout and command sent, with who did it, on
which store and from which address."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import signals
from django.http import HttpRequest

from provisioning.web.models import AuditEntry


def client_ip(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def record(
    request: HttpRequest | None,
    action: str,
    *,
    user: Any = None,
    username: str = "",
    store_id: str = "",
    **detail: Any,
) -> AuditEntry:
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    name = username or (user.get_username() if user is not None else "")
    return AuditEntry.objects.create(
        user=user if user is not None and user.pk else None,
        username=name[:150],
        action=action,
        store_id=store_id,
        ip=client_ip(request),
        detail=detail,
    )


def _logged_in(sender: Any, request: HttpRequest, user: Any, **kw: Any) -> None:
    record(request, "login", user=user)


def _logged_out(sender: Any, request: HttpRequest, user: Any, **kw: Any) -> None:
    if user is not None:
        record(request, "logout", user=user)


def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kw: Any
) -> None:
    # Django hands over the credentials with the password already masked; only the name is kept.
    record(request, "login.failed", username=str(credentials.get("username", "")))


def connect_signals() -> None:
    signals.user_logged_in.connect(_logged_in, dispatch_uid="backoffice-login")
    signals.user_logged_out.connect(_logged_out, dispatch_uid="backoffice-logout")
    signals.user_login_failed.connect(_login_failed, dispatch_uid="backoffice-login-failed")
