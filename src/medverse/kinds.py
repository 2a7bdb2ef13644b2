"""The built-in space kinds: the one place that lists them.

The app is built from the kind plug-ins handed to it (:func:`medverse.app.factory.create_app`);
this module only says which plug-ins ship with medverse. :func:`kind_rules` gives the pure rules
of each (state, commands, events, who may issue them) without their services, for the protocol
contract and the Python client.
"""

from __future__ import annotations

from medverse.config import Settings
from medverse.spaces.kinds import KindPlugin, SpaceKind


def default_plugins(settings: Settings) -> list[KindPlugin]:
    """The plug-ins of every built-in kind, with their dependencies."""
    from medverse.anatomy import AnatomyPlugin
    from medverse.commons import commons_plugin
    from medverse.simbay.plugin import SimBayPlugin

    return [commons_plugin(), AnatomyPlugin(settings.data_dir), SimBayPlugin()]


def kind_rules() -> list[SpaceKind]:
    """The rules of every built-in kind, sorted by name."""
    from medverse.anatomy import anatomy_rules
    from medverse.commons import COMMONS
    from medverse.simbay.rules import simbay_rules

    return sorted([COMMONS, anatomy_rules(), simbay_rules()], key=lambda k: k.name)


def rules_by_name(name: str) -> SpaceKind:
    """One built-in kind's rules (the Python client applies events with them)."""
    for kind in kind_rules():
        if kind.name == name:
            return kind
    raise KeyError(f"no built-in space kind {name!r}")
