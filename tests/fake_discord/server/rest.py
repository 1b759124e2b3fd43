"""The REST handlers other than commands: identity and gateway discovery, the interaction callback,
webhook follow-ups and ``@original``, channels, users and guilds."""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from .. import rules
from ..models import (
    ALLOWED_CALLBACKS,
    CALLBACK_AUTOCOMPLETE_RESULT,
    CALLBACK_CHANNEL_MESSAGE,
    CALLBACK_DEFERRED_CHANNEL_MESSAGE,
    CALLBACK_DEFERRED_UPDATE_MESSAGE,
    CALLBACK_MODAL,
    CALLBACK_UPDATE_MESSAGE,
    FLAG_EPHEMERAL,
    FLAG_IS_COMPONENTS_V2,
    FLAG_LOADING,
    FLAG_SUPPRESS_EMBEDS,
    FLAG_SUPPRESS_NOTIFICATIONS,
    INTERACTION_APPLICATION_COMMAND,
    StoredMessage,
)
from ..records import InteractionRecord
from .commands import Commands
from .common import (
    Ctx,
    error_response,
    json_response,
    no_content,
    truthy,
)


class Rest(Commands):
    """One ``_h_*`` method per Discord route (the table is in :mod:`.routing`)."""

    # -- identity, gateway discovery ----------------------------------------------------------

    async def _h_me(self, ctx: Ctx) -> web.Response:
        return json_response(200, self.bot_user)

    async def _h_app_info(self, ctx: Ctx) -> web.Response:
        team = self._team
        owner = self.users[self.app_owner_id] if team is None else self._team_pseudo_user(team)
        return json_response(
            200,
            {
                "id": str(self.application_id),
                "name": "quotebot",
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "bot": self.bot_user,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": self.application_flags,
                "owner": owner,
                "team": None if team is None else self._team_payload(team),
                "rpc_origins": [],
                "tags": [],
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "role_connections_verification_url": None,
                "approximate_guild_count": len(self.guild_ids),
                "integration_types_config": {"0": {}},
                "hook": True,
                "is_monetized": False,
            },
        )

    async def _h_gateway(self, ctx: Ctx) -> web.Response:
        return json_response(200, {"url": self.websocket_url("gateway")})

    async def _h_gateway_bot(self, ctx: Ctx) -> web.Response:
        return json_response(
            200,
            {
                "url": self.websocket_url("gateway"),
                "shards": self.shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14400000,
                    "max_concurrency": self.max_concurrency,
                },
            },
        )

    async def _h_app_emojis(self, ctx: Ctx, app: str) -> web.Response:
        return json_response(200, {"items": []})

    # -- interaction callback -----------------------------------------------------------------

    async def _h_callback(self, ctx: Ctx, iid: str, token: str) -> web.Response:
        record = self._interactions.get(int(iid))
        if record is None or record.token != token:
            self._violate("interaction.unknown", f"callback for unknown interaction {iid}", ctx=ctx)
            return error_response(404, 10062, "Unknown interaction")
        now = self._now()
        body = ctx.body if isinstance(ctx.body, dict) else {}
        callback_type = body.get("type")

        if record.acknowledged:
            self._violate(
                "ack.duplicate",
                f"second initial response (type {callback_type}) after type {record.callback_type}",
                record,
                ctx,
            )
            self._event(record, ctx, "callback", 400, callback_type=callback_type, error_code=40060)
            return error_response(400, 40060, "Interaction has already been acknowledged.")

        elapsed = record._elapsed(now)
        if elapsed is None or elapsed > self.ack_deadline:
            when = "before dispatch" if elapsed is None else f"{elapsed:.3f}s after dispatch"
            detail = f"initial response arrived {when} (limit {self.ack_deadline}s)"
            late = next((v for v in record.violations if v.rule == "ack.late"), None)
            if late is None:
                self._violate("ack.late", detail, record, ctx)
            else:
                late.detail = detail
            self._event(record, ctx, "callback", 404, callback_type=callback_type, error_code=10062)
            return error_response(404, 10062, "Unknown interaction")

        if callback_type not in ALLOWED_CALLBACKS.get(record.type, frozenset()):
            error = rules.RuleError(
                "callback.type_invalid",
                ("type",),
                "INTERACTION_RESPONSE_TYPE_INVALID",
                f"Callback type {callback_type} is not valid for interaction type {record.type}",
            )
            if (response := self._reject([error], ctx, record, "callback")) is not None:
                return response

        if (
            callback_type == CALLBACK_UPDATE_MESSAGE
            and record.source_message_id not in self.messages
        ):
            # A modal opened by a command (or a message deleted since) leaves nothing to
            # update: Discord answers 404 Unknown Message (discord-api-docs#7774). A silent
            # DEFERRED_UPDATE_MESSAGE is allowed on every modal submit (#5486).
            self._violate("callback.no_message", "UPDATE_MESSAGE with no message", record, ctx)
            self._event(record, ctx, "callback", 404, callback_type=callback_type, error_code=10008)
            return error_response(404, 10008, "Unknown Message")

        raw_data = body.get("data")
        data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
        errors: list[rules.RuleError] = self._check_files(ctx.files)
        if callback_type == CALLBACK_CHANNEL_MESSAGE:
            errors += rules.check_message(data, ("data",), creating=True, files=len(ctx.files))
        elif callback_type == CALLBACK_UPDATE_MESSAGE:
            errors += rules.check_message(data, ("data",), creating=False)
        elif callback_type == CALLBACK_AUTOCOMPLETE_RESULT:
            errors += rules.check_choices(data)
        elif callback_type == CALLBACK_MODAL:
            errors += rules.check_modal(data)
        if (response := self._reject(errors, ctx, record, "callback")) is not None:
            return response

        record.callback_type = callback_type
        record.callback_data = copy.deepcopy(data)
        record.acknowledged_at = now
        message: StoredMessage | None = None
        if callback_type == CALLBACK_CHANNEL_MESSAGE:
            message = self._answer(record, data, ctx.files)
            record.original_id = message.id
        elif callback_type == CALLBACK_DEFERRED_CHANNEL_MESSAGE:
            message = self._answer(
                record,
                {"flags": data.get("flags", 0)},
                [],
                flags_allowed=FLAG_EPHEMERAL,
                extra_flags=FLAG_LOADING,
            )
            record.original_id = message.id
        elif callback_type in (CALLBACK_DEFERRED_UPDATE_MESSAGE, CALLBACK_UPDATE_MESSAGE):
            source = self.messages.get(record.source_message_id or 0)
            if source is not None:
                record.original_id = source.id
                if callback_type == CALLBACK_UPDATE_MESSAGE:
                    self._update_message(source, data, ctx.files, record)
                message = source

        interaction: dict[str, Any] = {"id": str(record.id), "type": record.type}
        result: dict[str, Any] = {"interaction": interaction}
        if message is not None:
            interaction["response_message_id"] = str(message.id)
            interaction["response_message_loading"] = message.loading
            interaction["response_message_ephemeral"] = message.ephemeral
            if callback_type != CALLBACK_DEFERRED_UPDATE_MESSAGE:
                result["resource"] = {"type": callback_type}
            # Discord: the resource's message "only present if type is either
            # CHANNEL_MESSAGE_WITH_SOURCE or UPDATE_MESSAGE" (not for a deferral's placeholder).
            if callback_type in (CALLBACK_CHANNEL_MESSAGE, CALLBACK_UPDATE_MESSAGE):
                result["resource"]["message"] = copy.deepcopy(message.payload)
        self._event(
            record,
            ctx,
            "callback",
            200,
            response=result,
            callback_type=callback_type,
            message_id=None if message is None else message.id,
        )
        # discord.py >= 2.5 always asks for the callback response object and parses it; without
        # with_response Discord answers 204.
        if truthy(ctx.query.get("with_response")):
            return json_response(200, result)
        return no_content()

    def _answer(
        self,
        record: InteractionRecord,
        body: dict[str, Any],
        files: list[tuple[str, str, bytes, str | None]],
        *,
        flags_allowed: int = FLAG_EPHEMERAL
        | FLAG_SUPPRESS_EMBEDS
        | FLAG_SUPPRESS_NOTIFICATIONS
        | FLAG_IS_COMPONENTS_V2,
        extra_flags: int = 0,
    ) -> StoredMessage:
        """A message answering an interaction (its callback's or a follow-up), in its channel;
        unlike a channel message it may be ephemeral."""
        return self._create_message(
            channel_id=int(record.payload["channel_id"]),
            body=body,
            files=files,
            record=record,
            message_type=self._response_message_type(record),
            flags_allowed=flags_allowed,
            extra_flags=extra_flags,
        )

    @staticmethod
    def _response_message_type(record: InteractionRecord) -> int:
        if record.type == INTERACTION_APPLICATION_COMMAND:
            return 20 if record.payload["data"].get("type", 1) == 1 else 23
        return 0

    # -- webhook follow-ups and @original -----------------------------------------------------

    def _webhook_record(
        self, ctx: Ctx, app: str, token: str, kind: str
    ) -> InteractionRecord | web.Response:
        record = self._by_token.get(token)
        if record is None or int(app) != self.application_id:
            self._violate(
                "webhook.unknown", "webhook call with an unknown application id or token", ctx=ctx
            )
            return error_response(404, 10015, "Unknown Webhook")
        now = self._now()
        elapsed = record._elapsed(now)
        if record.expired or (elapsed is not None and elapsed > self.token_lifetime):
            self._violate(
                "token.expired",
                f"{kind} after the interaction token expired ({self.token_lifetime:.0f}s lifetime)",
                record,
                ctx,
            )
            if record.expired_status == 404:
                self._event(record, ctx, kind, 404, error_code=10015)
                return error_response(404, 10015, "Unknown Webhook")
            self._event(record, ctx, kind, 401, error_code=50027)
            return error_response(401, 50027, "Invalid Webhook Token")
        if not record.acknowledged:
            self._violate(
                "followup.before_ack",
                f"{kind} before the interaction was acknowledged",
                record,
                ctx,
            )
            self._event(record, ctx, kind, 404, error_code=10015)
            return error_response(404, 10015, "Unknown Webhook")
        return record

    async def _h_followup(self, ctx: Ctx, app: str, token: str) -> web.Response:
        found = self._webhook_record(ctx, app, token, "followup")
        if not isinstance(found, InteractionRecord):
            return found
        record = found
        body = ctx.body if isinstance(ctx.body, dict) else {}
        errors = self._check_files(ctx.files) + rules.check_message(
            body, creating=True, files=len(ctx.files)
        )
        if (response := self._reject(errors, ctx, record, "followup")) is not None:
            return response
        original = record.original
        if (
            record.callback_type == CALLBACK_DEFERRED_CHANNEL_MESSAGE
            and original is not None
            and original.loading
            and not original.deleted
        ):
            # Discord: the first follow-up after a "thinking" deferral replaces the placeholder,
            # ignoring its flags: kept for old apps, deprecated for Edit Original Response.
            # A placeholder deleted is none to replace: the follow-up is a message of its own.
            self._violate(
                "followup.replaces_placeholder",
                "a follow-up replaced a deferral's placeholder (deprecated by Discord, which "
                "ignores its ephemeral flag); edit the original response instead",
                record,
                ctx,
            )
            self._update_message(original, body, ctx.files, record)
            message = original
        else:
            message = self._answer(record, body, ctx.files)
            record.followup_ids.append(message.id)
        result = copy.deepcopy(message.payload)
        self._event(record, ctx, "followup", 200, response=result, message_id=message.id)
        if truthy(ctx.query.get("wait")):
            return json_response(200, result)
        return no_content()

    async def _h_webhook_message(self, ctx: Ctx, app: str, token: str, mid: str) -> web.Response:
        kind = {"GET": "get", "PATCH": "edit", "DELETE": "delete"}[ctx.method]
        found = self._webhook_record(ctx, app, token, kind)
        if not isinstance(found, InteractionRecord):
            return found
        record = found
        if mid == "@original":
            message_id = record.original_id
        else:
            message_id = int(mid)
            if message_id != record.original_id and message_id not in record.followup_ids:
                message_id = None
        message = None if message_id is None else self.messages.get(message_id)
        if message is None or message.deleted:
            self._event(record, ctx, kind, 404, error_code=10008)
            return error_response(404, 10008, "Unknown Message")
        if ctx.method == "GET":
            result = copy.deepcopy(message.payload)
            self._event(record, ctx, kind, 200, response=result, message_id=message.id)
            return json_response(200, result)
        if ctx.method == "DELETE":
            message.deleted = True
            if message.id == record.original_id:
                record.original_deleted = True
            self._event(record, ctx, kind, 204, message_id=message.id)
            return no_content()
        body = ctx.body if isinstance(ctx.body, dict) else {}
        flags = int(message.payload.get("flags") or 0)
        if body.get("flags") is not None:
            flags = int(body["flags"])
        errors = self._check_files(ctx.files) + rules.check_message(
            body, creating=False, flags=flags
        )
        merged = {
            **message.payload,
            **{k: v for k, v in body.items() if k in ("content", "embeds", "components")},
        }
        if rules.is_empty_message(merged, len(ctx.files)) and not message.files:
            errors.append(
                rules.RuleError(
                    "message.empty",
                    (),
                    "EMPTY_MESSAGE",
                    "Cannot send an empty message",
                    discord_code=rules.EMPTY_MESSAGE,
                )
            )
        if (response := self._reject(errors, ctx, record, kind)) is not None:
            return response
        self._update_message(message, body, ctx.files, record)
        result = copy.deepcopy(message.payload)
        self._event(record, ctx, kind, 200, response=result, message_id=message.id)
        return json_response(200, result)

    # -- channels, users, guild ---------------------------------------------------------------

    def _channel_error(self, cid: int) -> web.Response:
        guild = self._guild_of_channel(cid)
        if guild is not None and not guild.present:
            return error_response(403, 50001, "Missing Access")  # it exists; the bot was removed
        return error_response(404, 10003, "Unknown Channel")

    async def _h_channel_get(self, ctx: Ctx, cid: str) -> web.Response:
        channel = self._channel(int(cid))
        if channel is None:
            return self._channel_error(int(cid))
        return json_response(200, channel)

    async def _h_channel_message_post(self, ctx: Ctx, cid: str) -> web.Response:
        if self._channel(int(cid)) is None:
            return self._channel_error(int(cid))
        body = ctx.body if isinstance(ctx.body, dict) else {}
        errors = self._check_files(ctx.files) + rules.check_message(
            body, creating=True, files=len(ctx.files)
        )
        if (response := self._reject(errors, ctx, None, "message")) is not None:
            return response
        message = self._create_message(channel_id=int(cid), body=body, files=ctx.files)
        return json_response(200, copy.deepcopy(message.payload))

    async def _h_channel_message(self, ctx: Ctx, cid: str, mid: str) -> web.Response:
        message = self.messages.get(int(mid))
        if message is None or message.deleted or message.channel_id != int(cid):
            return error_response(404, 10008, "Unknown Message")
        if ctx.method == "GET":
            return json_response(200, copy.deepcopy(message.payload))
        if ctx.method == "DELETE":
            message.deleted = True
            return no_content()
        if int(message.payload["author"]["id"]) != self.bot_user_id:
            return error_response(403, 50005, "Cannot edit a message authored by another user")
        body = ctx.body if isinstance(ctx.body, dict) else {}
        errors = self._check_files(ctx.files) + rules.check_message(body, creating=False)
        if (response := self._reject(errors, ctx, None, "edit")) is not None:
            return response
        self._update_message(message, body, ctx.files, None)
        return json_response(200, copy.deepcopy(message.payload))

    async def _h_typing(self, ctx: Ctx, cid: str) -> web.Response:
        return no_content()

    async def _h_reaction(self, ctx: Ctx, cid: str, mid: str, emoji: str) -> web.Response:
        message = self.messages.get(int(mid))
        if message is None:
            return error_response(404, 10008, "Unknown Message")
        message.payload.setdefault("reactions", []).append(
            {"count": 1, "me": True, "emoji": {"id": None, "name": emoji}, "burst_colors": []}
        )
        return no_content()

    async def _h_create_dm(self, ctx: Ctx) -> web.Response:
        recipient = int((ctx.body or {}).get("recipient_id", 0))
        if recipient not in self.users:
            return error_response(400, 50007, "Cannot send messages to this user")
        return json_response(200, self._dm_channels[self.dm_channel_id(recipient)])

    async def _h_user_get(self, ctx: Ctx, uid: str) -> web.Response:
        user = self.users.get(int(uid))
        return json_response(200, user) if user else error_response(404, 10013, "Unknown User")

    async def _h_guild_get(self, ctx: Ctx, guild: str) -> web.Response:
        found = self._present_guild(guild)
        if found is None:
            return error_response(404, 10004, "Unknown Guild")
        payload = self._guild_create_payload(found)
        for key in (
            "members",
            "channels",
            "threads",
            "presences",
            "voice_states",
            "joined_at",
            "large",
        ):
            payload.pop(key, None)
        return json_response(200, payload)

    async def _h_guild_channels(self, ctx: Ctx, guild: str) -> web.Response:
        found = self._present_guild(guild)
        if found is None:
            return error_response(404, 10004, "Unknown Guild")
        return json_response(200, list(found.channels.values()))

    async def _h_guild_member(self, ctx: Ctx, guild: str, uid: str) -> web.Response:
        found = self._present_guild(guild)
        if found is None:
            return error_response(404, 10004, "Unknown Guild")
        member = found.members.get(int(uid))
        if member is None:
            return error_response(404, 10007, "Unknown Member")
        return json_response(200, member)
