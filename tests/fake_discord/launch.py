"""Run `quotebot ARGS` in this process with discord.py aimed at a fake Discord.

    python -m tests.fake_discord.launch API_BASE GATEWAY_URL run [quotebot options]

`quotebot run` has no setting for Discord's address (production never needs one), so a
test that starts it as a real process (its own main thread, its own signal handlers) uses
this: the same two class attributes `point_discord_at` sets in-process, then the CLI.
"""

from __future__ import annotations

import sys

import discord
import yarl

from bot.cli import main


def launch(argv: list[str]) -> int:
    api_base, gateway, *args = argv
    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    return main(args)


if __name__ == "__main__":
    sys.exit(launch(sys.argv[1:]))
