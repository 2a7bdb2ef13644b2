"""Space kinds: what a space holds, which commands it accepts, and who may issue them.

A kind has two halves:

- its **rules** (:class:`SpaceKind`): the initial state, the commands (argument schema as a
  pydantic model, the least role that may issue it or a check function, a handler turning a valid
  command into events), an applier per event, and optionally what each viewer may see of the
  state and of an event (:attr:`SpaceKind.view_state`, :attr:`SpaceKind.view_event`). Rules are
  pure: no I/O except through the services handed to them when they are built, so they can be
  unit-tested without a server.
- its **plug-in** (:class:`KindPlugin`): the rules plus what the kind brings to the server: REST
  routes, background work (jobs), its start and stop, and the name of its client module
  (``web/src/kinds/<client_module>``).

The app is built from the plug-ins it is given (:class:`KindSet`); the spaces layer imports no kind.
Every kind also gets the core commands (chat, shared objects, moderation) from
:mod:`medverse.spaces.core`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ValidationError

from medverse.auth.roles import INSTRUCTOR, at_least
from medverse.errors import Forbidden, InvalidInput, NotFound

if TYPE_CHECKING:
    from medverse.spaces.host import KindHost

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


@dataclass(frozen=True)
class Viewer:
    """Who receives a snapshot or an event: what a kind may hide from them depends on this."""

    user_id: int
    role: str

    @property
    def is_instructor(self) -> bool:
        return self.role == INSTRUCTOR


Handler = Callable[[State, Any, Actor], list[EventSpec]]
Applier = Callable[[State, dict[str, Any]], None]
RoleCheck = Callable[[State, Actor], str | None]
# (kind state, viewer) -> the kind state this viewer may see (a copy when anything is hidden)
StateView = Callable[[State, Viewer], State]
# (event name, data, viewer) -> the data this viewer may see (the same object when nothing is hidden)
EventView = Callable[[str, dict[str, Any], Viewer], dict[str, Any]]


@dataclass(frozen=True)
class Command:
    """One command a kind accepts.

    ``role`` is the least role that may issue it, or a function of (state, actor) returning None
    when allowed and the refusal message otherwise. An ``internal`` command is issued only by the
    server itself (a kind's REST route or job, on someone's behalf), never from a socket.
    """

    name: str
    args: type[BaseModel]
    role: str | RoleCheck
    handle: Handler
    summary: str = ""
    internal: bool = False

    def check_role(self, state: State, actor: Actor) -> None:
        if callable(self.role):
            refusal = self.role(state, actor)
            if refusal:
                raise Forbidden(refusal)
        elif not at_least(actor.role, self.role):
            raise Forbidden(f"{self.name} needs role {self.role} (you are {actor.role})")


class UnknownCommand(NotFound):
    code = "unknown-command"


@dataclass
class SpaceKind:
    """The rules of a kind (see the module docstring)."""

    name: str
    title: str
    description: str
    initial: Callable[[], State] = dict
    commands: dict[str, Command] = field(default_factory=dict)
    appliers: dict[str, Applier] = field(default_factory=dict)
    view_state: StateView | None = None
    view_event: EventView | None = None

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

    def decide(self, state: State, name: str, raw_args: Any, actor: Actor, trusted: bool = False) -> list[EventSpec]:
        """Validate a command against schema, role and state; return the events it makes.

        ``trusted``: issued by the server itself (may use internal commands). Never mutates ``state``.
        """
        cmd = self.find(name)
        if cmd.internal and not trusted:
            raise Forbidden(f"{name} is issued by the server only")
        cmd.check_role(state, actor)
        if not isinstance(raw_args, dict):
            raise InvalidInput(f"{name} args must be an object (got {type(raw_args).__name__})")
        try:
            args = cmd.args.model_validate(raw_args)
        except ValidationError as exc:
            raise InvalidInput(_describe(name, exc)) from None
        return cmd.handle(state, args, actor)

    def run(self, state: State, name: str, raw_args: Any, actor: Actor, trusted: bool = False) -> list[EventSpec]:
        """Decide a command and apply its events to ``state`` in place, as the command log does
        (without storing anything): the rules' whole effect, for tests and tools."""
        events = self.decide(state, name, raw_args, actor, trusted=trusted)
        for event, data in events:
            self.apply(state, event, data)
        return events

    def apply(self, state: State, name: str, data: dict[str, Any]) -> None:
        from medverse.spaces import core

        fn = self.appliers.get(name) or core.APPLIERS.get(name)
        if fn is None:
            raise KeyError(f"no applier for event {name!r} in kind {self.name}")
        fn(state, copy.deepcopy(data))

    def state_for(self, state: State, viewer: Viewer) -> State:
        """The whole space state as ``viewer`` may see it (a snapshot for them)."""
        if self.view_state is None:
            return state
        return {**state, "kind": self.view_state(state["kind"], viewer)}

    def event_for(self, name: str, data: dict[str, Any], viewer: Viewer) -> dict[str, Any]:
        """An event's data as ``viewer`` may see it."""
        if self.view_event is None:
            return data
        return self.view_event(name, data, viewer)

    @property
    def event_names(self) -> list[str]:
        return sorted(self.appliers)

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


class KindPlugin(Protocol):
    """A kind as it plugs into the server: its rules and everything else it brings."""

    @property
    def rules(self) -> SpaceKind: ...

    @property
    def client_module(self) -> str:
        """The folder of its client module under ``web/src/kinds/``."""
        ...

    def routers(self) -> list[Any]:
        """FastAPI routers with the kind's REST routes (may be empty)."""
        ...

    async def start(self, host: KindHost) -> None:
        """Called once the server's services run; the host lets the kind reach its spaces."""
        ...

    async def stop(self) -> None: ...


class RulesOnly:
    """A plug-in for a kind that brings nothing but its rules (e.g. the commons)."""

    def __init__(self, rules: SpaceKind, client_module: str | None = None) -> None:
        self._rules = rules
        self._client = client_module or rules.name

    @property
    def rules(self) -> SpaceKind:
        return self._rules

    @property
    def client_module(self) -> str:
        return self._client

    def routers(self) -> list[Any]:
        return []

    async def start(self, host: KindHost) -> None:
        return None

    async def stop(self) -> None:
        return None


class KindSet:
    """The kinds one server runs, by name (built by the app from the plug-ins it is given)."""

    def __init__(self, plugins: Iterable[KindPlugin]) -> None:
        self._plugins: dict[str, KindPlugin] = {}
        for plugin in plugins:
            name = plugin.rules.name
            if name in self._plugins:
                raise ValueError(f"two plug-ins for the space kind {name!r}")
            self._plugins[name] = plugin

    def get(self, name: str) -> SpaceKind:
        return self.plugin(name).rules

    def plugin(self, name: str) -> KindPlugin:
        try:
            return self._plugins[name]
        except KeyError:
            raise NotFound(f"unknown space kind {name!r} (known: {', '.join(sorted(self._plugins))})") from None

    def __iter__(self) -> Iterator[KindPlugin]:
        return iter(self._plugins[k] for k in sorted(self._plugins))

    def __contains__(self, name: object) -> bool:
        return name in self._plugins

    def rules(self) -> list[SpaceKind]:
        return [p.rules for p in self]
