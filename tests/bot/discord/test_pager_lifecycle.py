"""The pager's edits racing each other and Discord: an expiry held up by another pager's,
a late refinement landing after a page turn, a page turn landing after the expiry."""

from __future__ import annotations

from typing import Any

from bot.app import App
from tests.bot.discord.conftest import WAIT, BotWith, answered, app_like
from tests.bot.discord.test_quote import QUERY
from tests.bot.discord.waiting import eventually
from tests.fake_discord import FakeDiscord, InteractionRecord


def expired(rec: InteractionRecord) -> bool:
    """Every pager button but Explain disabled on the message."""
    return all(b.get("disabled") for b in rec.buttons if b["label"] != "Explain")


def unsettled_app(fresh_app: App, **settings: Any) -> App:
    """The seed corpus without sentence vectors: the model settles each page's best
    sentence after it is shown (a refinement edited in), as on a large corpus."""
    app = app_like(fresh_app, cooldown_seconds=0, server_limit=0, **settings)
    app.index.searcher.index.sentences = None
    return app


async def test_a_pager_held_up_by_anothers_expiry_still_has_its_buttons_disabled(
    fake_discord: FakeDiscord, bot_with: BotWith
) -> None:
    # Tokens last 4 s here (15 minutes on Discord), pagers 1.5 s (10 minutes). The first
    # pager's expiry edit is rate-limited for 4 s: its own token dies meanwhile (its bad
    # luck), but the second pager, due 0.3 s later, must not wait for it.
    fake_discord.token_lifetime = 4.0
    fake_discord.expect_violations("token.expired")  # the first pager's retried edit
    async with bot_with(cooldown_seconds=0, server_limit=0, view_timeout_seconds=1.5) as bot:
        first = await answered(fake_discord.send_slash("quote", {"query": QUERY}))
        second = await answered(fake_discord.send_slash("quote", {"query": QUERY}, user="bob"))
        kept = [bot.pagers.get(r.original_id or 0) for r in (first, second)]
        await eventually(lambda: all(p and p.refining is None for p in kept), WAIT, "refined")
        fake_discord.fail_next("PATCH /webhooks/*", 429, retry_after=4.0)
        await first.wait_for(lambda r: any(e.status == 401 for e in r.events), WAIT)
        await second.wait_for(lambda r: expired(r) or any(e.status == 401 for e in r.events), WAIT)
    assert expired(second), [e.status for e in second.events]
