"""A fake Discord (REST API + gateway) on 127.0.0.1 that an unmodified discord.py client can use.

Why a fake server rather than mocks: the bot's real code paths (discord.py's HTTP client, rate-limit
handling, gateway reconnects, interaction parsing, ``discord.ui`` view dispatch) run unchanged, and
the fake checks what Discord would check (3-second acknowledgement, one initial response, token
lifetime, message/embed/component limits), so a test fails where production would.

Shape of a test::

    async with run_client(bot, fake) as bot:
        record = await fake.send_slash("quote", {"query": "love"})
        await record.wait_done()
        assert record.embeds[0]["title"] == ...

The server and the bot share one event loop; timings (``InteractionRecord.response_time``) are the
fake's own measurement: from writing INTERACTION_CREATE to the socket to handling the callback.
"""

from __future__ import annotations

from .common import API_VERSION, Fault, GatewayConnection
from .gateway import Announced, ChannelId, GuildId
from .injection import Injection
from .state import DEFAULT_APPLICATION_FLAGS, DEFAULT_ATTACHMENT_SIZE_LIMIT


class FakeDiscord(Injection):
    """The fake server: REST + gateway + interaction injection (see README.md beside this file).

    Built in layers, each on the one before: :mod:`.state` (the world and what happened),
    :mod:`.gateway`, :mod:`.messages`, :mod:`.commands`, :mod:`.rest` (the REST handlers),
    :mod:`.routing` (the HTTP server and faults), :mod:`.options` and :mod:`.injection` (what
    tests call to act as a user).
    """


__all__ = [
    "API_VERSION",
    "DEFAULT_APPLICATION_FLAGS",
    "DEFAULT_ATTACHMENT_SIZE_LIMIT",
    "Announced",
    "ChannelId",
    "FakeDiscord",
    "Fault",
    "GatewayConnection",
    "GuildId",
]
