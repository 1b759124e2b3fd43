"""`quotebot run`: check the token, load the index and warm the model, then connect.

Everything slow happens before connecting, so the first interaction is answered as fast as
any other. The token is never printed: it is kept out of every message here and scrubbed
from every log record (bot/redact.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Iterator

import discord

from bot import redact
from bot.app import App
from bot.discord.client import QuoteBot
from bot.progress import terminal_progress

log = logging.getLogger(__name__)

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

NO_TOKEN = (
    "quotebot: no Discord token. Put DISCORD_TOKEN=... in the .env file in the project "
    "folder (see config/.env.example) or in the environment."
)
BAD_TOKEN = (
    "quotebot: Discord rejected the token in DISCORD_TOKEN. Copy the bot token again from "
    "the Developer Portal (Bot → Reset Token) into .env."
)


@contextlib.contextmanager
def service_logging(token: str) -> Iterator[None]:
    """Log what a long-running service does (connections, syncs, reindexes) at INFO, with
    the token scrubbed from every record; restored afterwards (the CLI, tests)."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    levels = {name: logging.getLogger(name).level for name in ("bot", "discord")}
    for name in levels:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
    scrub = redact.install([token])
    # A handler that fails (a closed stream, a full disk) makes logging print the failure
    # to stderr with the exception being handled, unredacted; a service prints nothing.
    raising, logging.raiseExceptions = logging.raiseExceptions, False
    try:
        yield
    finally:
        logging.raiseExceptions = raising
        for handler in root.handlers:
            handler.removeFilter(scrub)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def run_bot(app: App) -> int:
    token = app.settings.discord_token
    if not token:
        print(NO_TOKEN, file=sys.stderr)
        return EXIT_USAGE
    with service_logging(token):
        with terminal_progress() as progress:
            report = app.ensure_index(progress)
        if report is not None:
            log.info("%s", report.summary())
        for done in app.collections.housekeeping():  # old trash; servers left long ago
            log.info("%s", done)
        app.encoder.warm_up()
        log.info("index loaded and model warm; connecting to Discord")
        return asyncio.run(serve(app, token))


async def serve(app: App, token: str) -> int:
    """Run the bot until it is closed or stopped by SIGINT/SIGTERM (docker stop)."""
    bot = QuoteBot(app)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Only the main thread may install signal handlers (tests run this in a thread).
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
    try:
        async with bot:
            await bot.start(token)
    except discord.LoginFailure:
        print(BAD_TOKEN, file=sys.stderr)
        return EXIT_ERROR
    except discord.PrivilegedIntentsRequired:  # not requested today; a clear line if ever
        print("quotebot: Discord refused the requested privileged intents.", file=sys.stderr)
        return EXIT_ERROR
    log.info("disconnected")
    return EXIT_OK
