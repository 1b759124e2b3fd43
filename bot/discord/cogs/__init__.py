"""One cog per command group."""

from __future__ import annotations

from discord.ext import commands

from bot.discord.base import QuoteBotBase
from bot.discord.cogs.admin import AdminCog
from bot.discord.cogs.compare import CompareCog
from bot.discord.cogs.corpus import CorpusCog
from bot.discord.cogs.define import DefineCog
from bot.discord.cogs.help import HelpCog
from bot.discord.cogs.quote import QuoteCog
from bot.discord.cogs.source import SourceCog


def make_cogs(bot: QuoteBotBase) -> list[commands.Cog]:
    return [
        QuoteCog(bot),
        DefineCog(bot),
        CompareCog(bot),
        SourceCog(bot),
        AdminCog(bot),
        CorpusCog(bot),
        HelpCog(bot),
    ]
