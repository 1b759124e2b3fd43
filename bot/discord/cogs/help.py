"""/help: what the bot does and how to use each command."""

from __future__ import annotations

from discord import app_commands

from bot.cards import Card, Field, Segment
from bot.discord import render, replies
from bot.discord.base import BotCog, Interaction
from bot.discord.checks import in_servers_and_dms, is_admin, rate_limit

ABOUT = (
    "I quote passages from a curated body of texts, word for word, with their author, "
    "title, section, date and link. I never write a word of my own: every quote is the "
    "corpus's own text, and the best-matching sentence is in bold."
)


def help_card(max_results: int, *, admin: bool = True) -> Card:
    """Every command a reader may use; the admins' commands too for an admin (in a server
    where they may use them, or a bot owner), whom alone Discord shows them."""
    fields = _readers(max_results) + (_ADMINS if admin else ())
    return Card(
        title="quotebot",
        body=(Segment(ABOUT),),
        fields=fields,
        footer="Only the person who asked can use a result's buttons, except Explain, "
        "which anyone may press.",
        tone="info",
    )


def _readers(max_results: int) -> tuple[Field, ...]:
    return (
        Field(
            "/quote query [author] [source] [count]",
            "Passages that match a question, a paraphrase or a few words. Buttons: "
            "Previous / Next, Context (the passages around it), Cite (a ready-to-paste "
            "citation), More from this source, Explain (privately: where it sits, its "
            "footnotes, its terms as the corpus defines them, other works on the same "
            f"idea). Up to {max_results} results.",
            inline=False,
        ),
        Field(
            "/compare query [works] [by]",
            "One question answered side by side: the best passage of each work (or "
            "author), best first.",
            inline=False,
        ),
        Field(
            "/define term [count]",
            "What the corpus says a term means; start typing for suggestions.",
            inline=False,
        ),
        Field(
            "/source [name]",
            "The works in the corpus with their passage counts, or one work's details.",
            inline=False,
        ),
        Field(
            "Find sources (right-click a message → Apps)",
            "Searches the corpus for the words of someone's message.",
            inline=False,
        ),
    )


_ADMINS = (
    Field(
        "/reindex [force] [base]",
        "Admins: rebuild this server's index after its texts changed (base: the "
        "shared corpus, bot owners only). The bot keeps answering meanwhile.",
        inline=False,
    ),
    Field(
        "/corpus add file [title] [author] [date] [url] [replace] · remove work · "
        "restore work · hide work · unhide work · log",
        "Admins: add a .txt, .md or .html file to this server's texts, take a work "
        "out (to the trash) or bring it back, hide a shared work in this server or "
        "show it again, and read who changed what. base: True acts on the shared "
        "corpus (bot owners only). The index is updated at once.",
        inline=False,
    ),
)


class HelpCog(BotCog, name="Help"):
    @app_commands.command(name="help", description="What quotebot does and how to use it")
    @in_servers_and_dms
    @app_commands.check(rate_limit)
    async def help(self, interaction: Interaction) -> None:
        settings = self.bot.app.settings
        card = help_card(settings.max_results, admin=is_admin(interaction, settings.admin_ids))
        await replies.send(interaction, embeds=[render.embed(card)], ephemeral=True)
