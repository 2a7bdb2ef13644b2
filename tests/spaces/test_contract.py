"""The wire contract: the TypeScript module the web client imports is generated from the server's
code and must not drift from it; every code the server sends is in it; the docs name them all."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from medverse import errors
from medverse.cli import main
from medverse.kinds import kind_rules
from medverse.spaces import core
from medverse.spaces import protocol as P
from medverse.spaces.contract import TS_PATH, build_contract, render_json, render_typescript
from medverse.spaces.kinds import UnknownCommand

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = "medverse protocol ts"


@pytest.fixture(scope="module")
def contract() -> dict:
    return build_contract(kind_rules())


def _constants(prefix: str) -> dict[str, object]:
    return {name: value for name, value in vars(P).items() if name.startswith(prefix)}


def test_committed_typescript_contract_is_up_to_date(contract: dict) -> None:
    committed = (ROOT / TS_PATH).read_text(encoding="utf-8")
    fresh = render_typescript(contract)
    if committed != fresh:
        diff = "".join(
            list(
                difflib.unified_diff(
                    committed.splitlines(keepends=True),
                    fresh.splitlines(keepends=True),
                    fromfile=f"{TS_PATH} (committed)",
                    tofile="generated from the code now",
                )
            )[:60]
        )
        pytest.fail(
            f"{TS_PATH} does not match the server's protocol, commands and events: run "
            f"`{REGENERATE}` and commit the result (then `cd web && npm run check`).\n{diff}"
        )


def test_rendering_is_deterministic(contract: dict) -> None:
    assert render_typescript(contract) == render_typescript(build_contract(kind_rules()))
    assert json.loads(render_json(contract)) == contract


def test_every_close_code_of_the_protocol_is_in_the_contract(contract: dict) -> None:
    assert contract["close_codes"] == {name.removeprefix("CLOSE_"): code for name, code in _constants("CLOSE_").items()}


def test_every_error_code_of_the_protocol_is_in_the_contract(contract: dict) -> None:
    assert contract["error_codes"] == {name.removeprefix("E_"): code for name, code in _constants("E_").items()}


# Errors of medverse.errors that never reach an error frame, and why.
NOT_ON_THE_SOCKET = {
    errors.NotAuthenticated: "a socket without a session is closed with 4001 instead",
    errors.TooLarge: "a frame too large closes the socket with 1009 instead",
    errors.MissingExtra: "only REST routes of optional features raise it",
}


def test_every_error_the_spaces_layer_raises_has_a_protocol_code() -> None:
    """The gateway sends `exc.code` of the MedverseError a command raised: each of the spaces
    layer's error classes must be one of the protocol's error codes."""
    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, errors.MedverseError) and c is not errors.MedverseError
    ]
    classes.append(UnknownCommand)
    known = set(_constants("E_").values())
    missing = {c.__name__: c.code for c in classes if c not in NOT_ON_THE_SOCKET and c.code not in known}
    assert not missing, (
        f"error codes a command can be refused with but protocol.py does not name: {missing}; "
        f"add an E_ constant for each (then run `{REGENERATE}`)"
    )


def test_client_message_types_are_the_ones_the_gateway_accepts(contract: dict) -> None:
    assert set(contract["messages"]["client"].values()) == set(P.CLIENT_TYPES)
    # only relayed messages (a signal) go both ways
    both = set(contract["messages"]["client"].values()) & set(contract["messages"]["server"].values())
    assert both == set(P.RELAYED_TYPES)


def test_binary_layout_matches_the_structs(contract: dict) -> None:
    b = contract["binary"]
    assert b["POSE_SIZE"] == P.POSE_STRUCT.size
    assert b["ENTRY_SIZE"] == P.ENTRY_PREFIX.size + 4 * P.POSE_FLOATS
    assert b["BATCH_HEADER_SIZE"] == P.BATCH_HEADER.size
    assert [b["HEAD"], b["LEFT"], b["RIGHT"], b["RAY"]] == [0, 7, 14, 21]
    assert contract["pose_flags"] == {"LEFT": 1, "RIGHT": 2, "RAY": 4, "VR": 8}


def test_commands_and_events_come_from_the_kinds(contract: dict) -> None:
    assert set(contract["core"]["commands"]) == set(core.COMMANDS)
    assert contract["core"]["events"] == sorted(core.APPLIERS)
    for kind in kind_rules():
        spec = contract["kinds"][kind.name]
        public = {name for name, cmd in kind.commands.items() if not cmd.internal}
        assert set(spec["commands"]) == public
        assert spec["events"] == sorted(kind.appliers)
    assert contract["core"]["commands"]["space.lock"] == {
        "name": "space.lock",
        "summary": "lock or unlock the space",
        "role": "instructor",
    }
    assert contract["core"]["commands"]["chat.send"]["role"] is None  # a check of the state decides


def test_a_protocol_constant_the_contract_cannot_place_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(P, "SOMETHING_NEW", 3.5, raising=False)
    with pytest.raises(ValueError, match="SOMETHING_NEW"):
        build_contract([])


def test_docs_name_every_code_and_command(contract: dict) -> None:
    doc = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    missing = [f"error {c}" for c in contract["error_codes"].values() if f"| `{c}` |" not in doc]
    missing += [f"close {c}" for c in contract["close_codes"].values() if f"| {c} |" not in doc]
    missing += [f"message {t}" for t in contract["messages"]["server"].values() if f'"{t}"' not in doc]
    commands = list(contract["core"]["commands"])
    commands += [name for spec in contract["kinds"].values() for name in spec["commands"]]
    missing += [f"command {name}" for name in commands if f"`{name}`" not in doc]
    assert not missing, f"docs/protocol.md does not describe: {', '.join(missing)}"


def test_cli_writes_and_prints_the_contract(tmp_path: Path, contract: dict) -> None:
    runner = CliRunner()
    out = tmp_path / "contract.gen.ts"
    result = runner.invoke(main, ["protocol", "ts", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == render_typescript(contract)
    assert out.read_text(encoding="utf-8").startswith("// generated by `medverse protocol ts`, do not edit")
    result = runner.invoke(main, ["protocol", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == contract
