"""The back office as a Django app (label ``backoffice``): its models, templates, catalogs and
the audit trail's hooks on logins and logouts."""

from __future__ import annotations

from django.apps import AppConfig


class BackOfficeConfig(AppConfig):
    name = "provisioning.web"
    label = "backoffice"
    verbose_name = "POS back office"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from provisioning.web import audit

        audit.connect_signals()
