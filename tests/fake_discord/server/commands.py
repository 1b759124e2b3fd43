"""Application commands: the store a sync writes (global and per guild), their REST routes, and the
lookup that decides which command a user in a guild or a DM would pick."""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from .. import rules
from ..models import (
    FakeGuild,
    SyncRecord,
)
from .common import (
    Ctx,
    error_response,
    json_response,
    no_content,
)
from .messages import Messages


def _offered_contexts(command: dict[str, Any]) -> list[int]:
    """Where a global command is offered. Its `contexts`, else Discord's default: servers and
    the bot's DMs (not PRIVATE_CHANNEL, whatever the docs once said: discord-api-docs#7108),
    less the DMs when the deprecated `dm_permission` is false."""
    if command.get("contexts") is not None:
        return list(command["contexts"])
    if command.get("dm_permission") is False:
        return [rules.CONTEXT_GUILD]
    return [rules.CONTEXT_GUILD, rules.CONTEXT_BOT_DM]


def _check_offered(command: dict[str, Any], guild: FakeGuild | None) -> None:
    """Refuses, as Discord's client does not offer it, a global command used where it may not
    be: in a guild (GUILD) or the bot's DM (BOT_DM) its `contexts` leave out, or by an install
    its `integration_types` leave out. The fake's app is installed to guilds only (no user
    installs), and a guild install reaches GUILD and BOT_DM; PRIVATE_CHANNEL needs a user's."""
    name = command["name"]
    if rules.GUILD_INSTALL not in command["integration_types"]:
        raise ValueError(
            f"command {name!r} is not offered: its integration_types "
            f"{command['integration_types']} leave out GUILD_INSTALL ({rules.GUILD_INSTALL}), "
            "and the app is installed to guilds only"
        )
    context, where = (
        (rules.CONTEXT_BOT_DM, "a DM with the bot")
        if guild is None
        else (rules.CONTEXT_GUILD, "a guild")
    )
    contexts = _offered_contexts(command)
    if context not in contexts:
        raise ValueError(
            f"command {name!r} is not available in {where}: "
            f"its contexts {contexts} leave out {context}"
        )


class Commands(Messages):
    """The application command store and its REST handlers."""

    def _scope_check(self, app: str, guild: str | None) -> web.Response | None:
        if int(app) != self.application_id:
            return error_response(403, 50001, "Missing Access")
        # Discord answers 403 Missing Access for a guild the bot is not in (or was removed from).
        if guild is not None and int(guild) not in self.guild_ids:
            return error_response(403, 50001, "Missing Access")
        return None

    def _normalize_command(self, command: dict[str, Any], scope: int | None) -> dict[str, Any]:
        ctype = int(command.get("type") or 1)
        existing = next(
            (
                c
                for c in self.commands.get(scope, [])
                if c["name"] == command.get("name") and c["type"] == ctype
            ),
            None,
        )
        # Discord keeps a command's id across overwrites as long as name and type are unchanged.
        command_id = existing["id"] if existing else str(self.ids.next())
        perms = command.get("default_member_permissions")
        out: dict[str, Any] = {
            "id": command_id,
            "application_id": str(self.application_id),
            "version": str(self.ids.next()),
            "type": ctype,
            "name": command.get("name"),
            "name_localizations": command.get("name_localizations"),
            "description": command.get("description") or "",
            "description_localizations": command.get("description_localizations"),
            "default_member_permissions": None if perms is None else str(perms),
            "dm_permission": command.get("dm_permission", True),
            "contexts": command.get("contexts"),
            "integration_types": command.get("integration_types") or [0],
            "nsfw": bool(command.get("nsfw", False)),
        }
        if ctype == 1:
            out["options"] = copy.deepcopy(command.get("options") or [])
        if scope is not None:
            out["guild_id"] = str(scope)
        return out

    def register_commands(
        self, commands: list[dict[str, Any]], *, guild_id: int | None = None
    ) -> list[dict[str, Any]]:
        """Store commands as if synced in an earlier run (no :class:`SyncRecord`); returns them."""
        stored = [self._normalize_command(c, guild_id) for c in commands]
        self.commands[guild_id] = stored
        self._notify()
        return stored

    def find_command(
        self, name: str, command_type: int = 1, *, guild: bool | int = True
    ) -> dict[str, Any]:
        """The stored command a user would pick (that guild's commands shadow global ones)."""
        command, _ = self._find_command(name, command_type, self._where(guild))
        return command

    def _find_command(
        self,
        name: str,
        command_type: int,
        guild: FakeGuild | None,
        *,
        forged_guild_id: int | None = None,
    ) -> tuple[dict[str, Any], int | None]:
        """The command a user in ``guild`` (None: a DM) sees: that guild's own commands, then the
        global ones; a command synced to another guild is not visible there."""
        scopes: list[int | None] = [None] if guild is None else [guild.id, None]
        if forged_guild_id is not None:
            # A crafted payload may name any command id the attacker saw: the forged guild's (none),
            # a global one, or failing that one of the default guild's.
            scopes = [forged_guild_id, None, self.guild_id]
        for scope in scopes:
            for command in self.commands.get(scope, []):
                if command["name"] == name and command["type"] == command_type:
                    # A crafted payload is not bound by what the client offers.
                    if scope is None and forged_guild_id is None:
                        _check_offered(command, guild)
                    return command, scope
        elsewhere = [
            scope
            for scope, commands in self.commands.items()
            if scope not in scopes
            and any(c["name"] == name and c["type"] == command_type for c in commands)
        ]
        if elsewhere:
            where = "a DM" if guild is None else f"guild {guild.id}"
            raise LookupError(
                f"command {name!r} of type {command_type} is registered only in guild(s) "
                f"{elsewhere}, so a user in {where} does not see it (and there is no global one)"
            )
        known = sorted({(c["name"], c["type"]) for cs in self.commands.values() for c in cs})
        raise LookupError(
            f"no synced or registered command {name!r} of type {command_type}; known: {known}. "
            "Sync the tree or let run_client register it."
        )

    async def _h_commands_get(self, ctx: Ctx, app: str, guild: str | None = None) -> web.Response:
        if (error := self._scope_check(app, guild)) is not None:
            return error
        scope = None if guild is None else int(guild)
        return json_response(200, self.commands.get(scope, []))

    async def _h_commands_put(self, ctx: Ctx, app: str, guild: str | None = None) -> web.Response:
        if (error := self._scope_check(app, guild)) is not None:
            return error
        errors = rules.check_commands(ctx.body)
        if errors:
            for err in errors:
                self._violate(err.rule, err.describe(), ctx=ctx)
            return json_response(400, rules.error_body(errors))
        scope = None if guild is None else int(guild)
        stored = [self._normalize_command(c, scope) for c in ctx.body]
        self.commands[scope] = stored
        self.syncs.append(SyncRecord(scope, copy.deepcopy(stored), self._now()))
        self._notify()
        return json_response(200, stored)

    async def _h_command_post(self, ctx: Ctx, app: str, guild: str | None = None) -> web.Response:
        if (error := self._scope_check(app, guild)) is not None:
            return error
        errors = rules.check_commands([ctx.body])
        if errors:
            for err in errors:
                self._violate(err.rule, err.describe(), ctx=ctx)
            return json_response(400, rules.error_body(errors))
        scope = None if guild is None else int(guild)
        command = self._normalize_command(ctx.body, scope)
        current = [
            c
            for c in self.commands.get(scope, [])
            if not (c["name"] == command["name"] and c["type"] == command["type"])
        ]
        self.commands[scope] = [*current, command]
        return json_response(201, command)

    async def _h_command_one(
        self, ctx: Ctx, app: str, cmd: str, guild: str | None = None
    ) -> web.StreamResponse:
        if (error := self._scope_check(app, guild)) is not None:
            return error
        scope = None if guild is None else int(guild)
        commands = self.commands.get(scope, [])
        found = next((c for c in commands if c["id"] == cmd), None)
        if found is None:
            return error_response(404, 10063, "Unknown application command")
        if ctx.method == "GET":
            return json_response(200, found)
        if ctx.method == "DELETE":
            self.commands[scope] = [c for c in commands if c is not found]
            return no_content()
        merged = {**found, **(ctx.body or {})}
        updated = self._normalize_command(merged, scope)
        self.commands[scope] = [updated if c is found else c for c in commands]
        return json_response(200, updated)
