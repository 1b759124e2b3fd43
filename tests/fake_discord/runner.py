"""Run a discord.py client against a :class:`FakeDiscord` for the duration of an ``async with``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import discord
import yarl
from discord import app_commands

from .server import FakeDiscord

log = logging.getLogger("tests.fake_discord")

ClientT = TypeVar("ClientT", bound=discord.Client)

FAKE_TOKEN = "fake-bot-token"


def point_discord_at(fake: FakeDiscord, monkeypatch: Any | None = None) -> None:
    """Aim discord.py's REST base and default gateway at the fake.

    discord.py 2.7 builds every REST URL from the class attribute ``Route.BASE`` when a ``Route``
    is created, and a non-sharded client never asks ``/gateway/bot``: it connects straight to
    ``DiscordWebSocket.DEFAULT_GATEWAY`` (a ``yarl.URL``), then to READY's ``resume_gateway_url``.
    With ``monkeypatch`` the change is undone after the test.
    """
    base = fake.api_base
    gateway = yarl.URL(fake.gateway_url)
    if monkeypatch is not None:
        monkeypatch.setattr(discord.http.Route, "BASE", base)
        monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", gateway)
    else:
        discord.http.Route.BASE = base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


def _tree_of(bot: discord.Client) -> app_commands.CommandTree[Any] | None:
    tree = getattr(bot, "tree", None)
    return tree if isinstance(tree, app_commands.CommandTree) else None


def register_tree(fake: FakeDiscord, tree: app_commands.CommandTree[Any]) -> None:
    """Register the tree's commands in the fake for scopes the bot did not sync.

    A production bot usually syncs once, not on every start; its commands still exist on Discord.
    Registering them (without a SyncRecord) lets tests inject interactions for such bots.
    """
    scopes: list[int | None] = [None]
    scopes += [gid for gid in tree._guild_commands if gid not in scopes]  # no public accessor
    scopes += [gid for (_, gid, _) in tree._context_menus if gid not in scopes]
    for scope in scopes:
        if fake.commands.get(scope):
            continue
        guild = None if scope is None else discord.Object(id=scope)
        commands = tree._get_all_commands(guild=guild)
        if commands and (scope is None or scope in fake.guild_ids):
            fake.register_commands([c.to_dict(tree) for c in commands], guild_id=scope)


@contextlib.asynccontextmanager
async def run_client(
    bot: ClientT,
    fake: FakeDiscord | None,
    *,
    token: str = FAKE_TOKEN,
    timeout: float = 20.0,
    guild_ready_timeout: float = 0.1,
    register_commands: bool = True,
) -> AsyncIterator[ClientT]:
    """Start ``bot`` against ``fake``, wait until it is ready, yield it, close it cleanly.

    "Ready" means: READY and GUILD_CREATE processed (``on_ready`` dispatched), every ``on_ready``
    handler finished (so a sync done in ``on_ready`` has reached the fake; one done in
    ``setup_hook`` has too, since login awaits it), and, unless ``register_commands`` is False,
    the bot's tree registered in the fake for scopes it did not sync.

    Call :func:`point_discord_at` first (the ``fake_discord`` fixture does). ``fake`` None: the
    fake runs in another process (``bench/fake_process.py``), so nothing is registered in it
    from here; a bot that syncs its commands on start has them there all the same.
    """
    # discord.py waits ``guild_ready_timeout`` after the last GUILD_CREATE before READY (2 s by
    # default); the fake sends its only guild at once, so a short wait is enough. There is no
    # public setter after construction, hence the private attribute.
    state = bot._connection
    state.guild_ready_timeout = min(state.guild_ready_timeout, guild_ready_timeout)

    task = asyncio.create_task(bot.start(token), name="fake-discord: bot.start")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while not bot.is_ready():
            if task.done():
                task.result()  # re-raises the login/connect error
                raise RuntimeError("bot.start() returned before the client became ready")
            if loop.time() > deadline:
                seen = "" if fake is None else f"; requests: {fake.requests[-5:]}"
                raise TimeoutError(f"client not ready after {timeout}s{seen}")
            await asyncio.sleep(0.01)
        # on_ready handlers are tasks named "discord.py: on_ready"; let them finish (a sync in
        # on_ready must reach the fake before the test starts injecting interactions).
        handlers = [
            t
            for t in asyncio.all_tasks()
            if t.get_name() == "discord.py: on_ready" and not t.done()
        ]
        if handlers:
            _, pending = await asyncio.wait(handlers, timeout=max(0.1, deadline - loop.time()))
            if pending:
                log.warning("on_ready still running after %ss; continuing", timeout)
        tree = _tree_of(bot)
        if register_commands and tree is not None and fake is not None:
            register_tree(fake, tree)
        yield bot
    finally:
        await bot.close()
        done, _ = await asyncio.wait({task}, timeout=5.0)
        if not done:
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)
        elif not task.cancelled() and task.exception() is not None:
            # A failing client must not hide the test's own error; it is logged instead.
            log.debug("bot.start() ended with %r", task.exception())
