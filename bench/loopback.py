"""Discord's interaction REST calls answered in memory: the bot's own cost, without a network.

discord.py sends every interaction response, follow-up and edit through one webhook
adapter, looked up in a context variable. `Loopback` takes its place for the tasks started
under `installed()`: it answers each call at once with a payload of the shape Discord
returns, and notes when the message carrying a request's embeds was sent. Everything in
the bot process still runs: discord.py parsing the interaction, the command tree, our
checks, the search, rendering, the view, and serialising the reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

from discord.webhook.async_ import AsyncWebhookAdapter, async_context

CALLBACK_MESSAGE = 4  # Discord's interaction callback types
CALLBACK_DEFERRED = 5


class Loopback(AsyncWebhookAdapter):
    def __init__(self, application_id: int, channel_id: int) -> None:
        super().__init__()
        self.application_id = application_id
        self.channel_id = channel_id
        self._ids = itertools.count(10**17)
        self._answered: dict[str, asyncio.Future[tuple[float, dict[str, Any]]]] = {}
        self.calls = 0

    def expect(self, token: str) -> asyncio.Future[tuple[float, dict[str, Any]]]:
        """A future for the reply with embeds to `token`: when it was sent
        (perf_counter) and its body."""
        future: asyncio.Future[tuple[float, dict[str, Any]]]
        future = asyncio.get_running_loop().create_future()
        self._answered[token] = future
        return future

    async def request(self, route: Any, session: Any = None, **kwargs: Any) -> Any:
        self.calls += 1
        body = kwargs.get("payload")
        if body is None and kwargs.get("multipart"):
            part = next(p for p in kwargs["multipart"] if p.get("name") == "payload_json")
            body = json.loads(part["value"])
        body = body or {}
        token = str(route.webhook_token)
        if route.path.endswith("/callback"):
            kind = body.get("type")
            data = body.get("data") or {}
            self._note(token, data)
            interaction: dict[str, Any] = {"id": str(route.webhook_id), "type": 2}
            result: dict[str, Any] = {"interaction": interaction}
            if kind in (CALLBACK_MESSAGE, CALLBACK_DEFERRED):
                message = self._message(data if kind == CALLBACK_MESSAGE else {})
                interaction["response_message_id"] = message["id"]
                interaction["response_message_loading"] = kind == CALLBACK_DEFERRED
                result["resource"] = {"type": kind, "message": message}
            return result
        if route.method in ("POST", "PATCH"):  # a follow-up, or an edit of a message
            self._note(token, body)
        return self._message(body)

    def _note(self, token: str, body: dict[str, Any]) -> None:
        future = self._answered.get(token)
        if body.get("embeds") and future is not None and not future.done():
            future.set_result((time.perf_counter(), body))

    def _message(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(next(self._ids)),
            "channel_id": str(self.channel_id),
            "type": 20,
            "content": body.get("content", ""),
            "author": {
                "id": str(self.application_id),
                "username": "quotebot",
                "discriminator": "0",
                "avatar": None,
                "bot": True,
            },
            "embeds": body.get("embeds", []),
            "components": body.get("components", []),
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": "2026-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "flags": body.get("flags", 0),
        }


@contextlib.contextmanager
def installed(adapter: Loopback) -> Iterator[None]:
    """Route the interaction calls of tasks created inside the block to `adapter`."""
    token = async_context.set(adapter)
    try:
        yield
    finally:
        async_context.reset(token)
