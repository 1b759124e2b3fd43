"""Messages as Discord stores them: creation and edits (PATCH semantics), uploads, mentions and who
they would ping, and the rule checks that reject a request like Discord."""

from __future__ import annotations

import copy
import re
from typing import Any

from aiohttp import web

from .. import rules
from ..models import (
    FLAG_IS_COMPONENTS_V2,
    FLAG_LOADING,
    FLAG_SUPPRESS_EMBEDS,
    FLAG_SUPPRESS_NOTIFICATIONS,
    INTERACTION_APPLICATION_COMMAND,
    Ping,
    ResponseEvent,
    StoredFile,
    StoredMessage,
    iso_timestamp,
)
from ..records import InteractionRecord
from .common import (
    Ctx,
    json_response,
    log,
)
from .gateway import Gateway


class Messages(Gateway):
    """Message storage and the answers to a request that breaks a rule."""

    def _event(
        self,
        record: InteractionRecord,
        ctx: Ctx,
        kind: str,
        status: int,
        *,
        response: Any = None,
        callback_type: int | None = None,
        message_id: int | None = None,
        error_code: int | None = None,
    ) -> ResponseEvent:
        event = ResponseEvent(
            kind=kind,
            method=ctx.method,
            path=ctx.path,
            at=record._elapsed(self._now()),
            status=status,
            request=ctx.body,
            response=response,
            callback_type=callback_type,
            message_id=message_id,
            error_code=error_code,
        )
        record.events.append(event)
        record._notify()
        return event

    def _store_uploads(
        self, channel_id: int, body: dict[str, Any], files: list[tuple[str, str, bytes, str | None]]
    ) -> list[StoredFile]:
        stored = []
        descriptions = {
            str(a.get("id")): a.get("description")
            for a in (body.get("attachments") or [])
            if isinstance(a, dict)
        }
        for field_name, filename, data, content_type in files:
            index = field_name[len("files[") : -1] if field_name.startswith("files[") else ""
            item = self.add_attachment(filename, data, content_type, channel_id=channel_id)
            item.description = descriptions.get(index)
            stored.append(item)
        return stored

    def _mentions(self, content: str, allowed: Any) -> tuple[bool, list[int], list[int]]:
        """Who a message's content would notify, applying Discord's ``allowed_mentions`` rules.

        Without ``allowed_mentions`` Discord parses everything: users, roles and @everyone/@here.
        """
        if isinstance(allowed, dict):
            parse = set(allowed.get("parse") or [])
            users_ok = {int(u) for u in allowed.get("users") or []}
            roles_ok = {int(r) for r in allowed.get("roles") or []}
        else:
            parse = {"users", "roles", "everyone"}
            users_ok, roles_ok = set(), set()
        everyone = ("@everyone" in content or "@here" in content) and "everyone" in parse
        users = [
            u
            for u in dict.fromkeys(int(m) for m in re.findall(r"<@!?(\d+)>", content))
            if "users" in parse or u in users_ok
        ]
        roles = [
            r
            for r in dict.fromkeys(int(m) for m in re.findall(r"<@&(\d+)>", content))
            if "roles" in parse or r in roles_ok
        ]
        return everyone, users, roles

    def _apply_mentions(
        self, message: StoredMessage, body: dict[str, Any], record: InteractionRecord | None
    ) -> None:
        content = message.payload.get("content") or ""
        everyone, users, roles = self._mentions(content, body.get("allowed_mentions"))
        message.payload["mention_everyone"] = everyone
        message.payload["mentions"] = [self.users[u] for u in users if u in self.users]
        message.payload["mention_roles"] = [str(r) for r in roles]
        if everyone or users or roles:
            ping = Ping(
                message.id,
                None if record is None else record.id,
                everyone,
                users,
                roles,
                content,
                message.ephemeral,
            )
            self.pings.append(ping)
            if record is not None:
                record.pings.append(ping)
            log.warning("fake Discord: message %s would ping %s", message.id, ping)

    @staticmethod
    def _normalize_embeds(embeds: Any) -> list[dict[str, Any]]:
        return [{"type": "rich", **e} for e in embeds or [] if isinstance(e, dict)]

    def _create_message(
        self,
        *,
        channel_id: int,
        body: dict[str, Any],
        files: list[tuple[str, str, bytes, str | None]],
        record: InteractionRecord | None = None,
        message_type: int = 0,
        flags_allowed: int = FLAG_SUPPRESS_EMBEDS
        | FLAG_SUPPRESS_NOTIFICATIONS
        | FLAG_IS_COMPONENTS_V2,
        extra_flags: int = 0,
        author: dict[str, Any] | None = None,
        message_id: int | None = None,  # a forum post's first message has the post's id
    ) -> StoredMessage:
        message_id = message_id or self.ids.next()
        stored_files = self._store_uploads(channel_id, body, files)
        flags = (int(body.get("flags") or 0) & flags_allowed) | extra_flags
        payload: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "type": message_type,
            "content": body.get("content") or "",
            "author": author or self.bot_user,
            "attachments": [f.to_attachment() for f in stored_files],
            "embeds": self._normalize_embeds(body.get("embeds")),
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": bool(body.get("tts", False)),
            "timestamp": iso_timestamp(),
            "edited_timestamp": None,
            "flags": flags,
            "components": copy.deepcopy(body.get("components") or []),
        }
        if body.get("nonce") is not None:
            payload["nonce"] = body["nonce"]  # Discord echoes the nonce of channel messages
        if body.get("message_reference"):
            payload["message_reference"] = body["message_reference"]
            payload["type"] = 19
        if record is not None:
            payload["webhook_id"] = str(self.application_id)
            payload["application_id"] = str(self.application_id)
            payload.update(self._interaction_metadata(record))
        message = StoredMessage(
            message_id,
            channel_id,
            payload,
            interaction_id=None if record is None else record.id,
            files=stored_files,
        )
        self.messages[message_id] = message
        if author is None:
            self._apply_mentions(message, body, record)
        return message

    def _interaction_metadata(self, record: InteractionRecord) -> dict[str, Any]:
        user = (record.payload.get("member") or {}).get("user") or record.payload.get("user")
        metadata: dict[str, Any] = {
            "id": str(record.id),
            "type": record.type,
            "user": user,
            "authorizing_integration_owners": record.payload.get(
                "authorizing_integration_owners", {}
            ),
        }
        out: dict[str, Any] = {"interaction_metadata": metadata}
        if record.type == INTERACTION_APPLICATION_COMMAND:
            metadata["name"] = record.name
            metadata["command_type"] = record.payload["data"].get("type", 1)
            out["interaction"] = {
                "id": str(record.id),
                "type": record.type,
                "name": record.name,
                "user": user,
            }
        elif record.source_message_id is not None:
            metadata["interacted_message_id"] = str(record.source_message_id)
        return out

    def _update_message(
        self,
        message: StoredMessage,
        body: dict[str, Any],
        files: list[tuple[str, str, bytes, str | None]],
        record: InteractionRecord | None,
    ) -> None:
        """Apply a PATCH-like body: present keys replace, ``null`` clears, absent keys stay."""
        was_loading = message.loading
        message.history.append(copy.deepcopy(message.payload))
        payload = message.payload
        if "content" in body:
            payload["content"] = body["content"] or ""
        if "embeds" in body:
            payload["embeds"] = self._normalize_embeds(body["embeds"])
        if "components" in body:
            payload["components"] = copy.deepcopy(body["components"] or [])
        flags = int(payload.get("flags") or 0) & ~FLAG_LOADING
        if body.get("flags") is not None:
            changeable = FLAG_SUPPRESS_EMBEDS | FLAG_IS_COMPONENTS_V2
            flags = (flags & ~changeable) | (int(body["flags"]) & changeable)
        payload["flags"] = flags
        if "attachments" in body or files:
            keep_ids = {
                str(a.get("id")) for a in body.get("attachments") or [] if isinstance(a, dict)
            }
            kept = [f for f in message.files if str(f.id) in keep_ids]
            new = self._store_uploads(message.channel_id, body, files)
            message.files = kept + new
            payload["attachments"] = [f.to_attachment() for f in message.files]
        if not was_loading:
            payload["edited_timestamp"] = iso_timestamp()
        if "content" in body or "allowed_mentions" in body:
            self._apply_mentions(message, body, record)

    def _check_files(
        self, files: list[tuple[str, str, bytes, str | None]]
    ) -> list[rules.RuleError]:
        errors = []
        for _, filename, data, _ in files:
            if len(data) > self.attachment_size_limit:
                errors.append(
                    rules.RuleError(
                        "attachment.size",
                        ("files",),
                        "REQUEST_ENTITY_TOO_LARGE",
                        f"Request entity too large ({filename}: {len(data)} bytes)",
                        discord_code=40005,
                    )
                )
        if len(files) > 10:
            errors.append(
                rules.RuleError(
                    "attachment.count",
                    ("files",),
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 10 or fewer in length.",
                )
            )
        return errors

    def _reject(
        self, errors: list[rules.RuleError], ctx: Ctx, record: InteractionRecord | None, kind: str
    ) -> web.Response | None:
        """Record every broken rule; answer like Discord (400/413) if ``reject_invalid``."""
        if not errors:
            return None
        for err in errors:
            self._violate(err.rule, err.describe(), record, ctx)
        if not self.reject_invalid:
            return None
        body = rules.error_body(errors)
        status = 413 if body["code"] == 40005 else 400
        if record is not None:
            self._event(record, ctx, kind, status, response=body, error_code=body["code"])
        return json_response(status, body)
