"""Option bounds that come from the settings, which decorators cannot know.

`app_commands.Range` is fixed when the class is defined; the maximum number of results is a
setting. Each cog instance holds its own copy of its commands (discord.py copies them per
instance, parameters included in a fresh dict), so tightening the copy's parameter changes
that bot's schema only.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from discord import app_commands

# The ceiling written in the annotations; the settings can only lower it.
COUNT_CEILING = 25


def bound_int(command: app_commands.Command[Any, ..., Any], name: str, maximum: int) -> None:
    """Set the upper bound Discord enforces on an integer option of this command copy."""
    params = command._params  # no public setter in discord.py 2.7
    params[name] = replace(params[name], max_value=max(1, min(maximum, COUNT_CEILING)))
