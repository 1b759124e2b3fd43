"""HTTP plumbing: the aiohttp server, the route table from ``METHOD /path`` to a REST handler,
the bot's Authorization, and the faults (429, 5xx) a test schedules."""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import json
import math
import re
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any, Self

import aiohttp
from aiohttp import web

from ..models import (
    RequestLog,
)
from ..records import InteractionRecord
from .common import (
    Ctx,
    Fault,
    error_response,
    json_response,
    log,
)
from .rest import Rest

Handler = Callable[..., Awaitable[web.StreamResponse]]


class Routing(Rest):
    """The HTTP server in front of the REST handlers and the gateway."""

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> Self:
        """Listen on 127.0.0.1 with an ephemeral port; returns self."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # A short shutdown timeout: a stuck handler must not hold a test for aiohttp's default 60 s.
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        log.debug("fake Discord listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        """Flag interactions that never got an answer, close websockets, stop listening."""
        if self._runner is None:
            return
        self._flag_unanswered()
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        for task in list(self._tasks):
            task.cancel()
        for _, _, sent in self._outbox:
            if not sent.done():
                sent.set_result(None)  # nobody will receive it; do not leave awaiters hanging
        if self._hold is not None:
            self._hold.set()
        for conn in self.gateway_connections:
            if not conn.closed:
                # The peer may be gone already; then there is nothing to close.
                with contextlib.suppress(Exception):
                    await conn.ws.close(code=1001)
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- fault injection ----------------------------------------------------------------------

    def fail_next(
        self,
        route_pattern: str,
        status: int = 429,
        *,
        retry_after: float = 0.25,
        is_global: bool = False,
        count: int = 1,
    ) -> Fault:
        """Make the next ``count`` requests matching ``route_pattern`` fail with ``status``.

        ``route_pattern`` is a glob matched against ``"METHOD /path"`` and ``"/path"`` (path
        relative to the API base), e.g. ``"POST /interactions/*/callback"`` or
        ``"/channels/*/messages"``.
        A 429 carries what discord.py reads (``Retry-After``, ``X-RateLimit-*``, ``Via``, a JSON
        body with ``retry_after`` and ``global``); 5xx carry a plain JSON error.
        """
        fault = Fault(route_pattern, status, retry_after, is_global, count)
        self.faults.append(fault)
        return fault

    @property
    def faults_fired(self) -> list[RequestLog]:
        return [entry for fault in self.faults for entry in fault.fired]

    def _take_fault(self, ctx: Ctx) -> Fault | None:
        for fault in self.faults:
            if fault.remaining <= 0:
                continue
            if fnmatch.fnmatchcase(
                f"{ctx.method} {ctx.path}", fault.pattern
            ) or fnmatch.fnmatchcase(ctx.path, fault.pattern):
                fault.remaining -= 1
                fault.fired.append(ctx.entry)
                return fault
        return None

    @staticmethod
    def _fault_response(fault: Fault) -> web.Response:
        if fault.status == 429:
            retry = fault.retry_after
            headers = {
                "Retry-After": str(max(1, math.ceil(retry))),
                "X-RateLimit-Limit": "1",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + retry:.3f}",
                "X-RateLimit-Reset-After": f"{retry:.3f}",
                "X-RateLimit-Scope": "global" if fault.is_global else "user",
                # discord.py treats a 429 without "Via" as a Cloudflare ban and does not retry.
                "Via": "1.1 google",
            }
            if fault.is_global:
                headers["X-RateLimit-Global"] = "true"
            else:
                headers["X-RateLimit-Bucket"] = "fakebucket" + secrets.token_hex(4)
            body = {
                "message": "You are being rate limited.",
                "retry_after": retry,
                "global": fault.is_global,
            }
            return json_response(429, body, headers)
        reason = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}.get(
            fault.status, "Error"
        )
        return error_response(fault.status, 0, f"{fault.status}: {reason}")

    # -- HTTP plumbing ------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.rstrip("/") in ("/gateway", "/resume-gateway") and (
            request.headers.get("Upgrade", "").lower() == "websocket"
        ):
            return await self._gateway_handler(request)
        if path.startswith("/attachments/"):
            # The CDN fails too: a fault for "GET /attachments/*" answers its download.
            entry = RequestLog(request.method, path, dict(request.query), None, self._now())
            ctx = Ctx(request, request.method, path, dict(request.query), None, [], entry)
            fault = self._take_fault(ctx)
            if fault is not None:
                log.info("fake Discord: injected %s for the download %s", fault.status, path)
                return self._fault_response(fault)
            return self._serve_attachment(request)
        match = re.match(r"^/api/v\d+(/.*)$", path)
        api_path = match.group(1) if match else path
        entry = RequestLog(request.method, api_path, dict(request.query), None, self._now())
        self.requests.append(entry)
        try:
            body, files = await self._read_body(request)
            entry.body = body
            ctx = Ctx(request, request.method, api_path, dict(request.query), body, files, entry)
            response = await self._route(ctx, is_api=match is not None)
        except Exception as exc:
            # A bug in the fake must fail the test loudly and fast: a 5xx would make discord.py
            # retry with back-off for seconds, so answer 400 and record a violation.
            log.exception("fake Discord: internal error on %s %s", request.method, api_path)
            self._violate("fake.internal_error", f"{request.method} {api_path}: {exc!r}")
            response = error_response(400, 0, f"fake Discord internal error: {exc!r}")
        entry.status = response.status
        self._notify()
        return response

    @staticmethod
    async def _read_body(
        request: web.Request,
    ) -> tuple[Any, list[tuple[str, str, bytes, str | None]]]:
        files: list[tuple[str, str, bytes, str | None]] = []
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(
                    part, aiohttp.BodyPartReader
                ):  # nested multipart: not used by Discord
                    continue
                if part.name == "payload_json":
                    payload = json.loads(await part.text())
                elif part.filename is not None:
                    data = bytes(await part.read(decode=False))
                    files.append(
                        (part.name or "", part.filename, data, part.headers.get("Content-Type"))
                    )
            return payload, files
        raw = await request.read()
        if not raw:
            return None, files
        try:
            return json.loads(raw), files
        except ValueError:
            return raw.decode("utf-8", "replace"), files

    @functools.cached_property
    def _routes(self) -> list[tuple[str, re.Pattern[str], Handler, bool]]:
        """(method, path regex, handler, needs bot Authorization)."""
        sf = r"(?P<{}>\d+)"
        app = sf.format("app")
        guild = sf.format("guild")
        cid = sf.format("cid")
        mid = sf.format("mid")
        cmd = sf.format("cmd")
        token = r"(?P<token>[^/]+)"
        original = r"(?P<mid>@original|\d+)"
        emoji = r"(?P<emoji>[^/]+)"
        # (methods, path, handler): the routes a bot calls with its token ...
        with_token: list[tuple[str, str, Handler]] = [
            ("GET", r"/users/@me", self._h_me),
            ("GET", r"/oauth2/applications/@me", self._h_app_info),
            ("GET", r"/applications/@me", self._h_app_info),
            ("GET", r"/gateway/bot", self._h_gateway_bot),
            # Application commands: the same routes for global and for guild commands.
            *(
                (methods, rf"/applications/{app}{scope}/commands{one}", handler)
                for scope in ("", f"/guilds/{guild}")
                for methods, one, handler in (
                    ("GET", "", self._h_commands_get),
                    ("PUT", "", self._h_commands_put),
                    ("POST", "", self._h_command_post),
                    ("GET PATCH DELETE", f"/{cmd}", self._h_command_one),
                )
            ),
            ("GET", rf"/applications/{app}/emojis", self._h_app_emojis),
            ("GET", rf"/channels/{cid}", self._h_channel_get),
            ("POST", rf"/channels/{cid}/messages", self._h_channel_message_post),
            ("GET PATCH DELETE", rf"/channels/{cid}/messages/{mid}", self._h_channel_message),
            ("POST", rf"/channels/{cid}/typing", self._h_typing),
            ("PUT", rf"/channels/{cid}/messages/{mid}/reactions/{emoji}/@me", self._h_reaction),
            ("POST", r"/users/@me/channels", self._h_create_dm),
            ("GET", r"/users/(?P<uid>\d+)", self._h_user_get),
            ("GET", rf"/guilds/{guild}", self._h_guild_get),
            ("GET", rf"/guilds/{guild}/channels", self._h_guild_channels),
            ("GET", rf"/guilds/{guild}/members/(?P<uid>\d+)", self._h_guild_member),
        ]
        # ... and those without it: the gateway's address, and the interaction webhooks,
        # which the interaction token in their path authorises.
        without: list[tuple[str, str, Handler]] = [
            ("GET", r"/gateway", self._h_gateway),
            ("POST", rf"/interactions/(?P<iid>\d+)/{token}/callback", self._h_callback),
            ("POST", rf"/webhooks/{app}/{token}", self._h_followup),
            (
                "GET PATCH DELETE",
                rf"/webhooks/{app}/{token}/messages/{original}",
                self._h_webhook_message,
            ),
        ]
        return [
            (method, re.compile(f"^{rx}$"), handler, auth)
            for table, auth in ((with_token, True), (without, False))
            for methods, rx, handler in table
            for method in methods.split()
        ]

    async def _route(self, ctx: Ctx, *, is_api: bool) -> web.StreamResponse:
        fault = self._take_fault(ctx) if is_api else None
        if fault is not None:
            log.info("fake Discord: injected %s for %s %s", fault.status, ctx.method, ctx.path)
            response = self._fault_response(fault)
            self._note_fault_on_interaction(ctx, response.status)
            return response
        path_known = False
        if is_api:
            for method, regex, handler, needs_auth in self._routes:
                match = regex.match(ctx.path)
                if match is None:
                    continue
                path_known = True
                if method != ctx.method:
                    continue
                if needs_auth and not self._authorized(ctx.request):
                    return error_response(401, 0, "401: Unauthorized")
                return await handler(ctx, **match.groupdict())
        if path_known:
            return error_response(405, 0, "405: Method Not Allowed")
        self.unknown_routes.append(ctx.entry)
        self._violate(
            "route.unknown",
            f"the fake does not implement {ctx.method} {ctx.path}; "
            "extend tests/fake_discord/server/rest.py and its table in routing.py",
            ctx=ctx,
        )
        return error_response(404, 0, "404: Not Found")

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bot ") or len(header) <= 4:
            return False
        return self.bot_token is None or header == f"Bot {self.bot_token}"

    def _note_fault_on_interaction(self, ctx: Ctx, status: int) -> None:
        """Injected failures on interaction routes appear in the record's events too."""
        record: InteractionRecord | None = None
        kind = "callback"
        match = re.match(r"^/interactions/(\d+)/([^/]+)/callback$", ctx.path)
        if match:
            record = self._interactions.get(int(match.group(1)))
        else:
            match = re.match(r"^/webhooks/\d+/([^/]+)(/messages/.*)?$", ctx.path)
            if match:
                record = self._by_token.get(match.group(1))
                kind = {"POST": "followup", "PATCH": "edit", "DELETE": "delete"}.get(
                    ctx.method, "get"
                )
        if record is not None:
            self._event(record, ctx, kind, status)

    def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        match = re.match(r"^/attachments/\d+/(\d+)/", request.path)
        stored = self.attachments.get(int(match.group(1))) if match else None
        if stored is None:
            return web.Response(status=404, text="not found")
        return web.Response(
            body=stored.data, content_type=stored.content_type or "application/octet-stream"
        )
