"""Keep secrets out of logs: the bot token never reaches a log line or a traceback, and
neither do interaction tokens (each lets its holder answer as the bot for 15 minutes, and
discord.py's rate-limit warnings print the URLs that carry them)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

# What a Discord bot token looks like (user id in base64, timestamp, HMAC), so a token
# we were not told about — pasted in a corpus file or an error — is caught as well.
TOKEN_PATTERN = re.compile(r"[A-Za-z\d_-]{23,28}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,40}")
MASK = "[redacted]"
# /webhooks/<application id>/<token> and /interactions/<interaction id>/<token>/callback
INTERACTION_TOKEN = re.compile(r"(/(?:webhooks|interactions)/\d+/)[^/\s?#\"'<>]{16,}")
# "token": "..." in a JSON payload or a dict's repr (discord.py's debug log of events)
TOKEN_FIELD = re.compile(r"""(["']token["']\s*:\s*["'])[^"']+""")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    text = TOKEN_PATTERN.sub(MASK, text)
    text = TOKEN_FIELD.sub(rf"\g<1>{MASK}", text)
    return INTERACTION_TOKEN.sub(rf"\g<1>{MASK}", text)


class RedactingFilter(logging.Filter):
    """A handler filter that rewrites records carrying a secret, tracebacks included."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if len(s) >= 8)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(text, self.secrets)
            record.exc_info = None  # the formatter would format it again, unredacted
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


def install(secrets: Iterable[str] = (), logger: logging.Logger | None = None) -> RedactingFilter:
    """Attach one redacting filter to every handler of `logger` (the root by default)."""
    target = logger or logging.getLogger()
    filt = RedactingFilter(secrets)
    for handler in target.handlers:
        handler.addFilter(filt)
    return filt
