"""The ``medverse`` command line."""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
from pathlib import Path
from typing import Any

import click

from medverse import __version__


def _settings(**overrides: Any):  # type: ignore[no-untyped-def]
    from medverse.config import load_settings

    return load_settings(**overrides)


@click.group()
@click.version_option(__version__, prog_name="medverse")
def main() -> None:
    """medverse: shared 3D spaces for medical teaching and care."""


_common = [
    click.option(
        "--data-dir",
        type=click.Path(path_type=Path),
        default=None,
        help="Folder for the SQLite file, blobs and secret key (default ./data).",
    ),
    click.option("--database-url", default=None, help="SQLAlchemy URL (default: SQLite in the data dir)."),
]


def common(fn):  # type: ignore[no-untyped-def]
    for opt in reversed(_common):
        fn = opt(fn)
    return fn


@main.command()
@common
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8000).")
@click.option("--redis-url", default=None, help="Redis URL for serving spaces from several processes.")
@click.option("--demo", is_flag=True, help="Create the demo accounts and spaces if missing.")
@click.option("--log-level", default="info", type=click.Choice(["debug", "info", "warning", "error"]))
def serve(
    data_dir: Path | None,
    database_url: str | None,
    host: str | None,
    port: int | None,
    redis_url: str | None,
    demo: bool,
    log_level: str,
) -> None:
    """Run the medverse server."""
    import uvicorn

    from medverse.app import create_app

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _settings(data_dir=data_dir, database_url=database_url, host=host, port=port, redis_url=redis_url)
    app = create_app(settings, demo=demo)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        ws_max_size=settings.ws_max_frame_bytes,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        log_level=log_level,
        access_log=log_level == "debug",
        lifespan="on",
        # uvicorn would believe X-Forwarded-* from 127.0.0.1; medverse trusts only settings.trusted_proxies
        proxy_headers=False,
    )
    uvicorn.Server(config).run()


@main.group()
def user() -> None:
    """Manage accounts."""


@user.command("add")
@common
@click.argument("username")
@click.option("--display-name", default=None, help="Name shown to others (default: the username).")
@click.option("--password", default=None, help="Password (asked for when omitted).")
@click.option("--admin", is_flag=True, help="Make the account a site admin.")
def user_add(
    data_dir: Path | None, database_url: str | None, username: str, display_name: str | None, password: str | None, admin: bool
) -> None:
    """Create an account."""
    from pydantic import ValidationError

    from medverse.app.routers.users import NewUser
    from medverse.auth import hash_password
    from medverse.errors import MedverseError
    from medverse.store import Database

    settings = _settings(data_dir=data_dir, database_url=database_url)
    if password is None:
        password = getpass.getpass(f"password for {username}: ")
    try:
        body = NewUser(username=username, display_name=display_name or username, password=password, is_admin=admin)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err["loc"])
        raise click.ClickException(f"{field}: {err['msg']}") from None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.effective_database_url)
    db.upgrade()
    try:
        created = db.create_user(body.username, body.display_name, hash_password(body.password), admin)
    except MedverseError as exc:
        raise click.ClickException(str(exc)) from None
    db.audit("user.create", target=created.username, detail={"is_admin": admin, "via": "cli"})
    click.echo(f"created user {created.username} (id {created.id}{', site admin' if admin else ''})")


@user.command("list")
@common
def user_list(data_dir: Path | None, database_url: str | None) -> None:
    """List accounts."""
    from medverse.store import Database

    settings = _settings(data_dir=data_dir, database_url=database_url)
    db = Database(settings.effective_database_url)
    db.upgrade()
    for u in db.users():
        click.echo(f"{u.id:>4}  {u.username:<20} {u.display_name:<30} {'admin' if u.is_admin else ''}")


@main.group()
def space() -> None:
    """Manage spaces."""


@space.command("create")
@common
@click.argument("name")
@click.option("--kind", default="commons", show_default=True, help="A registered space kind.")
@click.option("--title", default="", help="Title shown in the lobby.")
@click.option(
    "--member",
    "members",
    multiple=True,
    metavar="USER:ROLE",
    help="Add a member (role: instructor, participant or observer). Repeatable.",
)
def space_create(
    data_dir: Path | None, database_url: str | None, name: str, kind: str, title: str, members: tuple[str, ...]
) -> None:
    """Create a space."""
    from medverse.app.factory import build_services
    from medverse.auth.roles import ROLES
    from medverse.errors import MedverseError

    settings = _settings(data_dir=data_dir, database_url=database_url)
    svc = build_services(settings)
    admins = [u for u in svc.db.users() if u.is_admin]
    if not admins:
        raise click.ClickException("create a site admin first: medverse user add NAME --admin")
    pairs = []
    for m in members:
        username, _, role = m.partition(":")
        if role not in ROLES:
            raise click.ClickException(f"--member {m!r}: role must be one of {', '.join(ROLES)}")
        found = svc.db.user_by_username(username)
        if found is None:
            raise click.ClickException(f"--member {m!r}: no user named {username!r}")
        pairs.append((found[0], role))

    async def run() -> None:
        await svc.spaces.start()
        try:
            await svc.spaces.create(name, kind, title, admins[0], pairs)
        finally:
            await svc.spaces.stop()

    try:
        asyncio.run(run())
    except MedverseError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created space {name} ({kind}) with {len(pairs)} member(s)")


@space.command("list")
@common
def space_list(data_dir: Path | None, database_url: str | None) -> None:
    """List spaces."""
    from medverse.store import Database

    settings = _settings(data_dir=data_dir, database_url=database_url)
    db = Database(settings.effective_database_url)
    db.upgrade()
    for s in db.spaces():
        members = ", ".join(f"{u.username}:{r}" for u, r in db.members(s.id))
        click.echo(f"{s.name:<24} {s.kind:<12} seq {s.head_seq:<6} {members}")


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@common
def db_upgrade(data_dir: Path | None, database_url: str | None) -> None:
    """Apply pending schema migrations."""
    from medverse.store import Database

    settings = _settings(data_dir=data_dir, database_url=database_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ran = Database(settings.effective_database_url).upgrade()
    click.echo("\n".join(ran) if ran else "the schema is up to date")


@main.group()
def protocol() -> None:
    """The wire contract shared with the web client (names, codes, commands, events)."""


@protocol.command("ts")
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to write the module (default web/src/net/contract.gen.ts of this checkout; '-' prints it).",
)
def protocol_ts(out: Path | None) -> None:
    """Write the contract as the TypeScript module the web client imports."""
    from medverse.kinds import kind_rules
    from medverse.spaces.contract import TS_PATH, build_contract, render_typescript

    text = render_typescript(build_contract(kind_rules()))
    if out is not None and str(out) == "-":
        click.echo(text, nl=False)
        return
    target = out or Path(__file__).resolve().parents[2] / TS_PATH
    if not target.parent.is_dir():
        raise click.ClickException(f"{target.parent} is not a folder (is this a source checkout? use --out)")
    target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {target}")


@protocol.command("json")
def protocol_json() -> None:
    """Print the contract as JSON."""
    from medverse.kinds import kind_rules
    from medverse.spaces.contract import build_contract, render_json

    click.echo(render_json(build_contract(kind_rules())), nl=False)


def _add_engine_groups() -> None:
    # Engines register their own command groups; each is imported only when present.
    import importlib

    for module_name, attr in (
        ("medverse.physiology.cli", "physiology"),
        ("medverse.imaging.cli", "imaging"),
    ):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("medverse"):
                continue
            raise
        main.add_command(getattr(module, attr))


_add_engine_groups()

if __name__ == "__main__":
    sys.exit(main())
