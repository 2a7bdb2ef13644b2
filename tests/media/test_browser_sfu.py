"""The web client through the media server: two Chromium pages with fake devices talk through a
real Janus driven by a medverse server in `sfu` mode; the instructor's mute-all silences a
student there too (the server also has Janus stop forwarding; tests/media/test_janus_sfu.py
proves that against a client that keeps sending)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from tests.browser.conftest import _people
from tests.browser.test_voice import hears, in_audio, launch_media_browser, silent
from tests.conftest import LiveServer, new_space

if TYPE_CHECKING:
    from tests.browser.conftest import PeopleFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def media_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw, launch_media_browser(pw, tmp_path_factory.mktemp("media")) as b:
        yield b


@pytest.fixture
def sfu_people(media_browser: Any, sfu_server: LiveServer) -> Iterator[PeopleFactory]:
    yield from _people(media_browser, lambda: sfu_server.url, sfu_server.credentials)


def test_two_browsers_talk_through_janus_and_mute_all_silences_a_student(
    sfu_people: PeopleFactory, sfu_server: LiveServer
) -> None:
    room = new_space(sfu_server, members={"ines": "instructor", "sam": "participant"}, prefix="sfu")
    ines, sam = in_audio(sfu_people, room)
    hears(ines, sam)
    hears(sam, ines)
    media = sam.hook("media()")
    assert media["mode"] == "sfu"
    assert set(media["links"]) == {"pub", "sub"}  # one connection each way to the media server
    ines.page.click("#mute-all")
    sam.wait("!__medverse.media().live && !__medverse.media().links.pub.sendsAudio")
    silent(ines, sam)
    hears(sam, ines)  # the instructor still reaches everyone


@pytest.fixture
def own_sfu_people(media_browser: Any, own_janus_and_server: Any) -> Iterator[PeopleFactory]:
    _janus, server = own_janus_and_server
    yield from _people(media_browser, lambda: server.url, server.credentials)


def test_when_janus_dies_calls_fall_back_to_peer_to_peer_and_return_when_it_is_back(
    own_sfu_people: PeopleFactory, own_janus_and_server: Any
) -> None:
    janus, server = own_janus_and_server
    room = new_space(server, members={"ines": "instructor", "sam": "participant"}, prefix="fail")
    ines, sam = in_audio(own_sfu_people, room)
    hears(ines, sam)
    janus.kill()
    # the users see it, the call goes on peer-to-peer, the space keeps working
    for person in (ines, sam):
        person.wait("__medverse.media().mode === 'p2p'", 20_000)
        person.page.locator(".toast", has_text="peer-to-peer").first.wait_for()
    hears(ines, sam)
    assert set(sam.hook("media()")["links"]) == {f"p2p:{ines.hook('me()')['pid']}"}
    assert ines.command("chat.send", {"text": "still here"})["ok"]
    janus.start()
    for person in (ines, sam):
        person.wait("__medverse.media().mode === 'sfu'", 30_000)
    hears(ines, sam)
    hears(sam, ines)
    assert set(sam.hook("media()")["links"]) == {"pub", "sub"}
