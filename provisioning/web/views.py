"""The pages: monitoring (with its live feed over server-sent events), a store's staff, the
add-clerk form, and the audit trail. Every view checks the account's stores on the server;
a store outside them is a 404 whatever the URL says."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from provisioning.remote import RemoteError
from provisioning.staff_commands import save_added, staff_add
from provisioning.web import access, audit, central, labels, queries
from provisioning.web.forms import AddClerkForm
from provisioning.web.models import AuditEntry
from provisioning.web.sending import send_to_store
from terminal.core.errors import PosError

FEED_POLL_S = 0.5
FEED_HEARTBEAT_S = 15.0
FEED_LIFETIME_S = 300.0
"""A feed stream ends after this long; the browser's EventSource reconnects at once with the
last event id, so a server thread is never held for good by a tab left open."""


def _require_store(request: HttpRequest, store_id: str) -> None:
    """404 unless the account may see ``store_id``; a refusal goes into the audit trail."""
    if not access.may_see(request.user, store_id):
        audit.record(request, "access.denied", store_id=store_id[:64], path=request.path[:200])
        raise Http404("no such store")


def _stores(request: HttpRequest) -> list[str]:
    c = central.get()
    with central.reading() as db:
        known = queries.known_stores(db, list(c.homes))
    return access.allowed_stores(request.user, known)


def _monitor_context(request: HttpRequest) -> dict[str, Any]:
    c = central.get()
    stores = _stores(request)
    with central.reading() as db:
        views = queries.monitor(db, stores, set(c.homes))
        # The cursor first: a row stored meanwhile is above it and comes over the live feed.
        cursor = queries.last_event_id(db)
        rows = queries.feed(db, stores, limit=30, upto=cursor)
    return {"stores": views, "feed": list(reversed(rows)), "cursor": cursor}


@login_required
@require_GET
def monitor(request: HttpRequest) -> HttpResponse:
    context = _monitor_context(request)
    context["labels"] = {
        "kinds": {k: str(v) for k, v in labels.FEED.items()},
        "tenders": {k: str(v) for k, v in labels.TENDERS.items()},
        "live": _("live"),
        "reconnecting": _("reconnecting…"),
    }
    return render(request, "backoffice/monitor.html", context)


@login_required
@require_GET
def terminals_fragment(request: HttpRequest) -> HttpResponse:
    """The stores-and-terminals part of the monitoring page, which the page reloads every few
    seconds."""
    return render(request, "backoffice/_stores.html", _monitor_context(request))


def _cursor(request: HttpRequest) -> int:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("after") or "0"
    try:
        return max(0, int(raw))
    except ValueError:
        return 0


def _sse(event: str, data: dict[str, Any], id: int | None = None) -> bytes:
    head = f"id: {id}\n" if id is not None else ""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"{head}event: {event}\ndata: {body}\n\n".encode()


def feed_stream(
    stores: list[str] | None, after: int, poll: float, lifetime: float
) -> Iterator[bytes]:
    """New feed rows of ``stores`` (None: every store) after event id ``after``, as they are
    stored, with a comment line now and then so proxies keep the connection open."""
    yield b"retry: 1000\n\n"
    started = last_beat = time.monotonic()
    cursor = queries.FeedCursor(stores, after)
    while time.monotonic() - started < lifetime:
        with central.reading() as db:
            rows = cursor.poll(db)
        for row in rows:
            yield _sse("row", row.to_json(), row.id)
        if not rows and time.monotonic() - last_beat >= FEED_HEARTBEAT_S:
            last_beat = time.monotonic()
            yield b": keep-alive\n\n"
        time.sleep(poll)


@login_required
@require_GET
def feed(request: HttpRequest) -> StreamingHttpResponse:
    opts = getattr(settings, "POS_WEB_FEED", {})
    # The owner's feed also carries stores that report for the first time while it is open.
    stores = None if access.is_owner(request.user) else _stores(request)
    stream = feed_stream(
        stores,
        _cursor(request),
        float(opts.get("poll", FEED_POLL_S)),
        float(opts.get("lifetime", FEED_LIFETIME_S)),
    )
    response = StreamingHttpResponse(stream, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on as it comes
    return response


def _pending(store_id: str, reported: set[str]) -> list[AuditEntry]:
    """Clerks added from here whose terminals have not reported them yet."""
    entries = AuditEntry.objects.filter(action="staff.add", store_id=store_id)[:200]
    seen: set[str] = set()
    out = []
    for e in entries:
        sid = str(e.detail.get("staff_id", ""))
        outcomes = e.detail.get("outcomes") or {}
        if outcomes and all(v == "refused" for v in outcomes.values()):
            continue  # every terminal refused it: nothing is on its way
        if sid and sid not in reported and sid not in seen:
            seen.add(sid)
            out.append(e)
    return out


@login_required
@require_GET
def staff_list(request: HttpRequest, store_id: str) -> HttpResponse:
    _require_store(request, store_id)
    with central.reading() as db:
        staff = queries.staff_of(db, store_id)
    context = {
        "store_id": store_id,
        "staff": staff,
        "pending": _pending(store_id, {s.staff_id for s in staff}),
        "commandable": store_id in central.get().homes,
    }
    return render(request, "backoffice/staff.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def add_clerk(request: HttpRequest, store_id: str) -> HttpResponse:
    _require_store(request, store_id)
    home = central.get().homes.get(store_id)
    roles = access.roles_for(request.user)
    form = AddClerkForm(request.POST or None, roles=roles)
    context: dict[str, Any] = {"store_id": store_id, "form": form, "commandable": bool(home)}
    if request.method != "POST" or home is None or not form.is_valid():
        return render(request, "backoffice/add_clerk.html", context, status=_status(form, home))
    d = form.cleaned_data
    try:
        clerk = staff_add(
            staff_id=d["staff_id"],
            name=d["name"],
            role=d["role"],
            gender=d["gender"] or None,
            contact=d["contact"],
            trainee=d["trainee"],
        )
    except PosError as exc:
        form.add_error(None, exc.message)
        return render(request, "backoffice/add_clerk.html", context, status=400)
    try:
        outcomes = send_to_store(
            home,
            "staff.add",
            clerk.body,
            secrets={"pin": clerk.pin},
            timeout=central.get().reply_timeout,
        )
    except RemoteError as exc:
        audit.record(request, "staff.add.failed", store_id=store_id, staff_id=d["staff_id"])
        form.add_error(None, _("Nothing was sent: %(why)s") % {"why": exc})
        return render(request, "backoffice/add_clerk.html", context, status=502)
    if any(o.status != "refused" for o in outcomes):
        save_added(home, clerk.member)
    audit.record(
        request,
        "staff.add",
        store_id=store_id,
        staff_id=clerk.member.staff_id,
        name=clerk.member.name,
        role=clerk.member.role,
        outcomes={o.terminal: o.status for o in outcomes},
    )
    context.update({"clerk": clerk.member, "pin": clerk.pin, "outcomes": outcomes})
    response = render(request, "backoffice/clerk_added.html", context)
    # The PIN is on this page only: no cache, no back-button copy.
    response["Cache-Control"] = "no-store"
    return response


def _status(form: AddClerkForm, home: object) -> int:
    if home is None:
        return 409
    return 400 if form.is_bound and form.errors else 200


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = AuditEntry.objects.all()
    if not access.is_owner(request.user):
        mine = Q(store_id__in=_stores(request)) | Q(username=request.user.get_username())
        entries = entries.filter(mine)
    return render(request, "backoffice/audit.html", {"entries": entries[:200]})
