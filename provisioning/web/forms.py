"""The add-clerk form: Django's form checks first, then the same record checks the terminal
makes (``StaffMember.from_payload``), so a clerk the form accepts is one the terminal accepts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

ROLE_LABELS = {
    "cashier": _("Cashier"),
    "senior_cashier": _("Senior cashier"),
    "supervisor": _("Supervisor"),
    "manager": _("Manager"),
    "owner": _("Owner"),
}


class AddClerkForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    staff_id = forms.RegexField(
        label=_("Account (phone or staff number)"),
        regex=r"^[A-Za-z0-9._+-]{1,40}$",
        max_length=40,
        error_messages={"invalid": _("1-40 letters, digits or . _ + -")},
    )
    role = forms.ChoiceField(label=_("Role"))
    gender = forms.ChoiceField(
        label=_("Gender"),
        required=False,
        choices=[("", "—"), ("female", _("Female")), ("male", _("Male"))],
    )
    contact = forms.CharField(label=_("Contact"), max_length=120, required=False)
    trainee = forms.BooleanField(label=_("Trainee (training mode until trained)"), required=False)

    def __init__(self, *args: Any, roles: tuple[str, ...], **kw: Any) -> None:
        super().__init__(*args, **kw)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = [(r, ROLE_LABELS.get(r, r)) for r in roles]
