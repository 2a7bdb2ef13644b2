"""The core commands (chat, shared objects, membership, moderation) as pure rules: no server, no
database. Each command's role check, schema and state checks, and the appliers that replay its
events, exercised through the commons kind (which adds nothing to the core)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from medverse.commons import COMMONS
from medverse.errors import Conflict, Forbidden, InvalidInput, NotFound
from medverse.spaces import core
from medverse.spaces.kinds import Actor, EventSpec, State, UnknownCommand, Viewer

INES = Actor(1, "Dr Ines Moreau", "instructor")
SAM = Actor(2, "Sam Okafor", "participant")
KIM = Actor(3, "Kim Lindqvist", "observer")
ADMIN = Actor(9, "Site Admin", "instructor", is_admin=True)
ACTORS = {"instructor": INES, "participant": SAM, "observer": KIM}


def run(state: State, name: str, args: Any, actor: Actor) -> list[EventSpec]:
    return COMMONS.run(state, name, args, actor)


@pytest.fixture
def state() -> State:
    """A commons space with an instructor, a participant, an observer and one box ``o1``."""
    s = COMMONS.initial_state()
    for a in (INES, SAM, KIM):
        COMMONS.apply(s, "member.role_changed", {"user_id": a.user_id, "role": a.role, "display_name": a.display_name})
    run(s, "object.create", {"shape": "box", "position": [0, 0, 0], "id": "o1"}, INES)
    return s


# Args every core command accepts from an instructor in the fixture's state. A new core command
# must be added here (test_every_core_command_has_an_example fails until it is).
VALID: dict[str, dict[str, Any]] = {
    "chat.send": {"text": "hello"},
    "object.create": {"shape": "sphere", "position": [1, 2, 3]},
    "object.update": {"id": "o1", "color": "#112233"},
    "object.delete": {"id": "o1"},
    "member.set_role": {"user_id": SAM.user_id, "role": "observer"},
    "member.mute": {"user_id": SAM.user_id, "muted": True},
    "member.remove": {"user_id": SAM.user_id},
    "space.lock": {"locked": True},
    "space.set_policy": {"edit": "participant"},
    "voice.mute": {"user_id": SAM.user_id, "muted": True},
    "voice.mute_all": {"muted": True},
    "voice.lock": {"locked": True},
    "voice.raise_hand": {"raised": True},
    "voice.give_floor": {"user_id": SAM.user_id, "allowed": True},
    "voice.set_self_muted": {"muted": True},
    "voice.set_zones": {"zones": [{"id": "huddle", "name": "Huddle", "rect": [-8, -8, -4, -4]}]},
    "voice.broadcast": {"on": True},
}

# Who may issue each command under the default policy (only instructors edit shared objects).
ALLOWED: dict[str, set[str]] = {
    "chat.send": {"instructor", "participant", "observer"},
    "object.create": {"instructor"},
    "object.update": {"instructor"},
    "object.delete": {"instructor"},
    "member.set_role": {"instructor"},
    "member.mute": {"instructor"},
    "member.remove": {"instructor"},
    "space.lock": {"instructor"},
    "space.set_policy": {"instructor"},
    "voice.mute": {"instructor"},
    "voice.mute_all": {"instructor"},
    "voice.lock": {"instructor"},
    "voice.raise_hand": {"instructor", "participant"},
    "voice.give_floor": {"instructor"},
    "voice.set_self_muted": {"instructor", "participant", "observer"},
    "voice.set_zones": {"instructor"},
    "voice.broadcast": {"instructor"},
}


def test_every_core_command_has_an_example() -> None:
    assert set(VALID) == set(core.COMMANDS) == set(ALLOWED)


def test_initial_state_layout() -> None:
    assert COMMONS.initial_state() == {
        "objects": {},
        "chat": [],
        "members": {},
        "removed": [],
        "locked": False,
        "policy": {"edit": "instructor"},
        "voice": {
            "muted": [],
            "muted_all": False,
            "locked": False,
            "hands": [],
            "floor": [],
            "self_muted": [],
            "zones": [],
            "broadcast": [],
        },
        "kind": {},
    }


def test_every_event_a_command_makes_has_an_applier(state: State) -> None:
    for name, args in VALID.items():
        for event, _data in COMMONS.decide(state, name, args, INES):
            assert event in core.APPLIERS, (name, event)
    assert core.MEMBERSHIP_EVENTS.issubset(core.APPLIERS)
    assert core.AUDITED_EVENTS.issubset(core.APPLIERS)


# --- roles ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(VALID))
@pytest.mark.parametrize("role", ["instructor", "participant", "observer"])
def test_role_check_of_every_command(state: State, name: str, role: str) -> None:
    if role in ALLOWED[name]:
        assert COMMONS.decide(state, name, VALID[name], ACTORS[role])
    else:
        with pytest.raises(Forbidden, match=role):
            COMMONS.decide(state, name, VALID[name], ACTORS[role])


@pytest.mark.parametrize("name", ["object.create", "object.update", "object.delete"])
def test_the_edit_policy_lets_participants_change_objects_but_never_observers(state: State, name: str) -> None:
    run(state, "space.set_policy", {"edit": "participant"}, INES)
    assert COMMONS.decide(state, name, VALID[name], SAM)
    with pytest.raises(Forbidden, match="needs role participant"):
        COMMONS.decide(state, name, VALID[name], KIM)
    run(state, "space.set_policy", {"edit": "instructor"}, INES)
    with pytest.raises(Forbidden, match="needs role instructor"):
        COMMONS.decide(state, name, VALID[name], SAM)


def test_a_muted_member_cannot_chat_but_a_muted_admin_can(state: State) -> None:
    run(state, "member.mute", {"user_id": SAM.user_id, "muted": True}, INES)
    with pytest.raises(Forbidden, match="muted"):
        COMMONS.decide(state, "chat.send", {"text": "let me talk"}, SAM)
    COMMONS.apply(state, "member.role_changed", {"user_id": ADMIN.user_id, "role": "instructor", "display_name": "A"})
    COMMONS.apply(state, "member.muted", {"user_id": ADMIN.user_id, "muted": True})
    assert COMMONS.decide(state, "chat.send", {"text": "still here"}, ADMIN)
    run(state, "member.mute", {"user_id": SAM.user_id, "muted": False}, INES)
    assert COMMONS.decide(state, "chat.send", {"text": "thanks"}, SAM)


# --- schemas: every command, sent by someone the role check lets through ---------------------------
@pytest.mark.parametrize("name", sorted(VALID))
def test_an_unknown_argument_is_refused_by_the_schema(state: State, name: str) -> None:
    allowed = ACTORS[sorted(ALLOWED[name])[0]]
    COMMONS.find(name).check_role(state, allowed)  # the role check passes: the schema must refuse
    with pytest.raises(InvalidInput, match=rf"^{name}: unexpected: Extra inputs are not permitted"):
        COMMONS.decide(state, name, {**VALID[name], "unexpected": 1}, allowed)


@pytest.mark.parametrize("name", sorted(VALID))
def test_args_must_be_an_object(state: State, name: str) -> None:
    with pytest.raises(InvalidInput, match="args must be an object"):
        COMMONS.decide(state, name, [VALID[name]], INES)


@pytest.mark.parametrize(
    "name, args, message",
    [
        ("chat.send", {}, "text: Field required"),
        ("chat.send", {"text": ""}, "text"),
        ("chat.send", {"text": "   \n"}, "cannot be blank"),
        ("chat.send", {"text": "x" * 2001}, "at most 2000"),
        ("chat.send", {"text": 12}, "text"),
        ("object.create", {"shape": "teapot", "position": [0, 0, 0]}, "shape"),
        ("object.create", {"shape": "box"}, "position: Field required"),
        ("object.create", {"shape": "box", "position": [0, 0]}, "position"),
        ("object.create", {"shape": "box", "position": [0, 0, 1001]}, "less than or equal to 1000"),
        ("object.create", {"shape": "box", "position": [0, 0, float("nan")]}, "finite"),
        ("object.create", {"shape": "box", "position": [0, 0, 0], "rotation": [0, 0, 0.5, 0.5]}, "unit quaternion"),
        ("object.create", {"shape": "box", "position": [0, 0, 0], "scale": [0, 1, 1]}, "scale"),
        ("object.create", {"shape": "box", "position": [0, 0, 0], "color": "red"}, "#rrggbb"),
        ("object.create", {"shape": "box", "position": [0, 0, 0], "label": "x" * 201}, "label"),
        ("object.create", {"shape": "box", "position": [0, 0, 0], "id": "../x"}, "letters, digits"),
        ("object.update", {"position": [0, 0, 0]}, "id: Field required"),
        ("object.delete", {"id": 5}, "id"),
        ("member.set_role", {"user_id": 2, "role": "god"}, "role"),
        ("member.set_role", {"user_id": "sam", "role": "observer"}, "user_id"),
        ("member.mute", {"user_id": 2}, "muted: Field required"),
        ("member.remove", {}, "user_id: Field required"),
        ("space.lock", {"locked": "maybe"}, "locked"),
        ("space.set_policy", {"edit": "observer"}, "edit"),
    ],
)
def test_schema_refusals_name_the_field(state: State, name: str, args: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as info:
        COMMONS.decide(state, name, args, INES)
    assert str(info.value).startswith(f"{name}: ")


def test_unknown_command_is_named() -> None:
    with pytest.raises(UnknownCommand, match=r"'warp\.drive' is not a command of the commons space kind"):
        COMMONS.decide(COMMONS.initial_state(), "warp.drive", {}, INES)


def test_deciding_never_changes_the_state(state: State) -> None:
    before = copy.deepcopy(state)
    for name, args in VALID.items():
        COMMONS.decide(state, name, args, INES)
    with pytest.raises(Conflict):
        COMMONS.decide(state, "object.create", {"shape": "box", "position": [0, 0, 0], "id": "o1"}, INES)
    assert state == before


def test_applying_copies_the_event_data(state: State) -> None:
    data = {
        "object": {
            "id": "o2",
            "shape": "box",
            "position": [1, 1, 1],
            "rotation": [0, 0, 0, 1],
            "scale": [1, 1, 1],
            "color": "#000000",
            "label": "",
            "created_by": 1,
        }
    }
    COMMONS.apply(state, "object.created", data)
    data["object"]["position"][0] = 99
    assert state["objects"]["o2"]["position"] == [1, 1, 1]


def test_an_event_without_an_applier_is_an_error(state: State) -> None:
    with pytest.raises(KeyError, match=r"no applier for event 'warp\.engaged'"):
        COMMONS.apply(state, "warp.engaged", {})


# --- chat ------------------------------------------------------------------------------------------
def test_chat_message_is_stripped_and_signed_by_the_actor(state: State) -> None:
    [(event, data)] = run(state, "chat.send", {"text": "  hello all  "}, KIM)
    assert event == "chat.message"
    assert (data["user_id"], data["display_name"], data["text"]) == (KIM.user_id, KIM.display_name, "hello all")
    assert state["chat"][-1] == data


def test_chat_keeps_only_the_newest_messages(state: State) -> None:
    for i in range(core.CHAT_KEEP + 5):
        COMMONS.apply(state, "chat.message", {"user_id": 1, "display_name": "I", "text": f"m{i}", "ts": 0.0})
    assert len(state["chat"]) == core.CHAT_KEEP
    assert state["chat"][0]["text"] == "m5" and state["chat"][-1]["text"] == f"m{core.CHAT_KEEP + 4}"


# --- shared objects --------------------------------------------------------------------------------
def test_created_object_gets_defaults_and_its_author(state: State) -> None:
    [(_, pin)] = run(state, "object.create", {"shape": "pin", "position": [1, 2, 3], "id": "p1"}, INES)
    assert pin["object"] == {
        "id": "p1",
        "shape": "pin",
        "position": [1.0, 2.0, 3.0],
        "rotation": [0.0, 0.0, 0.0, 1.0],
        "scale": [1.0, 1.0, 1.0],
        "color": "#e4572e",
        "label": "",
        "created_by": INES.user_id,
    }
    [(_, box)] = run(state, "object.create", {"shape": "box", "position": [0, 0, 0]}, INES)
    assert box["object"]["color"] == "#4f86c6" and box["object"]["id"].startswith("o-")
    assert set(state["objects"]) == {"o1", "p1", box["object"]["id"]}


def test_rotation_is_normalised(state: State) -> None:
    [(_, data)] = run(state, "object.create", {"shape": "box", "position": [0, 0, 0], "rotation": [0, 0, 0.6, 0.84]}, INES)
    rotation = data["object"]["rotation"]
    assert sum(x * x for x in rotation) == pytest.approx(1.0)
    assert rotation[2] / rotation[3] == pytest.approx(0.6 / 0.84)


def test_an_object_id_is_used_once(state: State) -> None:
    with pytest.raises(Conflict, match="'o1' exists already"):
        COMMONS.decide(state, "object.create", {"shape": "box", "position": [0, 0, 0], "id": "o1"}, INES)


def test_a_space_holds_at_most_max_objects(state: State) -> None:
    for i in range(core.MAX_OBJECTS - 1):
        COMMONS.apply(state, "object.created", {"object": {"id": f"x{i}"}})
    with pytest.raises(Conflict, match=f"at most {core.MAX_OBJECTS}"):
        COMMONS.decide(state, "object.create", {"shape": "box", "position": [0, 0, 0]}, INES)


def test_update_changes_only_the_given_fields(state: State) -> None:
    [(event, data)] = run(state, "object.update", {"id": "o1", "scale": [2, 2, 2], "label": "apex"}, INES)
    assert (event, data) == ("object.updated", {"id": "o1", "changes": {"scale": [2.0, 2.0, 2.0], "label": "apex"}})
    assert state["objects"]["o1"]["scale"] == [2.0, 2.0, 2.0] and state["objects"]["o1"]["position"] == [0.0, 0.0, 0.0]


def test_update_needs_a_change_and_an_existing_object(state: State) -> None:
    with pytest.raises(InvalidInput, match="at least one of"):
        COMMONS.decide(state, "object.update", {"id": "o1"}, INES)
    with pytest.raises(NotFound, match="'ghost'"):
        COMMONS.decide(state, "object.update", {"id": "ghost", "label": "x"}, INES)


def test_delete_needs_an_existing_object_and_replaying_it_is_harmless(state: State) -> None:
    run(state, "object.delete", {"id": "o1"}, INES)
    assert state["objects"] == {}
    with pytest.raises(NotFound, match="'o1'"):
        COMMONS.decide(state, "object.delete", {"id": "o1"}, INES)
    COMMONS.apply(state, "object.deleted", {"id": "o1"})  # a replayed event finds nothing to delete
    assert state["objects"] == {}


# --- membership and moderation -----------------------------------------------------------------------
def test_set_role_changes_a_member(state: State) -> None:
    [(event, data)] = run(state, "member.set_role", {"user_id": SAM.user_id, "role": "observer"}, INES)
    assert (event, data) == ("member.role_changed", {"user_id": 2, "role": "observer", "display_name": "Sam Okafor"})
    assert state["members"]["2"] == {"role": "observer", "display_name": "Sam Okafor", "muted": False}


def test_set_role_adds_a_new_member_only_with_a_name(state: State) -> None:
    with pytest.raises(NotFound, match="user 7 is not a member"):
        COMMONS.decide(state, "member.set_role", {"user_id": 7, "role": "participant"}, INES)
    run(state, "member.set_role", {"user_id": 7, "role": "participant", "display_name": "New"}, INES)
    assert state["members"]["7"] == {"role": "participant", "display_name": "New", "muted": False}


def test_set_role_to_the_same_role_is_a_conflict(state: State) -> None:
    with pytest.raises(Conflict, match="participant already"):
        COMMONS.decide(state, "member.set_role", {"user_id": SAM.user_id, "role": "participant"}, INES)


@pytest.mark.parametrize(
    "name, args",
    [
        ("member.set_role", {"user_id": INES.user_id, "role": "participant"}),
        ("member.mute", {"user_id": INES.user_id, "muted": True}),
        ("member.remove", {"user_id": INES.user_id}),
    ],
)
def test_instructors_cannot_act_on_themselves_but_admins_can(state: State, name: str, args: dict[str, Any]) -> None:
    with pytest.raises(Forbidden, match="yourself"):
        COMMONS.decide(state, name, args, INES)
    admin_as_ines = Actor(INES.user_id, INES.display_name, "instructor", is_admin=True)
    assert COMMONS.decide(state, name, args, admin_as_ines)


@pytest.mark.parametrize(
    "name, args",
    [
        ("member.mute", {"user_id": 77, "muted": True}),
        ("member.remove", {"user_id": 77}),
    ],
)
def test_moderation_needs_a_member(state: State, name: str, args: dict[str, Any]) -> None:
    with pytest.raises(NotFound, match="user 77 is not a member"):
        COMMONS.decide(state, name, args, INES)


def test_mute_is_applied_to_the_member(state: State) -> None:
    run(state, "member.mute", {"user_id": SAM.user_id, "muted": True}, INES)
    assert state["members"]["2"]["muted"] is True


def test_a_removed_member_is_listed_once_and_comes_back_when_re_added(state: State) -> None:
    run(state, "member.remove", {"user_id": SAM.user_id}, INES)
    COMMONS.apply(state, "member.removed", {"user_id": SAM.user_id})  # replayed twice: still once
    assert "2" not in state["members"] and state["removed"] == [SAM.user_id]
    with pytest.raises(NotFound):
        COMMONS.decide(state, "member.remove", {"user_id": SAM.user_id}, INES)
    run(state, "member.set_role", {"user_id": SAM.user_id, "role": "participant", "display_name": "Sam"}, INES)
    assert state["removed"] == [] and state["members"]["2"]["role"] == "participant"


def test_lock_and_policy_are_applied(state: State) -> None:
    assert run(state, "space.lock", {"locked": True}, INES) == [("space.locked", {"locked": True})]
    assert state["locked"] is True
    run(state, "space.lock", {"locked": False}, INES)
    assert state["locked"] is False
    assert run(state, "space.set_policy", {"edit": "participant"}, INES) == [("space.policy_changed", {"edit": "participant"})]
    assert state["policy"] == {"edit": "participant"}


# --- what the commons shows ----------------------------------------------------------------------------
def test_the_commons_hides_nothing(state: State) -> None:
    viewer = Viewer(KIM.user_id, "observer")
    assert COMMONS.state_for(state, viewer) is state
    data = {"user_id": 1, "display_name": "I", "text": "hi", "ts": 0.0}
    assert COMMONS.event_for("chat.message", data, viewer) is data


def test_describe_lists_the_core_commands() -> None:
    described = COMMONS.describe()
    assert described["name"] == "commons" and described["title"] == "Commons" and described["description"]
    assert described["commands"] == sorted(core.COMMANDS)
