"""The bot token never appears in logs, not even inside a traceback."""

from __future__ import annotations

import io
import logging

from bot.redact import MASK, install, redact

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDe.abcdefghijklmnopqrstuvwxyz0123456789ab"


def capture() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    logger = logging.getLogger(f"test-redact-{id(stream)}")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    install([TOKEN], logger)
    return logger, stream


def test_a_message_with_the_token_is_masked() -> None:
    logger, stream = capture()
    logger.warning("login with %s failed", TOKEN)
    assert TOKEN not in stream.getvalue() and MASK in stream.getvalue()


def test_a_traceback_with_the_token_is_masked() -> None:
    logger, stream = capture()
    try:
        raise RuntimeError(f"401 Unauthorized for token {TOKEN}")
    except RuntimeError:
        logger.exception("gateway error")
    out = stream.getvalue()
    assert TOKEN not in out and "RuntimeError" in out and MASK in out


def test_anything_shaped_like_a_token_is_masked_even_if_unknown() -> None:
    other = "OTk5OTk5OTk5OTk5OTk5OTk5.Xy12_-.ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"
    assert redact(f"token={other}") == f"token={MASK}"


def test_ordinary_text_is_left_alone() -> None:
    assert redact("A sect presents itself as the embodiment of the movement.") == (
        "A sect presents itself as the embodiment of the movement."
    )
