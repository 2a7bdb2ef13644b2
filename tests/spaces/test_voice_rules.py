"""Floor control (voice.*) as pure rules: no server, no database. Who may speak, mute, lock, raise
a hand and give the floor; the appliers that replay the events; spaces whose log predates it."""

from __future__ import annotations

from typing import Any

import pytest

from medverse.commons import COMMONS
from medverse.errors import Conflict, Forbidden, InvalidInput, NotFound
from medverse.spaces import core, voice
from medverse.spaces.kinds import Actor, EventSpec, State

INES = Actor(1, "Dr Ines Moreau", "instructor")
SAM = Actor(2, "Sam Okafor", "participant")
KIM = Actor(3, "Kim Lindqvist", "observer")
LEA = Actor(4, "Lea Brandt", "participant")
ADMIN = Actor(9, "Site Admin", "instructor", is_admin=True)


def run(state: State, name: str, args: Any, actor: Actor) -> list[EventSpec]:
    return COMMONS.run(state, name, args, actor)


@pytest.fixture
def state() -> State:
    s = COMMONS.initial_state()
    for a in (INES, SAM, KIM, LEA):
        COMMONS.apply(s, "member.role_changed", {"user_id": a.user_id, "role": a.role, "display_name": a.display_name})
    return s


def test_by_default_members_speak_and_observers_listen(state: State) -> None:
    assert voice.may_speak(state, INES.user_id)
    assert voice.may_speak(state, SAM.user_id)
    assert voice.speak_refusal(state, KIM.user_id) == "observers listen only"
    assert voice.speak_refusal(state, 77) == "you are not a member of this space"
    assert voice.may_speak(state, ADMIN.user_id, role="instructor")  # an admin is no member


def test_an_instructor_mutes_one_student(state: State) -> None:
    assert run(state, "voice.mute", {"user_id": SAM.user_id, "muted": True}, INES) == [
        ("voice.muted", {"user_id": SAM.user_id, "muted": True})
    ]
    assert voice.speak_refusal(state, SAM.user_id) == "an instructor muted your microphone"
    assert voice.may_speak(state, LEA.user_id)
    run(state, "voice.mute", {"user_id": SAM.user_id, "muted": False}, INES)
    assert voice.may_speak(state, SAM.user_id)


def test_only_instructors_mute_and_nobody_mutes_themselves_this_way(state: State) -> None:
    with pytest.raises(Forbidden):
        COMMONS.decide(state, "voice.mute", {"user_id": LEA.user_id, "muted": True}, SAM)
    with pytest.raises(Forbidden, match="set_self_muted"):
        COMMONS.decide(state, "voice.mute", {"user_id": INES.user_id, "muted": True}, INES)
    with pytest.raises(NotFound):
        COMMONS.decide(state, "voice.mute", {"user_id": 77, "muted": True}, INES)


def test_mute_all_silences_everyone_but_instructors(state: State) -> None:
    run(state, "voice.mute_all", {"muted": True}, INES)
    assert voice.may_speak(state, INES.user_id)
    assert not voice.may_speak(state, SAM.user_id) and not voice.may_speak(state, LEA.user_id)
    run(state, "voice.mute_all", {"muted": False}, INES)
    assert voice.may_speak(state, SAM.user_id)


def test_the_floor_lets_one_student_speak_while_everyone_is_muted(state: State) -> None:
    run(state, "voice.mute_all", {"muted": True}, INES)
    run(state, "voice.raise_hand", {"raised": True}, SAM)
    assert state["voice"]["hands"] == [SAM.user_id]
    run(state, "voice.give_floor", {"user_id": SAM.user_id, "allowed": True}, INES)
    assert voice.may_speak(state, SAM.user_id)
    assert not voice.may_speak(state, LEA.user_id)
    assert state["voice"]["hands"] == []  # the hand is answered
    run(state, "voice.give_floor", {"user_id": SAM.user_id, "allowed": False}, INES)
    assert not voice.may_speak(state, SAM.user_id)


def test_the_floor_lifts_an_individual_mute_and_a_mute_takes_the_floor_back(state: State) -> None:
    run(state, "voice.mute", {"user_id": SAM.user_id, "muted": True}, INES)
    run(state, "voice.give_floor", {"user_id": SAM.user_id, "allowed": True}, INES)
    assert voice.may_speak(state, SAM.user_id)
    run(state, "voice.mute", {"user_id": SAM.user_id, "muted": True}, INES)
    assert not voice.may_speak(state, SAM.user_id)
    assert state["voice"]["floor"] == []


def test_mute_all_takes_back_every_floor_given_before(state: State) -> None:
    run(state, "voice.give_floor", {"user_id": SAM.user_id, "allowed": True}, INES)
    run(state, "voice.mute_all", {"muted": True}, INES)
    assert not voice.may_speak(state, SAM.user_id)


def test_observers_get_no_floor_and_raise_no_hand(state: State) -> None:
    with pytest.raises(Conflict, match="observer"):
        COMMONS.decide(state, "voice.give_floor", {"user_id": KIM.user_id, "allowed": True}, INES)
    with pytest.raises(Forbidden, match="observers"):
        COMMONS.decide(state, "voice.raise_hand", {"raised": True}, KIM)


def test_a_lock_blocks_unmuting_oneself_but_not_muting(state: State) -> None:
    run(state, "voice.set_self_muted", {"muted": True}, SAM)
    run(state, "voice.lock", {"locked": True}, INES)
    assert voice.may_speak(state, SAM.user_id)  # the lock itself silences nobody
    with pytest.raises(Forbidden, match="blocked unmuting"):
        COMMONS.decide(state, "voice.set_self_muted", {"muted": False}, SAM)
    run(state, "voice.set_self_muted", {"muted": True}, LEA)  # muting is always allowed
    run(state, "voice.set_self_muted", {"muted": False}, INES)  # instructors are not locked
    run(state, "voice.give_floor", {"user_id": SAM.user_id, "allowed": True}, INES)
    run(state, "voice.set_self_muted", {"muted": False}, SAM)  # the floor lets them
    assert state["voice"]["self_muted"] == [LEA.user_id]


def test_a_muted_student_cannot_unmute_themselves(state: State) -> None:
    run(state, "voice.mute_all", {"muted": True}, INES)
    with pytest.raises(Forbidden, match="muted everyone"):
        COMMONS.decide(state, "voice.set_self_muted", {"muted": False}, SAM)
    with pytest.raises(Forbidden, match="observers"):
        COMMONS.decide(state, "voice.set_self_muted", {"muted": False}, KIM)


def test_removing_a_member_drops_their_hand_and_floor(state: State) -> None:
    run(state, "voice.raise_hand", {"raised": True}, LEA)
    run(state, "voice.give_floor", {"user_id": SAM.user_id, "allowed": True}, INES)
    run(state, "member.remove", {"user_id": LEA.user_id}, INES)
    run(state, "member.remove", {"user_id": SAM.user_id}, INES)
    assert state["voice"]["hands"] == [] and state["voice"]["floor"] == []


def test_a_space_whose_log_predates_floor_control(state: State) -> None:
    del state["voice"]  # a snapshot written before floor control existed
    assert voice.may_speak(state, SAM.user_id)
    assert voice.voice_state(state) == voice.initial_voice()
    run(state, "member.remove", {"user_id": LEA.user_id}, INES)
    assert "voice" not in state
    run(state, "voice.raise_hand", {"raised": True}, SAM)
    assert state["voice"] == {**voice.initial_voice(), "hands": [SAM.user_id]}


def test_replaying_the_events_gives_the_same_state(state: State) -> None:
    events: list[EventSpec] = []
    events += run(state, "voice.mute_all", {"muted": True}, INES)
    events += run(state, "voice.raise_hand", {"raised": True}, SAM)
    events += run(state, "voice.give_floor", {"user_id": SAM.user_id, "allowed": True}, INES)
    events += run(state, "voice.lock", {"locked": True}, INES)
    events += run(state, "voice.mute", {"user_id": LEA.user_id, "muted": True}, INES)
    replay = COMMONS.initial_state()
    for a in (INES, SAM, KIM, LEA):
        COMMONS.apply(replay, "member.role_changed", {"user_id": a.user_id, "role": a.role, "display_name": a.display_name})
    del replay["voice"]
    for name, data in events:
        COMMONS.apply(replay, name, data)
    assert replay["voice"] == state["voice"]


def test_the_instructors_floor_decisions_are_audited() -> None:
    assert {"voice.muted", "voice.muted_all", "voice.locked", "voice.floor_given"} <= core.AUDITED_EVENTS
    assert "voice.hand_raised" not in core.AUDITED_EVENTS


@pytest.mark.parametrize(
    ("name", "data", "user_id", "expected"),
    [
        ("voice.muted_all", {"muted": True}, SAM.user_id, True),
        ("voice.muted_all", {"muted": False}, SAM.user_id, False),
        ("voice.muted", {"user_id": SAM.user_id, "muted": True}, SAM.user_id, True),
        ("voice.muted", {"user_id": SAM.user_id, "muted": True}, LEA.user_id, False),
        ("voice.floor_given", {"user_id": SAM.user_id, "allowed": False}, SAM.user_id, True),
        ("voice.floor_given", {"user_id": SAM.user_id, "allowed": True}, SAM.user_id, False),
        ("member.role_changed", {"user_id": SAM.user_id, "role": "observer", "display_name": "S"}, SAM.user_id, True),
    ],
)
def test_which_events_may_silence_whom(name: str, data: dict[str, Any], user_id: int, expected: bool) -> None:
    assert name in voice.SILENCING_EVENTS
    assert voice.concerns(name, data, user_id) is expected


HEAD = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"sdp": HEAD + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\n"}, True),
        ({"sdp": HEAD + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"}, True),  # sendrecv is the default
        ({"sdp": HEAD + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendonly\r\n"}, True),
        ({"sdp": HEAD + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\n"}, False),
        ({"sdp": HEAD + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=inactive\r\n"}, False),
        ({"sdp": HEAD + "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\n"}, False),  # rejected section
        ({"sdp": HEAD + "m=audio 9 UDP 111\r\na=recvonly\r\nm=video 9 UDP 96\r\na=sendrecv\r\n"}, False),
        ({"sdp": HEAD + "m=video 9 UDP 96\r\na=sendrecv\r\nm=audio 9 UDP 111\r\n"}, True),
        ({"sdp": HEAD, "media": {"audio": True}}, True),  # the client's own flag counts too
        ({"sdp": HEAD, "media": {"audio": False, "video": True}}, False),
        ({}, False),
    ],
)
def test_which_offers_send_audio(data: dict[str, Any], expected: bool) -> None:
    assert voice.sends_audio(data) is expected


ZONES = [
    {"id": "huddle", "name": "Huddle corner", "rect": [-8.0, -8.0, -4.0, -4.0]},
    {"id": "gallery", "name": "Observation gallery", "rect": [4.0, 4.0, 9.0, 7.5]},
]


def test_an_instructor_sets_zones_and_broadcasts(state: State) -> None:
    [(name, data)] = run(state, "voice.set_zones", {"zones": ZONES}, INES)
    assert name == "voice.zones_set" and [z["id"] for z in data["zones"]] == ["huddle", "gallery"]
    COMMONS.apply(state, name, data)
    assert state["voice"]["zones"][1]["rect"] == [4.0, 4.0, 9.0, 7.5]
    [(name, data)] = run(state, "voice.broadcast", {"on": True}, INES)
    COMMONS.apply(state, name, data)
    assert state["voice"]["broadcast"] == [INES.user_id]
    COMMONS.apply(state, "member.removed", {"user_id": INES.user_id})
    assert state["voice"]["broadcast"] == []
    with pytest.raises(Forbidden):
        run(state, "voice.set_zones", {"zones": []}, SAM)
    with pytest.raises(Forbidden):
        run(state, "voice.broadcast", {"on": True}, SAM)


@pytest.mark.parametrize(
    "zones",
    [
        [{"id": "a", "name": "A", "rect": [0, 0, 0, 5]}],  # no area
        [{"id": "a", "name": "A", "rect": [0, 0, 1e6, 5]}],  # far away
        [{"id": "a", "name": "A", "rect": [0, 0, float("nan"), 5]}],
        [{"id": "a", "name": "A", "rect": [0, 0, 1, 1]}, {"id": "a", "name": "B", "rect": [2, 2, 3, 3]}],  # same id
        [{"id": "Bad Id", "name": "A", "rect": [0, 0, 1, 1]}],
        [{"id": "a", "name": "", "rect": [0, 0, 1, 1]}],
        [{"id": f"z{i}", "name": "Z", "rect": [0, 0, 1, 1]} for i in range(voice.MAX_ZONES + 1)],
        [{"id": "a", "name": "A", "rect": [0, 0, 1]}],
    ],
)
def test_bad_zones_are_refused(state: State, zones: list[dict[str, Any]]) -> None:
    with pytest.raises(InvalidInput):
        run(state, "voice.set_zones", {"zones": zones}, INES)
