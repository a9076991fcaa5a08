"""The owner's web back office: Django pages over the collector's database.

Accounts (the owner and managers scoped to stores), the live monitoring page with its
server-sent event feed, the staff list of each store and the add-clerk form, which signs and
seals a ``staff.add`` exactly as ``posctl staff add`` does. Django's settings are made in code
(``config.configure``); its own tables (users, sessions, login attempts, the audit trail) live in
the collector's database beside the collector's tables. ``posctl web`` serves it.
"""
