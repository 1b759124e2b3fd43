"""Slash-command options the way Discord's client builds them: the synced schema decides the
conversion, users/roles/channels/attachments become ids plus ``resolved`` data, and what the client
would refuse to send raises ``ValueError``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..models import (
    FakeGuild,
    StoredFile,
    Upload,
)
from .routing import Routing

# Snowflake option types that carry ids and, outside autocomplete, "resolved" data.
OPTION_USER, OPTION_CHANNEL, OPTION_ROLE, OPTION_MENTIONABLE, OPTION_ATTACHMENT = (
    6,
    7,
    8,
    9,
    11,
)


class Options(Routing):
    """Options and their ``resolved`` data from a test's ``{name: value}``."""

    def _leaf_schema(
        self,
        name: str,
        command_type: int,
        guild: FakeGuild | None,
        forged_guild_id: int | None = None,
    ) -> tuple[dict[str, Any], int | None, list[dict[str, Any]], list[dict[str, Any]]]:
        """(command, scope, chain of subcommand-group/subcommand options, leaf option schema)."""
        parts = name.split()
        command, scope = self._find_command(
            parts[0], command_type, guild, forged_guild_id=forged_guild_id
        )
        chain: list[dict[str, Any]] = []
        container: dict[str, Any] = command
        for part in parts[1:]:
            options = container.get("options") or []
            nxt = next((o for o in options if o["name"] == part and o["type"] in (1, 2)), None)
            if nxt is None:
                subs = [o["name"] for o in options if o["type"] in (1, 2)]
                raise ValueError(f"{name!r}: no subcommand {part!r}; available: {subs}")
            chain.append(nxt)
            container = nxt
        leaf = container.get("options") or []
        if any(o["type"] in (1, 2) for o in leaf):
            subs = [o["name"] for o in leaf if o["type"] in (1, 2)]
            raise ValueError(f"{name!r} is a group; name a subcommand, one of {subs}")
        return command, scope, chain, leaf

    def _resolve_snowflake_option(
        self,
        option_type: int,
        value: Any,
        resolved: dict[str, dict[str, Any]],
        guild: FakeGuild | None,
    ) -> str:
        # Names of channels and roles resolve in the interaction's guild (in a DM: the default).
        where = guild or self._default
        if option_type == OPTION_ATTACHMENT:
            if isinstance(value, StoredFile):
                stored = value
            elif isinstance(value, Upload):
                stored = self.add_attachment(value.filename, value.data, value.content_type)
            elif isinstance(value, tuple):
                stored = self.add_attachment(*value)
            else:
                raise TypeError("attachment options take an Upload(filename, data[, content_type])")
            resolved.setdefault("attachments", {})[str(stored.id)] = stored.to_attachment()
            return str(stored.id)
        if option_type == OPTION_CHANNEL:
            if isinstance(value, str) and value not in where.channel_ids:
                raise ValueError(f"unknown channel {value!r} in guild {where.id}")
            cid = (
                where.channel_ids[value]
                if isinstance(value, str)
                else int(getattr(value, "id", value))
            )
            channel = self._channel(cid)
            if channel is None:
                raise ValueError(f"unknown channel {value!r}")
            entry: dict[str, Any] = {
                k: channel[k]
                for k in ("id", "name", "type", "parent_id", "guild_id", "flags")
                if k in channel
            }
            entry["permissions"] = str(self.app_permissions)
            resolved.setdefault("channels", {})[str(cid)] = entry
            return str(cid)
        is_role = option_type == OPTION_ROLE or (
            option_type == OPTION_MENTIONABLE
            and (
                (isinstance(value, str) and value in where.role_ids)
                or (not isinstance(value, str) and int(getattr(value, "id", value)) in where.roles)
            )
        )
        if is_role:
            rid = self._role_id(
                value if isinstance(value, str) else int(getattr(value, "id", value)), where
            )
            resolved.setdefault("roles", {})[str(rid)] = where.roles[rid]
            return str(rid)
        uid = self._user_id(value)
        resolved.setdefault("users", {})[str(uid)] = self.users[uid]
        if guild is not None and uid in guild.members:
            member = {k: v for k, v in guild.members[uid].items() if k != "user"}
            member["permissions"] = str(self._permissions_in(guild, uid))
            resolved.setdefault("members", {})[str(uid)] = member
        return str(uid)

    def _build_options(
        self,
        schema: list[dict[str, Any]],
        values: Mapping[str, Any],
        *,
        guild: FakeGuild | None,
        focused: str | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        by_name = {o["name"]: o for o in schema}
        unknown = set(values) - set(by_name)
        if unknown:
            raise ValueError(
                f"unknown option(s) {sorted(unknown)}; the command has {sorted(by_name)}"
            )
        if focused is None:
            missing = [o["name"] for o in schema if o.get("required") and o["name"] not in values]
            if missing:
                raise ValueError(
                    f"missing required option(s) {missing} (Discord would not send this)"
                )
        elif focused not in by_name:
            raise ValueError(f"focused option {focused!r} is not an option of the command")
        elif not by_name[focused].get("autocomplete"):
            raise ValueError(f"option {focused!r} has no autocomplete; Discord would not ask")
        out: list[dict[str, Any]] = []
        resolved: dict[str, dict[str, Any]] = {}
        for option in schema:
            name = option["name"]
            option_type = option["type"]
            if name not in values and name != focused:
                continue
            value = values.get(name, "")
            if name == focused:
                # While typing, Discord sends the raw text, also for numeric options.
                out.append(
                    {"type": option_type, "name": name, "value": str(value), "focused": True}
                )
                continue
            if focused is not None:
                # Autocomplete carries ids without "resolved" data.
                if option_type in (6, 7, 8, 9, 11) and not isinstance(value, (str, int)):
                    value = getattr(value, "id", value)
                out.append({"type": option_type, "name": name, "value": value})
                continue
            out.append(
                {
                    "type": option_type,
                    "name": name,
                    "value": self._convert(option, value, resolved, guild),
                }
            )
        return out, resolved

    def _convert(
        self,
        option: dict[str, Any],
        value: Any,
        resolved: dict[str, Any],
        guild: FakeGuild | None,
    ) -> Any:
        option_type = option["type"]
        name = option["name"]
        if option_type in (6, 7, 8, 9, 11):
            return self._resolve_snowflake_option(option_type, value, resolved, guild)
        if option_type == 3:
            converted: Any = str(value)
            if len(converted) < option.get("min_length", 0) or len(converted) > option.get(
                "max_length", 6000
            ):
                raise ValueError(f"option {name!r}: length outside the command's min/max_length")
        elif option_type == 4:
            if isinstance(value, bool) or int(value) != value:
                raise ValueError(f"option {name!r} is an integer option")
            converted = int(value)
        elif option_type == 5:
            converted = bool(value)
        elif option_type == 10:
            converted = float(value)
        else:
            raise ValueError(f"option {name!r} has unsupported type {option_type}")
        if option_type in (4, 10):
            if "min_value" in option and converted < option["min_value"]:
                raise ValueError(f"option {name!r}: below min_value {option['min_value']}")
            if "max_value" in option and converted > option["max_value"]:
                raise ValueError(f"option {name!r}: above max_value {option['max_value']}")
        choices = option.get("choices")
        if choices and converted not in [c["value"] for c in choices]:
            raise ValueError(f"option {name!r}: {converted!r} is not one of the choices {choices}")
        return converted

    @staticmethod
    def _wrap(chain: list[dict[str, Any]], leaf: list[dict[str, Any]]) -> list[dict[str, Any]]:
        options = leaf
        for sub in reversed(chain):
            options = [{"type": sub["type"], "name": sub["name"], "options": options}]
        return options
