"""`quotebot run`: check the token, load the index and warm the model, then connect.

Everything slow happens before connecting, so the first interaction is answered as fast as
any other. The token is never printed: it is kept out of every message here and scrubbed
from every log record (bot/redact.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Iterator

import discord
import yarl

from bot import heap, redact
from bot.app import App
from bot.discord.client import make_bot
from bot.progress import terminal_progress
from bot.watch import IndexWatcher

log = logging.getLogger(__name__)

# Tests only: the base URL (http://127.0.0.1:PORT) of the fake Discord in tests/fake_discord,
# so that the tests can run `quotebot run` itself as a separate process. Never set it in
# production: the bot would talk to that address instead of Discord.
TEST_DISCORD_URL = "QUOTEBOT_TEST_DISCORD_URL"


def aim_at_test_discord(url: str) -> None:
    """Point discord.py's REST base and gateway at a fake Discord (see TEST_DISCORD_URL)."""
    base = yarl.URL(url.rstrip("/"))
    if base.scheme != "http" or base.host not in ("127.0.0.1", "localhost"):
        raise SystemExit(f"quotebot: {TEST_DISCORD_URL} must be http://127.0.0.1:PORT, not {url!r}")
    discord.http.Route.BASE = f"{base}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base.with_scheme("ws") / "gateway/"


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
    test_url = os.environ.get(TEST_DISCORD_URL, "")
    if test_url:
        aim_at_test_discord(test_url)
    with service_logging(token):
        with terminal_progress() as progress:
            report = app.ensure_index(progress)
        if report is not None:
            log.info("%s", report.summary())
        for done in app.collections.housekeeping():  # old trash (servers left: on_ready)
            log.info("%s", done)
        app.encoder.warm_up()
        heap.settle()  # what start-up made lives as long as the process: out of the GC's way
        log.info("index loaded and model warm; connecting to Discord")
        # Builds made by other processes (other shards, a terminal) are swapped in too.
        watcher = IndexWatcher(app.collections, app.settings.watch_seconds)
        watcher.start()
        try:
            return asyncio.run(serve(app, token))
        finally:
            watcher.stop()


async def serve(app: App, token: str) -> int:
    """Run the bot until it is closed or stopped by SIGINT/SIGTERM (docker stop)."""
    bot = make_bot(app)
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
