"""Settings for type checking only: django-stubs' mypy plugin imports a settings module to learn
the models. The back office itself is configured in code (``config.configure``)."""

from __future__ import annotations

from provisioning.web.config import WebConfig, settings_dict

globals().update(
    {k: v for k, v in settings_dict(WebConfig(db_url="sqlite:///:memory:")).items() if k.isupper()}
)
