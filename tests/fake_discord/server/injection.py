"""The test-facing injection API: slash commands, autocomplete, context menus, clicks, selects,
modal submits and user messages, each built like Discord's payload and dispatched on the gateway."""

from __future__ import annotations

import asyncio
import copy
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

import discord

from .. import rules
from ..models import (
    CHANNEL_FORUM,
    INTERACTION_APPLICATION_COMMAND,
    INTERACTION_AUTOCOMPLETE,
    INTERACTION_MESSAGE_COMPONENT,
    INTERACTION_MODAL_SUBMIT,
    FakeGuild,
    StoredMessage,
    Upload,
    channel_payload,
    iso_timestamp,
    member_payload,
    thread_payload,
)
from ..records import InteractionRecord
from .common import (
    perm_value,
)
from .gateway import ChannelId
from .options import OPTION_USER, Options


class Injection(Options):
    """What a user does, as INTERACTION_CREATE (or MESSAGE_CREATE) events."""

    # -- threads and forums: where members talk besides channels -------------------------------

    def add_forum(self, name: str, *, guild: bool | int = True) -> ChannelId:
        """Add a forum channel (type 15, where members talk only in posts: threads; see
        :meth:`add_thread`) under "Text Channels"; returns its id, awaitable like
        :meth:`add_guild`'s: the bot hears of it in GUILD_CREATE, or in CHANNEL_CREATE once
        connected."""
        where = self._needs_guild(guild)
        if name in where.channel_ids:
            raise ValueError(f"guild {where.id} already has a channel {name!r}")
        channel_id = self.ids.next()
        forum = channel_payload(
            channel_id,
            name,
            guild_id=where.id,
            position=len(where.channels),
            channel_type=CHANNEL_FORUM,
            parent_id=where.channel_ids["Text Channels"],
        )
        where.channels[channel_id] = forum
        where.channel_ids[name] = channel_id
        return self._announce(channel_id, "CHANNEL_CREATE", forum, seen=True)

    def add_thread(
        self,
        name: str,
        *,
        parent: int | str = "general",
        private: bool = False,
        owner: str = "alice",
        members: Sequence[str] = (),
        bot_joined: bool = False,
        message: str | None = None,
        guild: bool | int = True,
    ) -> ChannelId:
        """Start a thread in text channel ``parent`` (name or id) of ``guild``, or a post in a
        forum channel (:meth:`add_forum`); returns its id, awaitable like :meth:`add_guild`'s.
        Interactions then come from it with ``channel=name`` or its id.

        ``owner`` started it and is its member with ``members`` (users who joined it; unknown
        names are made members of the guild); ``bot_joined`` the bot too. A private thread
        (type 12, text channels only) is seen by its members and whoever has MANAGE_THREADS,
        the bot included: a bot that did not join one without that permission hears nothing of
        it, and discord.py knows it only from the interaction's ``channel``. A public thread or
        post (type 11) is seen by all who see its parent: GUILD_CREATE's ``threads``, or a
        THREAD_CREATE once connected, tells discord.py of it (docs/topics/threads.md, "Gateway
        Events"). A forum post opens with a message by its owner whose id is the thread's
        (``message``, default the name), as on Discord."""
        where = self._needs_guild(guild)
        home = self._thread_parent(where, name, parent, private=private, message=message)
        owner_id = self._ensure_member(where, owner)
        joined = {owner_id} | {self._ensure_member(where, n) for n in members}
        if bot_joined:
            joined.add(self.bot_user_id)
        thread_id = self.ids.next()
        thread = thread_payload(
            thread_id,
            name,
            guild_id=where.id,
            parent=home,
            owner_id=owner_id,
            private=private,
            created_at=iso_timestamp(),
        )
        thread["member_count"] = min(len(joined), 50)  # Discord stops counting at 50
        where.threads[thread_id] = thread
        where.thread_members[thread_id] = joined
        where.channel_ids[name] = thread_id
        if home["type"] == CHANNEL_FORUM:
            self._open_post(home, thread, message if message is not None else name)
        seen = self._bot_sees(where, thread_id)
        return self._announce(thread_id, "THREAD_CREATE", {**thread, "newly_created": True}, seen)

    def _thread_parent(
        self, guild: FakeGuild, name: str, parent: int | str, *, private: bool, message: Any
    ) -> dict[str, Any]:
        """The channel a new thread ``name`` starts in, if Discord would let it start there."""
        if name in guild.channel_ids:
            raise ValueError(f"guild {guild.id} already has a channel {name!r}")
        home = guild.channels.get(self._channel_id_in(guild, parent))
        if home is None or home["type"] not in (0, CHANNEL_FORUM):
            raise ValueError("a thread starts in a text or forum channel")
        if home["type"] != CHANNEL_FORUM and message is not None:
            raise ValueError("only a forum post opens with a message; post one with channel=")
        if private and home["type"] == CHANNEL_FORUM:
            raise ValueError("a forum's posts are public threads; private ones are for text")
        return home

    def _open_post(self, forum: dict[str, Any], thread: dict[str, Any], text: str) -> None:
        """A forum post's first message: its owner's, with the thread's id (docs/topics/
        threads.md, "Creating Threads in Forum and Media Channels")."""
        post = int(thread["id"])
        author = self.users[int(thread["owner_id"])]
        self._create_message(
            channel_id=post, body={"content": text}, files=[], author=author, message_id=post
        )
        thread.update({"last_message_id": str(post), "message_count": 1, "total_message_sent": 1})
        forum["last_message_id"] = str(post)  # a forum's last_message_id: its latest post

    def _needs_guild(self, guild: bool | int) -> FakeGuild:
        where = self._where(guild)
        if where is None:
            raise ValueError("threads and forums are a guild's; guild=False means a DM")
        return where

    def _ensure_member(self, guild: FakeGuild, name: str) -> int:
        """``name``'s id, made a member of ``guild`` (without roles) unless already one."""
        uid = self.user_ids.get(name)
        if uid is not None and uid in guild.members:
            return uid
        return self._member_in(guild, name, ())

    def _interaction_base(
        self,
        interaction_type: int,
        *,
        user: Any,
        guild: FakeGuild | None,
        channel: int | str | None,
        locale: str,
        member_permissions: Any = None,
        roles: Sequence[str | int] | None = None,
        forged_guild_id: int | None = None,
    ) -> dict[str, Any]:
        uid = self._user_id(user)
        user_data = self.users[uid]
        interaction_id = self.ids.next()
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": interaction_type,
            "token": f"fake.{interaction_id}.{secrets.token_urlsafe(32)}",
            "version": 1,
            "locale": locale,
            "app_permissions": str(self.app_permissions),
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": self.attachment_size_limit,
        }
        if forged_guild_id is not None:
            channel_id, channel_data = self._forged_channel(forged_guild_id, channel)
            # Whoever crafts the payload claims what suits them; by default, owning the guild.
            perms = (
                perm_value(member_permissions)
                if member_permissions is not None
                else discord.Permissions.all().value
            )
            if any(isinstance(r, str) for r in roles or ()):
                raise ValueError("a forged guild has no role names; pass role ids")
            role_list = [int(r) for r in roles or ()]
            member = member_payload(user_data, role_list, iso_timestamp(time.time() - 60))
            member["permissions"] = str(perms)
            payload.update(
                {
                    "guild_id": str(forged_guild_id),
                    "guild": {"id": str(forged_guild_id), "locale": "en-US", "features": []},
                    "guild_locale": "en-US",
                    "channel_id": str(channel_id),
                    "channel": {**channel_data, "permissions": str(perms)},
                    "member": member,
                    "context": 0,
                    "authorizing_integration_owners": {"0": str(forged_guild_id)},
                }
            )
        elif guild is not None:
            channel_id = self._channel_id_in(guild, channel)
            channel_data = self._room(guild, channel_id)
            role_list = (
                [self._role_id(r, guild) for r in roles]
                if roles is not None
                else [int(r) for r in guild.members.get(uid, {}).get("roles", [])]
            )
            server_perms = self._permissions_in(guild, uid, role_list)
            if channel_id in guild.threads and not self._sees_thread(
                guild, channel_id, uid, server_perms
            ):
                raise ValueError(
                    f"user {uid} cannot see private thread {channel_data['name']!r}: "
                    "not its member, without MANAGE_THREADS"
                )
            perms = (
                perm_value(member_permissions)
                if member_permissions is not None
                else self._permissions_at(channel_data, server_perms)
            )
            base_member = guild.members.get(uid) or member_payload(
                user_data, role_list, iso_timestamp(time.time() - 60)
            )
            member = {**copy.deepcopy(base_member), "roles": [str(r) for r in role_list]}
            member["user"] = user_data
            member["permissions"] = str(perms)
            payload.update(
                {
                    "guild_id": str(guild.id),
                    "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
                    "guild_locale": "en-US",
                    "channel_id": str(channel_id),
                    # The channel as the guild holds it, a thread whole (type, parent_id,
                    # thread_metadata...): discord.py builds its Thread from this when its
                    # cache lacks it (Interaction._from_data).
                    "channel": {**channel_data, "permissions": str(perms)},
                    "member": member,
                    "context": 0,
                    "authorizing_integration_owners": {"0": str(guild.id)},
                    "app_permissions": str(
                        self._permissions_at(channel_data, self.app_permissions)
                    ),
                }
            )
        else:
            dm_id = self.dm_channel_id(uid)
            payload.update(
                {
                    "channel_id": str(dm_id),
                    "channel": self._dm_channels[dm_id],
                    "user": user_data,
                    "context": 1,
                    "authorizing_integration_owners": {"0": "0"},
                }
            )
        return payload

    @staticmethod
    def _room(guild: FakeGuild, channel_id: int) -> dict[str, Any]:
        """A channel where members can use commands (``ValueError`` for a category, and for a
        forum, where one writes only in its posts: docs/topics/threads.md, "Forums")."""
        channel = guild.channel(channel_id)
        assert channel is not None  # _channel_id_in checked it
        if channel["type"] == 4:
            raise ValueError(f"{channel['name']!r} is a category; nobody writes in one")
        if channel["type"] == CHANNEL_FORUM:
            raise ValueError(
                f"{channel['name']!r} is a forum: commands come from its posts "
                "(add_thread(..., parent=forum))"
            )
        return channel

    def _forged_channel(
        self, forged_guild_id: int, channel: int | str | None
    ) -> tuple[int, dict[str, Any]]:
        """The channel a forged interaction claims: an id given, or one made up per forged guild
        (by name: ``"general"`` unless told), reused so replies land in one place."""
        if isinstance(channel, int):
            channel_id = channel
        else:
            name = channel or "general"
            channel_id = (
                next(
                    (
                        cid
                        for cid, data in self._forged_channels.items()
                        if data["guild_id"] == str(forged_guild_id) and data["name"] == name
                    ),
                    0,
                )
                or self.ids.next()
            )
        if channel_id not in self._forged_channels:
            self._forged_channels[channel_id] = channel_payload(
                channel_id,
                channel if isinstance(channel, str) else "general",
                guild_id=forged_guild_id,
                position=1,
            )
        return channel_id, self._forged_channels[channel_id]

    def _check_forged(self, guild: bool | int, forged_guild_id: int | None) -> None:
        if forged_guild_id is None:
            return
        if forged_guild_id in self.guild_ids:
            raise ValueError(
                f"forged_guild_id {forged_guild_id} is a guild the bot is in; pass guild= instead"
            )
        if guild is not True:
            raise ValueError("forged_guild_id builds a guild interaction; leave guild= unset")

    async def _inject(
        self,
        payload: dict[str, Any],
        name: str,
        *,
        source_message_id: int | None = None,
    ) -> InteractionRecord:
        if not self._sessions:
            raise RuntimeError("no bot has connected to the fake gateway yet (use run_client)")
        guild_id = payload.get("guild_id")
        if not self._sessions_for(int(guild_id) if guild_id is not None else None):
            where = f"guild {guild_id}" if guild_id is not None else "direct messages"
            raise RuntimeError(
                f"no bot has identified the shard of {where} "
                f"(shards identified: {sorted(self._sessions)})"
            )
        record = InteractionRecord(
            self,
            id=int(payload["id"]),
            token=payload["token"],
            type=payload["type"],
            payload=payload,
            name=name,
            created_at=self._now(),
            source_message_id=source_message_id,
        )
        if guild_id is not None and int(guild_id) not in self.guild_ids:
            record.forged_guild_id = int(guild_id)
        self.records.append(record)
        self._interactions[record.id] = record
        self._by_token[record.token] = record
        await self.dispatch(
            "INTERACTION_CREATE", payload, on_sent=lambda: self._mark_dispatched(record)
        )
        return record

    def _mark_dispatched(self, record: InteractionRecord) -> None:
        if record.dispatched_at is not None:
            return
        record.dispatched_at = self._now()
        loop = asyncio.get_running_loop()
        self._timers.append(loop.call_later(self.ack_deadline + 0.01, self._check_deadline, record))
        record._notify()

    def _check_deadline(self, record: InteractionRecord) -> None:
        if record.acknowledged or record.done:
            return
        if any(v.rule == "ack.late" for v in record.violations):
            return
        self._violate(
            "ack.late", f"no initial response within {self.ack_deadline}s of dispatch", record
        )

    @staticmethod
    def _command_data(command: dict[str, Any], scope: int | None, **given: Any) -> dict[str, Any]:
        """An application command interaction's ``data``: the command as synced (``scope``: the
        guild of a guild command), then what the user gave (a ``None`` is left out)."""
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": command["type"],
        }
        data.update({key: value for key, value in given.items() if value is not None})
        if scope is not None:
            data["guild_id"] = str(scope)
        return data

    async def send_slash(
        self,
        name: str,
        options: Mapping[str, Any] | list[dict[str, Any]] | None = None,
        **how: Any,
    ) -> InteractionRecord:
        """Run ``/name`` (``"corpus add"`` for subcommands); returns its record at once.

        ``options`` is ``{option_name: value}`` converted by the synced schema (users/roles/channels
        by name or id, attachments as :class:`Upload`), or raw Discord option dicts (then pass
        ``resolved`` yourself). ``how``: who, where and with which permissions, as in
        :meth:`slash_payload`.
        """
        return await self._inject(self.slash_payload(name, options, **how), name)

    def slash_payload(
        self,
        name: str,
        options: Mapping[str, Any] | list[dict[str, Any]] | None = None,
        *,
        user: Any = None,
        member_permissions: Any = None,
        roles: Sequence[str | int] | None = None,
        guild: bool | int = True,
        channel: int | str | None = None,
        locale: str = "en-US",
        resolved: dict[str, Any] | None = None,
        forged_guild_id: int | None = None,
        focused: str | None = None,
    ) -> dict[str, Any]:
        """The INTERACTION_CREATE payload of ``send_slash``, built but not dispatched (for a
        benchmark that hands it to the client directly, without the network).

        ``guild``: True the default guild, False a DM, an id that guild (the bot must be in it);
        ``channel`` (name or id) and ``roles`` (names or ids) are that guild's, and the member's
        roles and permissions are computed there unless ``roles``/``member_permissions`` say.
        ``forged_guild_id``: a crafted guild interaction claiming a guild the bot is not in (its
        own made-up channel; the member claims every permission unless ``member_permissions``).
        ``focused``: an autocomplete's payload instead, while the user types that option (its
        text in ``options``; the other options as typed, without ``resolved`` data).
        """
        self._check_forged(guild, forged_guild_id)
        where = None if forged_guild_id is not None else self._where(guild)
        command, scope, chain, leaf_schema = self._leaf_schema(name, 1, where, forged_guild_id)
        if isinstance(options, list):
            leaf, res = copy.deepcopy(options), copy.deepcopy(resolved or {})
        else:
            leaf, res = self._build_options(
                leaf_schema, options or {}, guild=where, focused=focused
            )
        payload = self._interaction_base(
            INTERACTION_APPLICATION_COMMAND if focused is None else INTERACTION_AUTOCOMPLETE,
            user=user,
            guild=where,
            channel=channel,
            member_permissions=member_permissions,
            roles=roles,
            locale=locale,
            forged_guild_id=forged_guild_id,
        )
        payload["data"] = self._command_data(
            command, scope, options=self._wrap(chain, leaf) or None, resolved=res or None
        )
        return payload

    async def send_autocomplete(
        self, name: str, options: Mapping[str, Any] | None, focused: str, **how: Any
    ) -> InteractionRecord:
        """Ask for choices while the user types option ``focused`` (its text in ``options``);
        ``how`` (``guild``, ``channel``, ``forged_guild_id``, ...) as in :meth:`slash_payload`."""
        return await self._inject(self.slash_payload(name, options, focused=focused, **how), name)

    def post_user_message(
        self,
        content: str,
        *,
        author: Any = None,
        channel: int | str | None = None,
        embeds: list[dict[str, Any]] | None = None,
        attachments: Sequence[Upload] = (),
        guild: bool | int = True,
    ) -> StoredMessage:
        """Store a message written by a (fake) user, e.g. as the target of a message command.

        In ``channel`` (name or id) of ``guild`` (True: the default one, default #general; an id:
        that guild; False: a DM, ``channel`` if it is a DM channel's id, else the author's)."""
        where = self._where(guild)
        uid = self._user_id(author)
        if where is not None:
            channel_id = self._channel_id_in(where, channel)
        elif isinstance(channel, int) and channel in self._dm_channels:
            channel_id = channel
        else:
            channel_id = self.dm_channel_id(uid)
        files = [
            (f"files[{i}]", up.filename, up.data, up.content_type)
            for i, up in enumerate(attachments)
        ]
        message = self._create_message(
            channel_id=channel_id,
            body={"content": content, "embeds": embeds or []},
            files=files,
            author=self.users[uid],
        )
        return message

    async def send_user_message(
        self,
        content: str,
        *,
        author: Any = None,
        channel: int | str | None = None,
        guild: bool | int = True,
    ) -> StoredMessage:
        """Post a user message and dispatch MESSAGE_CREATE (for ``on_message``/prefix commands),
        unless the bot cannot see where it is (a private thread it did not join)."""
        message = self.post_user_message(content, author=author, channel=channel, guild=guild)
        event = copy.deepcopy(message.payload)
        where = self._guild_of_channel(message.channel_id)
        if where is not None and not self._bot_sees(where, message.channel_id):
            return message
        if where is not None:
            uid = int(message.payload["author"]["id"])
            event["guild_id"] = str(where.id)
            if uid in where.members:
                event["member"] = {k: v for k, v in where.members[uid].items() if k != "user"}
        await self.dispatch("MESSAGE_CREATE", event)
        return message

    async def send_message_command(
        self,
        name: str,
        message_content: str | None = None,
        *,
        message: StoredMessage | int | None = None,
        author: Any = None,
        user: Any = None,
        guild: bool | int = True,
        channel: int | str | None = None,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """Run message context-menu command ``name`` on a new message with ``message_content``
        (written by ``author``, default ``bob``, in ``channel`` of ``guild``) or on an existing
        ``message`` (then the command runs where that message is, unless ``guild=False``)."""
        if message is None:
            where = self._where(guild)
            if message_content is None:
                raise ValueError("pass message_content or message")
            self._find_command(name, 3, where)  # a command not offered here posts nothing
            target = self.post_user_message(
                message_content,
                author=author if author is not None else "bob",
                # In a DM, the message is in the DM where the command is used.
                channel=channel if where is not None else self.dm_channel_id(self._user_id(user)),
                guild=guild,
            )
        else:
            target = self.messages[message.id if isinstance(message, StoredMessage) else message]
            where = self._where(guild)
            if where is not None and guild is True:
                # A message command runs where its message is.
                home = self._guild_of_channel(target.channel_id)
                where = None if home is None else self._known_guild(home.id)
        command, scope = self._find_command(name, 3, where)
        payload = self._interaction_base(
            INTERACTION_APPLICATION_COMMAND,
            user=user,
            guild=where,
            channel=target.channel_id if where is not None else None,
            locale=locale,
        )
        payload["data"] = self._command_data(
            command,
            scope,
            target_id=str(target.id),
            resolved={"messages": {str(target.id): copy.deepcopy(target.payload)}},
        )
        return await self._inject(payload, name)

    async def send_user_command(
        self,
        name: str,
        target: Any,
        *,
        user: Any = None,
        guild: bool | int = True,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """Run user context-menu command ``name`` on ``target`` (a user name or id)."""
        where = self._where(guild)
        command, scope = self._find_command(name, 2, where)
        resolved: dict[str, dict[str, Any]] = {}
        target_id = self._resolve_snowflake_option(OPTION_USER, target, resolved, where)
        payload = self._interaction_base(
            INTERACTION_APPLICATION_COMMAND,
            user=user,
            guild=where,
            channel=None,
            locale=locale,
        )
        payload["data"] = self._command_data(command, scope, target_id=target_id, resolved=resolved)
        return await self._inject(payload, name)

    def _click_target(self, target: Any, custom_id: str) -> StoredMessage:
        if isinstance(target, InteractionRecord):
            for message in reversed(target.messages):
                if message.find_component(custom_id) is not None:
                    return message
            raise ValueError(
                f"no message of {target!r} has a component {custom_id!r}; "
                f"custom_ids: {[m.custom_ids for m in target.messages]}"
            )
        if isinstance(target, StoredMessage):
            message = target
        else:
            message = self.messages[int(getattr(target, "id", target))]
        if message.deleted:
            raise ValueError(f"message {message.id} was deleted")
        return message

    async def click(
        self,
        message_or_record: StoredMessage | InteractionRecord | int,
        custom_id: str,
        *,
        user: Any = None,
        values: Sequence[str] | None = None,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """Click the button (or choose ``values`` in the select) ``custom_id`` on a bot message.

        Given a record, the latest of its messages that has the component is used.
        """
        message = self._click_target(message_or_record, custom_id)
        component = message.find_component(custom_id)
        if component is None:
            raise ValueError(
                f"message {message.id} has no component {custom_id!r}; has {message.custom_ids}"
            )
        if component.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled; a user cannot use it")
        component_type = component["type"]
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if component_type in rules.SELECT_TYPES:
            chosen = list(values or [])
            if component_type == 3:
                allowed = {o["value"] for o in component.get("options") or []}
                if not set(chosen) <= allowed:
                    raise ValueError(
                        f"values {chosen} not among the select's options {sorted(allowed)}"
                    )
            low, high = component.get("min_values", 1), component.get("max_values", 1)
            if not low <= len(chosen) <= high:
                raise ValueError(f"select {custom_id!r} takes {low}..{high} values")
            data["values"] = chosen
        elif values is not None:
            raise ValueError(f"{custom_id!r} is a button; values are for selects")
        # A click happens where its message is: that guild (the bot must still be in it), a
        # forged guild's made-up channel, or a DM.
        home = self._guild_of_channel(message.channel_id)
        where = None if home is None else self._known_guild(home.id)
        forged = self._forged_channels.get(message.channel_id)
        payload = self._interaction_base(
            INTERACTION_MESSAGE_COMPONENT,
            user=user,
            guild=where,
            channel=message.channel_id if where is not None or forged else None,
            locale=locale,
            forged_guild_id=None if forged is None else int(forged["guild_id"]),
        )
        payload["data"] = data
        payload["message"] = copy.deepcopy(message.payload)
        return await self._inject(payload, custom_id, source_message_id=message.id)

    async def select(
        self,
        message_or_record: StoredMessage | InteractionRecord | int,
        custom_id: str,
        values: Sequence[str],
        *,
        user: Any = None,
    ) -> InteractionRecord:
        """Choose ``values`` in a select menu (same as ``click(..., values=...)``)."""
        return await self.click(message_or_record, custom_id, user=user, values=values)

    async def submit_modal(
        self,
        record: InteractionRecord,
        values: Mapping[str, str | Sequence[str]],
        *,
        user: Any = None,
    ) -> InteractionRecord:
        """Submit the modal ``record`` answered with (type 9), filling inputs by custom_id."""
        modal = record.modal
        if modal is None:
            raise ValueError(f"{record!r} did not answer with a modal")
        used: set[str] = set()

        def submitted(component: dict[str, Any]) -> dict[str, Any]:
            custom_id = component.get("custom_id", "")
            used.add(custom_id)
            value = values.get(custom_id, component.get("value") or "")
            if component["type"] == 4:
                return {
                    "type": 4,
                    "id": component.get("id", 0),
                    "custom_id": custom_id,
                    "value": value,
                }
            chosen = [value] if isinstance(value, str) and value else list(value or [])
            return {
                "type": component["type"],
                "id": component.get("id", 0),
                "custom_id": custom_id,
                "values": chosen,
            }

        components: list[dict[str, Any]] = []
        for top in modal.get("components") or []:
            if top.get("type") == 1:
                children = [submitted(c) for c in top.get("components") or [] if c.get("custom_id")]
                components.append({"type": 1, "id": top.get("id", 0), "components": children})
            elif top.get("type") == 18 and isinstance(top.get("component"), dict):
                components.append(
                    {"type": 18, "id": top.get("id", 0), "component": submitted(top["component"])}
                )
        unknown = set(values) - used
        if unknown:
            raise ValueError(f"the modal has no inputs {sorted(unknown)}; it has {sorted(used)}")
        source = record.source_message_id
        # The modal is submitted where it was opened.
        forged = record.forged_guild_id
        where = (
            None
            if record.guild_id is None or forged is not None
            else self._known_guild(record.guild_id)
        )
        payload = self._interaction_base(
            INTERACTION_MODAL_SUBMIT,
            user=user
            if user is not None
            else (record.payload.get("member") or record.payload)["user"],
            guild=where,
            channel=int(record.payload["channel_id"]) if record.guild_id is not None else None,
            locale=record.payload.get("locale", "en-US"),
            forged_guild_id=forged,
        )
        payload["data"] = {"custom_id": modal.get("custom_id"), "components": components}
        if source is not None and source in self.messages:
            payload["message"] = copy.deepcopy(self.messages[source].payload)
        return await self._inject(
            payload, modal.get("custom_id", "modal"), source_message_id=source
        )
