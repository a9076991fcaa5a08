"""The topic tree: protocol version, store and terminal ids, the topic of each message kind,
the subscription filters, and parsing a topic back into its parts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from terminal.link.protocol.wire import ValidationError

PROTOCOL_VERSION = 1
TOPIC_ROOT = "pos/v1"

COLLECTOR_GROUP = "collectors"
RESERVED_IDS = frozenset({"collector", "store", "owner", "all"})
"""Names that appear in the topic tree at a terminal's level, so no terminal may use them."""

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_id(value: Any, field_path: str = "id") -> str:
    """Store and terminal ids: 1-64 of letters, digits, ``_ . -``, no MQTT wildcards or
    slashes, and not a reserved topic word."""
    if not isinstance(value, str) or not _ID.match(value):
        raise ValidationError(
            field_path, f"must be 1-64 letters, digits, '_', '.' or '-', got {value!r}"
        )
    if value in RESERVED_IDS:
        raise ValidationError(field_path, f"{value!r} is reserved")
    return value


def events_topic(store: str, terminal: str) -> str:
    """Terminal -> collector: one journal entry per message, QoS 1."""
    return f"{TOPIC_ROOT}/{check_id(store, 'store')}/{check_id(terminal, 'terminal')}/events"


def status_topic(store: str, terminal: str) -> str:
    """Terminal -> everyone: retained status; the last will sets it offline."""
    return f"{TOPIC_ROOT}/{check_id(store, 'store')}/{check_id(terminal, 'terminal')}/status"


def command_topic(store: str, terminal: str) -> str:
    """Owner -> one terminal: signed commands."""
    return f"{TOPIC_ROOT}/{check_id(store, 'store')}/{check_id(terminal, 'terminal')}/cmd"


def store_command_topic(store: str) -> str:
    """Owner -> every terminal of a store: signed commands whose target names only the store."""
    return f"{TOPIC_ROOT}/{check_id(store, 'store')}/store/cmd"


def reply_topic(store: str, terminal: str) -> str:
    """Terminal -> owner: command replies. A command's MQTT 5 response topic must be this topic
    or below it (the ACL lets a terminal publish nowhere else)."""
    return f"{TOPIC_ROOT}/{check_id(store, 'store')}/{check_id(terminal, 'terminal')}/reply"


def ack_topic(store: str, terminal: str) -> str:
    """Collector -> terminal: which events are stored."""
    return (
        f"{TOPIC_ROOT}/{check_id(store, 'store')}/collector/acks/{check_id(terminal, 'terminal')}"
    )


EVENTS_FILTER = f"{TOPIC_ROOT}/+/+/events"
STATUS_FILTER = f"{TOPIC_ROOT}/+/+/status"
REPLY_FILTER = f"{TOPIC_ROOT}/+/+/reply/#"
"""Matches ``.../reply`` itself and anything below it."""


def shared(filter_: str, group: str = COLLECTOR_GROUP) -> str:
    """An MQTT 5 shared subscription: the broker gives each message to one member of
    ``group``, so several collectors split the load."""
    return f"$share/{group}/{filter_}"


@dataclass(frozen=True, slots=True)
class TopicInfo:
    store: str
    terminal: str | None
    kind: str
    """"events", "status", "cmd", "reply", "store_cmd" or "ack"."""


def parse_topic(topic: str) -> TopicInfo:
    parts = topic.split("/")
    root = TOPIC_ROOT.split("/")
    if parts[: len(root)] != root:
        raise ValidationError("topic", f"not under {TOPIC_ROOT}: {topic!r}")
    rest = parts[len(root) :]
    if len(rest) == 3 and rest[1] == "store" and rest[2] == "cmd":
        return TopicInfo(check_id(rest[0], "topic.store"), None, "store_cmd")
    if len(rest) == 4 and rest[1] == "collector" and rest[2] == "acks":
        return TopicInfo(
            check_id(rest[0], "topic.store"), check_id(rest[3], "topic.terminal"), "ack"
        )
    if len(rest) >= 3 and rest[2] == "reply":
        return TopicInfo(
            check_id(rest[0], "topic.store"), check_id(rest[1], "topic.terminal"), "reply"
        )
    if len(rest) == 3 and rest[2] in ("events", "status", "cmd"):
        return TopicInfo(
            check_id(rest[0], "topic.store"), check_id(rest[1], "topic.terminal"), rest[2]
        )
    raise ValidationError("topic", f"unknown topic {topic!r}")
