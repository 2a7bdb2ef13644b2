"""Space kinds: what a space holds, which commands it accepts, and who may issue them.

A kind declares its initial state, its commands (argument schema as a pydantic model, the
least role that may issue it, a handler turning a valid command into events) and an applier for
each event it emits. Every kind also gets the core commands (chat, shared objects, moderation)
from :mod:`medverse.spaces.core`. Kinds register once, by name, in :data:`REGISTRY`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from medverse.auth.roles import at_least
from medverse.errors import Forbidden, InvalidInput, NotFound

State = dict[str, Any]
EventSpec = tuple[str, dict[str, Any]]  # (event name, data)


@dataclass(frozen=True)
class Actor:
    """Who issued a command: their user id, name and effective role in this space."""

    user_id: int
    display_name: str
    role: str
    is_admin: bool = False

    def public(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "display_name": self.display_name}


Handler = Callable[[State, Any, Actor], list[EventSpec]]
Applier = Callable[[State, dict[str, Any]], None]
RoleCheck = Callable[[State, Actor], str | None]


@dataclass(frozen=True)
class Command:
    """One command a kind accepts.

    ``role`` is the least role that may issue it, or a function of (state, actor) returning None
    when allowed and the refusal message otherwise.
    """

    name: str
    args: type[BaseModel]
    role: str | RoleCheck
    handle: Handler
    summary: str = ""

    def check_role(self, state: State, actor: Actor) -> None:
        if callable(self.role):
            refusal = self.role(state, actor)
            if refusal:
                raise Forbidden(refusal)
        elif not at_least(actor.role, self.role):
            raise Forbidden(f"{self.name} needs role {self.role} (you are {actor.role})")


@dataclass
class SpaceKind:
    name: str
    title: str
    description: str
    initial: Callable[[], State] = dict
    commands: dict[str, Command] = field(default_factory=dict)
    appliers: dict[str, Applier] = field(default_factory=dict)

    def command(self, cmd: Command) -> None:
        self.commands[cmd.name] = cmd

    def applier(self, event_name: str) -> Callable[[Applier], Applier]:
        def register(fn: Applier) -> Applier:
            self.appliers[event_name] = fn
            return fn

        return register

    def initial_state(self) -> State:
        from medverse.spaces import core

        state = core.initial_state()
        state["kind"] = self.initial()
        return state

    def find(self, name: str) -> Command:
        from medverse.spaces import core

        cmd = self.commands.get(name) or core.COMMANDS.get(name)
        if cmd is None:
            raise UnknownCommand(f"{name!r} is not a command of the {self.name} space kind")
        return cmd

    def decide(self, state: State, name: str, raw_args: Any, actor: Actor) -> list[EventSpec]:
        """Validate a command against schema, role and state; return the events it makes."""
        cmd = self.find(name)
        cmd.check_role(state, actor)
        if not isinstance(raw_args, dict):
            raise InvalidInput(f"{name} args must be an object (got {type(raw_args).__name__})")
        try:
            args = cmd.args.model_validate(raw_args)
        except ValidationError as exc:
            raise InvalidInput(_describe(name, exc)) from None
        return cmd.handle(state, args, actor)

    def apply(self, state: State, name: str, data: dict[str, Any]) -> None:
        from medverse.spaces import core

        fn = self.appliers.get(name) or core.APPLIERS.get(name)
        if fn is None:
            raise KeyError(f"no applier for event {name!r} in kind {self.name}")
        fn(state, copy.deepcopy(data))

    def describe(self) -> dict[str, Any]:
        from medverse.spaces import core

        names = sorted(set(self.commands) | set(core.COMMANDS))
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "commands": names,
        }


def _describe(name: str, exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(x) for x in err["loc"]) or "args"
        parts.append(f"{where}: {err['msg']}")
    return f"{name}: " + "; ".join(parts)


class UnknownCommand(NotFound):
    code = "unknown-command"


REGISTRY: dict[str, SpaceKind] = {}


def register(kind: SpaceKind) -> SpaceKind:
    if kind.name in REGISTRY:
        raise ValueError(f"space kind {kind.name!r} is registered already")
    REGISTRY[kind.name] = kind
    return kind


def get_kind(name: str) -> SpaceKind:
    load_builtin_kinds()
    try:
        return REGISTRY[name]
    except KeyError:
        raise NotFound(
            f"unknown space kind {name!r} (known: {', '.join(sorted(REGISTRY))})"
        ) from None


def all_kinds() -> list[SpaceKind]:
    load_builtin_kinds()
    return [REGISTRY[k] for k in sorted(REGISTRY)]


def load_builtin_kinds() -> None:
    """Import the modules that register the built-in kinds (idempotent)."""
    import importlib

    for module in BUILTIN_KIND_MODULES:
        importlib.import_module(module)


BUILTIN_KIND_MODULES = ["medverse.spaces.commons", "medverse.anatomy.kind"]
