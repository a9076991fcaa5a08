"""Django's settings, made in code from what ``posctl web`` was given: the collector's database
URL (Django's tables go into the same database), the posctl homes whose owner keys sign
commands, and a secret key kept beside them."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class WebConfig:
    db_url: str
    """The collector's ``--db``: a SQLite path, ``sqlite:///PATH`` or ``postgresql://...``."""
    homes: tuple[Path, ...] = ()
    """posctl homes, one per store whose terminals this back office may command."""
    secret_key: str = ""
    debug: bool = False
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
    tz: str | None = None
    """The time zone the collector counts days in (``--tz``)."""
    reply_timeout: float = 5.0
    """Seconds the add-clerk form waits for the terminals' replies before saying the rest
    apply it when they come online."""
    behind_https_proxy: bool = False
    """Served by a reverse proxy that terminates TLS and sets X-Forwarded-Proto: cookies are
    then sent over HTTPS only and CSRF checks expect https origins."""
    extra: dict[str, Any] = field(default_factory=dict)


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite URL (or plain path), None for another database."""
    if "://" not in url:
        return str(Path(url).expanduser().resolve())
    if url.startswith(("sqlite:", "sqlite+")):
        return url.split(":///", 1)[1] if ":///" in url else None
    return None


def django_database(url: str) -> dict[str, Any]:
    """Django's DATABASES entry for the collector's URL."""
    path = sqlite_path(url)
    if path is not None:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            "OPTIONS": {
                # The collector writes the same file: wait for its lock instead of failing, and
                # take the write lock up front so a read never has to be upgraded mid-way.
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=wal; PRAGMA synchronous=full;",
            },
        }
    u = urlparse(url)
    if u.scheme.split("+")[0] not in ("postgres", "postgresql"):
        raise ValueError(
            f"unsupported database URL {url!r}: use a file path, sqlite:///PATH or "
            "postgresql://USER@HOST:PORT/DB"
        )
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": u.path.lstrip("/"),
        "USER": unquote(u.username or ""),
        "PASSWORD": unquote(u.password or ""),
        "HOST": u.hostname or "",
        "PORT": str(u.port or ""),
        "CONN_MAX_AGE": 60,
    }


def secret_key_file(root: Path) -> str:
    """The session-signing key kept at ``root/web/secret_key`` (0600), made on first use;
    several back-office processes of one chain share it through the same file."""
    path = root / "web" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".secret_key.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
            f.flush()
            os.fsync(f.fileno())
        try:
            # A link, not a rename: of processes starting at once the first one wins and every
            # other reads its key.
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def settings_dict(cfg: WebConfig) -> dict[str, Any]:
    middleware = [
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.locale.LocaleMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        # Last, as django-axes asks: it turns a lockout raised during login into its response.
        "axes.middleware.AxesMiddleware",
    ]
    return {
        "DEBUG": cfg.debug,
        "SECRET_KEY": cfg.secret_key or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": list(cfg.allowed_hosts),
        "ROOT_URLCONF": "provisioning.web.urls",
        "INSTALLED_APPS": [
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "axes",
            "provisioning.web.apps.BackOfficeConfig",
        ],
        "MIDDLEWARE": middleware,
        "AUTHENTICATION_BACKENDS": [
            "axes.backends.AxesStandaloneBackend",
            "django.contrib.auth.backends.ModelBackend",
        ],
        "DATABASES": {"default": django_database(cfg.db_url)},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.template.context_processors.i18n",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        "USE_I18N": True,
        "USE_TZ": True,
        "TIME_ZONE": cfg.tz or "UTC",
        "LANGUAGE_CODE": "zh-hans",
        "LANGUAGES": [("zh-hans", "中文"), ("en", "English")],
        "LOCALE_PATHS": [str(HERE / "locale")],
        "LOGIN_URL": "backoffice:login",
        "LOGIN_REDIRECT_URL": "backoffice:monitor",
        "LOGOUT_REDIRECT_URL": "backoffice:login",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_AGE": 12 * 3600,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "MESSAGE_STORAGE": "django.contrib.messages.storage.session.SessionStorage",
        # django-axes: five wrong passwords for one account from one address lock that pair for
        # 15 minutes. Keyed on the pair so that nobody can lock the owner out from elsewhere.
        "AXES_FAILURE_LIMIT": 5,
        "AXES_COOLOFF_TIME": timedelta(minutes=15),
        "AXES_LOCKOUT_PARAMETERS": [["username", "ip_address"]],
        "AXES_RESET_ON_SUCCESS": True,
        "AXES_LOCKOUT_TEMPLATE": "backoffice/lockout.html",
        "AXES_VERBOSE": False,
        "POS_WEB": cfg,
        **(_https_settings() if cfg.behind_https_proxy else {}),
        **cfg.extra,
    }


def _https_settings() -> dict[str, Any]:
    return {
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "USE_X_FORWARDED_HOST": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
    }


def configure(cfg: WebConfig) -> None:
    """Set Django up for ``cfg`` (once per process) and create every table that is missing:
    the collector's and Django's own."""
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(**settings_dict(cfg))
    django.setup()
    from provisioning.web import central

    central.open_central(cfg)


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
