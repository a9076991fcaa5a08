"""The back office's own tables, beside Django's users: which stores a manager may see and act
on, and the audit trail of every action with who did it.

The owner is a Django superuser and sees every store; any other account is a manager of the
stores listed for it in ``StoreAccess`` and of nothing else."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class StoreAccess(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="store_access"
    )
    store_id = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "store_id"], name="one_access_per_store")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.store_id}"


class AuditEntry(models.Model):
    """One action: who (the account, kept by name too so the entry outlives the account), what,
    on which store, from where. ``detail`` never holds a PIN, password or card code."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=64)
    store_id = models.CharField(max_length=64, blank=True, default="")
    ip = models.CharField(max_length=64, blank=True, default="")
    detail = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.action}"
