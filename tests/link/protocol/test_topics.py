"""The topic tree and the ids that may appear in it."""

from __future__ import annotations

import pytest

from terminal.link import protocol as p


def test_topic_tree() -> None:
    assert p.events_topic("S1", "T1") == "pos/v1/S1/T1/events"
    assert p.status_topic("S1", "T1") == "pos/v1/S1/T1/status"
    assert p.command_topic("S1", "T1") == "pos/v1/S1/T1/cmd"
    assert p.store_command_topic("S1") == "pos/v1/S1/store/cmd"
    assert p.reply_topic("S1", "T1") == "pos/v1/S1/T1/reply"
    assert p.ack_topic("S1", "T1") == "pos/v1/S1/collector/acks/T1"
    assert p.shared(p.EVENTS_FILTER) == "$share/collectors/pos/v1/+/+/events"
    assert p.parse_topic("pos/v1/S1/T1/events") == p.TopicInfo("S1", "T1", "events")
    assert p.parse_topic("pos/v1/S1/store/cmd") == p.TopicInfo("S1", None, "store_cmd")
    assert p.parse_topic("pos/v1/S1/collector/acks/T1") == p.TopicInfo("S1", "T1", "ack")
    assert p.parse_topic("pos/v1/S1/T1/reply/x/y") == p.TopicInfo("S1", "T1", "reply")
    for bad in ("pos/v2/S1/T1/events", "pos/v1/S1/T1/other", "pos/v1/S+/T1/events", "x"):
        with pytest.raises(p.ValidationError):
            p.parse_topic(bad)


@pytest.mark.parametrize("bad", ["", "a/b", "a+b", "#", "x" * 65, "collector", "store", 5, None])
def test_ids_refuse_topic_breakers(bad: object) -> None:
    with pytest.raises(p.ValidationError):
        p.check_id(bad)
    with pytest.raises(p.ValidationError):
        p.events_topic("S1", bad)  # type: ignore[arg-type]
