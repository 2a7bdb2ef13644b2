"""The "commons" kind: a plain shared room (chat, objects, pins). Every other kind builds on the
same core commands and adds its own."""

from __future__ import annotations

from medverse.spaces.kinds import RulesOnly, SpaceKind

COMMONS = SpaceKind(
    name="commons",
    title="Commons",
    description="A shared room for meeting, pointing and placing labelled objects and pins.",
)


def commons_plugin() -> RulesOnly:
    return RulesOnly(COMMONS)
