"""Who may see and act on which store, decided on the server for every request: the owner (a
superuser) on every store, a manager on the stores granted in ``StoreAccess`` only. A store
outside the account's scope is answered 404, the same as a store that does not exist, so a
manager cannot even learn which other stores there are."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from provisioning.web.models import StoreAccess

OWNER_ROLES = ("cashier", "senior_cashier", "supervisor", "manager", "owner")
MANAGER_ROLES = ("cashier", "senior_cashier", "supervisor")
"""Roles a manager may give: below their own, so no manager makes another manager or an owner
(the no-escalation rule; the terminal checks the owner's signature, not the manager)."""


def is_owner(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_superuser)


def allowed_stores(user: Any, known: list[str]) -> list[str]:
    """The stores of ``known`` this account may see, in order."""
    if not user.is_authenticated:
        return []
    if is_owner(user):
        return list(known)
    mine = set(StoreAccess.objects.filter(user=user).values_list("store_id", flat=True))
    return [s for s in known if s in mine]


def may_see(user: Any, store_id: str) -> bool:
    if not user.is_authenticated:
        return False
    if is_owner(user):
        return True
    return StoreAccess.objects.filter(user=user, store_id=store_id).exists()


def roles_for(user: Any) -> tuple[str, ...]:
    return OWNER_ROLES if is_owner(user) else MANAGER_ROLES


def create_account(
    username: str, password: str, *, owner: bool = False, stores: tuple[str, ...] = ()
) -> Any:
    """An owner (every store) or a manager of ``stores``; the password is hashed by Django."""
    users = get_user_model()
    if owner:
        user = users.objects.create_superuser(username=username, password=password, email="")
    else:
        if not stores:
            raise ValueError("a manager needs at least one store: give --store STORE_ID")
        user = users.objects.create_user(username=username, password=password)
    for s in stores:
        StoreAccess.objects.get_or_create(user=user, store_id=s)
    return user
