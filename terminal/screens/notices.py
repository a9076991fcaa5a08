"""Texts the app start shows in the banner, defined here so xgettext finds them with the
other screen texts."""

from __future__ import annotations

from terminal.screens.i18n import N_

CLOCK_NOT_SYNCED = N_(
    "The clock is not synchronised: receipts and reports may carry a wrong time. "
    "Check the network."
)
