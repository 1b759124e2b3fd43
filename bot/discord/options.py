"""Options the bot checks itself: names, and counts with bounds that come from the settings.

Discord's client keeps an option within the bounds the command was synced with, but a
crafted interaction may not, and a name may hold anything: such options have an
`app_commands.Transformer` that checks them before the command runs and refuses with the
core's own error (bot/discord/errors.py unwraps it from discord.py's TransformerError).

discord.py writes a transformer's bounds into the command when its class is defined, and
the most results a bot gives is a setting, known only when the bot is made: a
`CountedCommand` shows Discord each bot's own maximum when its tree is synced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import App
from bot.commands.quote import clamp_count
from bot.discord.base import Interaction, QuoteBotBase
from embeddings.errors import NameTooLong, QueryError
from embeddings.query import clean

if TYPE_CHECKING:
    from discord.app_commands.commands import CommandCallback

GroupT = TypeVar("GroupT", bound=app_commands.Group | commands.Cog)
P = ParamSpec("P")
T = TypeVar("T")

NAME_MAX_CHARS = 200  # an author, a title or a file name; longer is not a name

# The ceiling written into the commands; the settings can only lower it.
COUNT_CEILING = 25
COUNT = "count"  # the name of a CountedCommand's option


def most_results(app: App) -> int:
    """The largest count Discord's client lets this bot's users ask for."""
    return max(1, min(app.settings.max_results, COUNT_CEILING))


def clean_name(value: str, option: str) -> str:
    """An optional name option (author, source, work) as a filter: invisible and control
    characters dropped, "" when nothing is left (no filter), QueryError when it is far too
    long to be a name (the refusal then never repeats thousands of characters)."""
    try:
        text = clean(value, max_chars=len(value) + 1)
    except QueryError:
        return ""
    if len(text) > NAME_MAX_CHARS:
        raise NameTooLong(option, len(text), NAME_MAX_CHARS)
    return text


class Name(app_commands.Transformer[QuoteBotBase]):
    """A name option (author, source, work) as `clean_name` reads it."""

    def __init__(self, option: str) -> None:
        self.option = option  # how the refusal names it

    async def transform(self, interaction: Interaction, value: str, /) -> str:
        return clean_name(value, self.option)


class Count(app_commands.Transformer[QuoteBotBase]):
    """How many results: from 1 to the bot's `max_results`; 0 (crafted) means the default."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.integer

    @property
    def min_value(self) -> int:
        return 1

    @property
    def max_value(self) -> int:
        return COUNT_CEILING  # each bot shows Discord its own maximum (CountedCommand)

    async def transform(self, interaction: Interaction, value: int, /) -> int:
        return clamp_count(interaction.client.app, value)  # QueryError beyond the maximum


class CountedCommand(app_commands.Command[GroupT, P, T]):
    """A slash command with a `count` option (a `Count`), synced with the bot's maximum."""

    def __init__(
        self,
        *,
        name: str,
        description: str,
        callback: CommandCallback[GroupT, P, T],
        extras: dict[Any, Any] | None = None,
    ) -> None:
        super().__init__(name=name, description=description, callback=callback, extras=extras or {})
        if self.get_parameter(COUNT) is None:
            raise TypeError(f"/{name} has no {COUNT!r} option to bound")

    def to_dict(self, tree: app_commands.CommandTree[Any]) -> dict[str, Any]:
        return _bounded(super().to_dict(tree), tree.client)

    async def get_translated_payload(
        self, tree: app_commands.CommandTree[Any], translator: app_commands.Translator
    ) -> dict[str, Any]:
        return _bounded(await super().get_translated_payload(tree, translator), tree.client)


def _bounded(payload: dict[str, Any], client: discord.Client) -> dict[str, Any]:
    if isinstance(client, QuoteBotBase):
        for option in payload["options"]:
            if option["name"] == COUNT:
                option["max_value"] = most_results(client.app)
    return payload


def counted_command(
    *, name: str, description: str, extras: dict[Any, Any] | None = None
) -> Callable[[CommandCallback[GroupT, P, T]], CountedCommand[GroupT, P, T]]:
    """`app_commands.command` for a command with a `count` option."""

    def decorate(callback: CommandCallback[GroupT, P, T]) -> CountedCommand[GroupT, P, T]:
        return CountedCommand(name=name, description=description, callback=callback, extras=extras)

    return decorate
