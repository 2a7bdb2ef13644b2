"""Voice, floor control and screen share between real browsers (Chromium with fake media devices).

Every browser of this module captures the same known tone (a 440 Hz sine written to a WAV file
and played by Chromium's fake microphone); a receiver proves it hears someone by the peak of
its analyser for that person's voice sitting at 440 Hz, well above the noise floor.
"""

from __future__ import annotations

import contextlib
import math
import struct
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS, _people
from tests.conftest import new_space

if TYPE_CHECKING:
    from tests.browser.conftest import PeopleFactory, Person

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TONE_HZ = 440.0
HEARD_DB = -60.0  # the tone's peak in the analyser (a silent track sits at -100 dB or below)


def write_tone(path: Path, hz: float = TONE_HZ, seconds: float = 2.0, rate: int = 48000) -> Path:
    """A mono 16-bit WAV of a sine at ``hz`` (Chromium loops it as the fake microphone)."""
    frames = b"".join(
        struct.pack("<h", int(0.5 * 32767 * math.sin(2 * math.pi * hz * i / rate))) for i in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path


@contextlib.contextmanager
def launch_media_browser(pw: Any, workdir: Path) -> Iterator[Any]:
    """Chromium with fake media devices: a camera pattern, the tone as microphone, the screen
    picker and permission prompts answered, sound allowed to start without a click."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (scripts/test.sh installs it)")
    tone = write_tone(workdir / "tone.wav")
    args = [
        *LAUNCH_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream=fps=15",
        f"--use-file-for-fake-audio-capture={tone}",
        "--allow-loopback-in-peer-connection",
        "--disable-features=WebRtcHideLocalIpsWithMdns",
        "--autoplay-policy=no-user-gesture-required",
        "--auto-accept-this-tab-capture",
        "--auto-select-desktop-capture-source=Entire screen",
    ]
    b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def media_browser(pw: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with launch_media_browser(pw, tmp_path_factory.mktemp("media")) as b:
        yield b


@pytest.fixture
def media_people(media_browser: Any, live_server: Any) -> Iterator[PeopleFactory]:
    yield from _people(media_browser, lambda: live_server.url, live_server.credentials)


@pytest.fixture
def room(live_server: Any) -> str:
    """A space of the test's own, so floor decisions do not leak into other tests."""
    return new_space(live_server, members={"ines": "instructor", "sam": "participant", "kim": "participant"}, prefix="voice")


def enter(people: PeopleFactory, username: str, space: str) -> Person:
    person = people(username, enter=False)
    person.enter(space)
    return person


def join_audio(person: Person) -> None:
    person.page.click("#join-audio")
    person.wait("__medverse.media().joined && __medverse.media().mic === 'on'")


def in_audio(people: PeopleFactory, space: str) -> tuple[Person, Person]:
    """The instructor and a student in ``space``, both having joined audio."""
    ines, sam = enter(people, "ines", space), enter(people, "sam", space)
    join_audio(ines)
    join_audio(sam)
    return ines, sam


def hears(listener: Person, speaker: Person, timeout: float = 30_000) -> dict[str, Any]:
    """Waits until ``listener``'s analyser for ``speaker``'s voice peaks at the tone; returns it."""
    pid = speaker.hook("me()")["pid"]
    listener.wait(
        "(() => { const s = __medverse.voiceSpectrum(arg.pid); "
        "return s && Math.abs(s.peakHz - arg.hz) < 60 && s.peakDb > arg.db; })()",
        timeout,
        arg={"pid": pid, "hz": TONE_HZ, "db": HEARD_DB},
    )
    return dict(listener.hook("voiceSpectrum(arg)", pid))


def silent(listener: Person, speaker: Person, timeout: float = 20_000) -> None:
    """Waits until ``listener`` no longer hears ``speaker`` (no voice, or nothing above the floor)."""
    pid = speaker.hook("me()")["pid"]
    listener.wait(
        "(() => { const s = __medverse.voiceSpectrum(arg.pid); return !s || s.peakDb < arg.db - 20; })()",
        timeout,
        arg={"pid": pid, "db": HEARD_DB},
    )


def test_two_users_hear_each_other(media_people: PeopleFactory, room: str) -> None:
    ines, sam = in_audio(media_people, room)
    heard = hears(ines, sam)
    assert abs(heard["peakHz"] - TONE_HZ) < 60
    hears(sam, ines)
    # the link is direct (peer-to-peer is the embedded default) and both ends send audio
    media = sam.hook("media()")
    assert media["mode"] == "p2p"
    assert any(link["sendsAudio"] for link in media["links"].values())
    # the speaking indicator shows the other in the participant list
    sam_pid = sam.hook("me()")["pid"]
    ines.page.locator(f"#participants li[data-pid='{sam_pid}'].speaking").wait_for(timeout=15_000)


def test_mute_all_silences_a_student_and_the_floor_lets_them_speak(media_people: PeopleFactory, room: str) -> None:
    ines, sam = in_audio(media_people, room)
    hears(ines, sam)
    ines.page.click("#mute-all")
    # the student's own client stops sending (media.stop), and the instructor hears nothing
    sam.wait("!__medverse.media().live && Object.values(__medverse.media().links).every(l => !l.sendsAudio)")
    silent(ines, sam)
    assert "muted by an instructor" in sam.page.inner_text("#media-status")
    # unmuting oneself is refused with the reason, and the server refuses an audio offer too
    assert sam.page.locator("#mic-toggle").is_disabled()
    # the student raises a hand, the instructor gives the floor; the student unmutes (never
    # automatically: opening someone's microphone takes their own click) and is heard again
    sam.page.click("#hand-toggle")
    sam_pid = sam.hook("me()")["pid"]
    ines.page.locator(f"#participants li[data-pid='{sam_pid}'] .hand-flag").wait_for()
    ines.page.locator(f"#participants li[data-pid='{sam_pid}'] .floor-btn").click()
    sam.page.locator(".toast", has_text="You have the floor").wait_for()
    sam.wait("!document.querySelector('#mic-toggle').disabled")
    sam.page.click("#mic-toggle")
    hears(ines, sam)
    ines.page.click("#mute-all")  # unmute everyone (the button toggles)


def test_audio_comes_back_after_a_reload_and_a_dropped_connection(media_people: PeopleFactory, room: str) -> None:
    ines, sam = in_audio(media_people, room)
    hears(ines, sam)
    sam.page.reload()
    sam.wait("window.__medverse && __medverse.connected()", 45_000)
    join_audio(sam)
    hears(ines, sam)
    hears(sam, ines)
    # a dropped connection (the network, not a reload): the links are rebuilt by themselves
    old_pid = sam.hook("me()")["pid"]
    sam.hook("dropConnection(arg)", 1500)
    sam.wait("__medverse.connected() && __medverse.me().pid !== arg", 45_000, arg=old_pid)
    hears(ines, sam)
    hears(sam, ines)


def test_screen_share_appears_on_the_board_for_the_other_user(media_people: PeopleFactory, room: str) -> None:
    ines, sam = in_audio(media_people, room)
    ines.page.click("#screen-toggle")
    ines.wait("__medverse.media().screen")
    sam.wait("__medverse.board().visible && __medverse.board().width > 0", 30_000)
    t0 = sam.hook("board()")["time"]
    sam.wait("__medverse.board().time > arg", 15_000, arg=t0)  # frames keep coming
    sam.page.locator(".video-tile[data-kind='screen']").wait_for()
    ines.page.click("#screen-toggle")
    sam.wait("!__medverse.board().visible", 20_000)


def test_a_participant_who_never_answers_harms_nobody(media_people: PeopleFactory, room: str, live_server: Any) -> None:
    """Kim's client joins but never answers an offer: the others still talk, and the browsers
    give up on Kim after the connect timeout (8 s; and try again later) instead of hanging."""
    import asyncio
    import threading

    from tests.conftest import join

    joined = threading.Event()
    done = threading.Event()
    kim_pid: list[int] = []

    async def silent_kim() -> None:
        kim = await join(live_server, room, "kim")
        kim_pid.append(int(kim.you["pid"]))
        joined.set()
        while not done.is_set():
            await asyncio.sleep(0.2)
        await kim.close()

    thread = threading.Thread(target=lambda: asyncio.run(silent_kim()), daemon=True)
    thread.start()
    try:
        assert joined.wait(20)
        ines, sam = in_audio(media_people, room)
        hears(ines, sam)
        key = f"p2p:{kim_pid[0]}"
        assert ines.hook("media()")["links"][key]["state"] != "connected"
        ines.wait("!(arg in __medverse.media().links)", 40_000, arg=key)
        hears(ines, sam)
        assert ines.hook("media()")["status"] == "connected"
    finally:
        done.set()
        thread.join(10)


def test_a_zone_keeps_voices_inside_and_a_broadcast_crosses_it(media_people: PeopleFactory, room: str) -> None:
    ines, sam = in_audio(media_people, room)
    hears(sam, ines)
    # a 5 m square around the instructor, named in a prompt (answered here)
    ines.page.evaluate("() => { window.prompt = () => 'Huddle corner'; }")
    ines.page.click("#add-zone")
    ines.page.locator("#zone-list li").first.wait_for()
    sam.wait("__medverse.state().voice.zones.length === 1")
    zone = sam.hook("state()")["voice"]["zones"][0]
    x0, z0, x1, z1 = zone["rect"]
    sx, _, sz = sam.hook("camera()")
    assert not (min(x0, x1) <= sx <= max(x0, x1) and min(z0, z1) <= sz <= max(z0, z1)), "Sam should stand outside"
    silent(sam, ines)  # the instructor is inside the zone, Sam outside: not heard
    assert "voices stay inside" in ines.page.inner_text("#media-status")
    ines.page.check("#voice-broadcast")
    hears(sam, ines)  # a broadcast crosses zones
    ines.page.uncheck("#voice-broadcast")
    silent(sam, ines)
