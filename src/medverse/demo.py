"""The demo site: an admin, an instructor, two students and a demo space of every kind.

Idempotent: existing accounts and spaces are left as they are. The passwords are public (they
are printed and in the README); never use ``--demo`` on a server others can reach.
"""

from __future__ import annotations

import asyncio

from medverse.auth import hash_password
from medverse.spaces.manager import SpaceManager
from medverse.store import Database, User

DEMO_USERS = [
    # username, display name, password, site admin
    ("admin", "Site Admin", "admin-demo", True),
    ("ines", "Dr Ines Moreau", "instructor-demo", False),
    ("sam", "Sam Okafor", "student-demo", False),
    ("kim", "Kim Lindqvist", "student-demo", False),
]
DEMO_ROLES = {"ines": "instructor", "sam": "participant", "kim": "participant"}


def ensure_users(db: Database) -> dict[str, User]:
    users: dict[str, User] = {}
    for username, display, password, is_admin in DEMO_USERS:
        found = db.user_by_username(username)
        users[username] = found[0] if found else db.create_user(username, display, hash_password(password), is_admin)
    return users


async def seed(db: Database, manager: SpaceManager) -> list[str]:
    """Create what is missing; returns the names of the demo spaces."""
    users = await asyncio.to_thread(ensure_users, db)
    members = [(users[u], role) for u, role in DEMO_ROLES.items()]
    names = []
    for kind in manager.kinds.rules():
        name = f"{kind.name}-demo"
        names.append(name)
        if await asyncio.to_thread(db.space, name) is None:
            await manager.create(name, kind.name, f"{kind.title} (demo)", users["admin"], members)
    return names


def banner(url: str, spaces: list[str]) -> str:
    lines = [
        "",
        f"  medverse demo site: {url}",
        "",
        "  accounts (demo passwords, change them for real use):",
    ]
    for username, display, password, is_admin in DEMO_USERS:
        role = "site admin" if is_admin else DEMO_ROLES[username]
        lines.append(f"    {username:<6} / {password:<16} {display} ({role})")
    lines.append("")
    lines.append("  demo spaces: " + ", ".join(spaces))
    lines.append("")
    return "\n".join(lines)
