"""The Discord front end: slash commands, buttons and a context menu over `bot.commands`.

`runner.run_bot(app)` is the entry point (`quotebot run`); `client.QuoteBot` is the bot.
"""
