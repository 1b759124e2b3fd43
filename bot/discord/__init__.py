"""The Discord front end: slash commands, buttons and a context menu over `bot.commands`.

`runner.run_bot(app)` is the entry point (`quotebot run`); `client.QuoteBot` is the bot.
Its modules import one another in one direction (`make lint` checks it): `base` (what the
cogs may use of the bot, and the `Interaction` type) and the helpers beneath it; checks,
views and search; the cogs; `client`, which joins them; `runner`.
"""
