"""Leaving and coming back: reload, a dropped connection with missed events, a server restart."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.browser.conftest import PeopleFactory

pytestmark = pytest.mark.browser


def test_reload_restores_objects_chat_and_policy(people: PeopleFactory) -> None:
    ines = people("ines")
    oid = f"o-reload-{uuid.uuid4().hex[:8]}"
    text = f"before the reload {uuid.uuid4().hex[:6]}"
    assert ines.command("object.create", {"id": oid, "shape": "cylinder", "position": [-1, 0.2, 1], "label": "stays"})["ok"]
    assert ines.command("chat.send", {"text": text})["ok"]
    seq = ines.hook("seq()")
    ines.page.reload()
    ines.wait("window.__medverse && __medverse.connected()", 45_000)
    assert ines.hook("seq()") >= seq
    o = ines.objects()[oid]
    assert o["label"] == "stays" and o["position"] == [-1, 0.2, 1]
    ines.page.locator("#chat-log .chat-msg", has_text=text).wait_for()
    assert ines.command("object.delete", {"id": oid})["ok"]


def test_dropped_connection_shows_banner_catches_up_and_resends_queued_commands(people: PeopleFactory) -> None:
    ines = people("ines")
    sam = people("sam")
    banner = sam.page.locator("#conn-banner")
    assert banner.is_hidden()
    seq = sam.hook("seq()")
    sam.hook("dropConnection(arg)", 2500)  # the network is gone for 2.5 s
    banner.wait_for(state="visible")
    assert "Reconnecting" in banner.inner_text()
    assert sam.hook("connected()") is False
    # while Sam is away, Ines changes the space...
    oid = f"o-missed-{uuid.uuid4().hex[:8]}"
    assert ines.command("object.create", {"id": oid, "shape": "sphere", "position": [2, 0.2, 2]})["ok"]
    missed_text = f"you missed this {uuid.uuid4().hex[:6]}"
    assert ines.command("chat.send", {"text": missed_text})["ok"]
    # ...and Sam writes a message, which waits in the queue
    queued_text = f"sent while offline {uuid.uuid4().hex[:6]}"
    sam.page.evaluate("(t) => { window.__queued = window.__medverse.command('chat.send', {text: t}); }", queued_text)
    assert sam.hook("pending()") == 1
    # Sam's client reconnects by itself, resumes from its last seq and gets the missed events
    sam.wait("__medverse.connected()", 30_000)
    banner.wait_for(state="hidden")
    stats = sam.hook("stats()")
    assert stats["reconnects"] >= 1 and stats["resent"] >= 1
    # the first join got a snapshot; the resume got only the events after Sam's last seq
    assert stats["snapshots"] == 1 and stats["catchUps"] >= 1, stats
    sam.wait("__medverse.objects().some(o => o.id === arg)", arg=oid)
    sam.page.locator("#chat-log .chat-msg", has_text=missed_text).wait_for()
    assert sam.page.evaluate("() => window.__queued")["ok"] is True
    ines.page.locator("#chat-log .chat-msg", has_text=queued_text).wait_for()
    # a later message: events arrive in order, so a second copy of Sam's would be in the log before it
    marker = f"after the resend {uuid.uuid4().hex[:6]}"
    assert ines.command("chat.send", {"text": marker})["ok"]
    ines.page.locator("#chat-log .chat-msg", has_text=marker).wait_for()
    assert ines.page.locator("#chat-log .chat-msg", has_text=queued_text).count() == 1
    assert sam.hook("seq()") > seq
    assert ines.command("object.delete", {"id": oid})["ok"]


def test_server_restart_on_the_same_data_dir_restores_everything(own_people: PeopleFactory, own_server: Any) -> None:
    ines = own_people("ines")
    sam = own_people("sam")
    for p in (ines, sam):
        p.expect_console_errors = True  # the browser logs the refused reconnects while it is down
    oid = f"o-restart-{uuid.uuid4().hex[:8]}"
    assert ines.command("object.create", {"id": oid, "shape": "box", "position": [0.5, 0.2, 0.5], "label": "survives"})["ok"]
    text = f"see you after the restart {uuid.uuid4().hex[:6]}"
    assert sam.command("chat.send", {"text": text})["ok"]
    seq = ines.hook("seq()")
    own_server.stop()
    ines.page.locator("#conn-banner").wait_for(state="visible")
    assert ines.hook("connected()") is False
    own_server.start()
    for p in (ines, sam):
        p.wait("__medverse.connected()", 45_000)
        p.page.locator("#conn-banner").wait_for(state="hidden")
        assert p.objects()[oid]["label"] == "survives"
        p.page.locator("#chat-log .chat-msg", has_text=text).wait_for()
        assert p.hook("seq()") == seq
    # presence and commands work again after the restart
    sam_pid = sam.hook("me()")["pid"]
    ines.wait("__medverse.avatars().some(a => a.pid === arg && a.visible)", 30_000, arg=sam_pid)
    assert ines.command("object.update", {"id": oid, "position": [1, 0.2, 1]})["ok"]
    sam.wait("__medverse.objects().some(o => o.id === arg && o.position[0] === 1)", arg=oid)
