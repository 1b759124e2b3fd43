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


def test_interaction_tokens_in_urls_are_masked() -> None:
    # discord.py logs the URL of every interaction response and follow-up it sends.
    url = "POST https://discord.com/api/v10/interactions/1234/aW50ZXJhY3Rpb246MTIzNDU2/callback"
    assert redact(url) == f"POST https://discord.com/api/v10/interactions/1234/{MASK}/callback"
    hook = "PATCH /api/v10/webhooks/987/aW50ZXJhY3Rpb246MTIzNDU2Nzg5/messages/@original"
    assert redact(hook) == f"PATCH /api/v10/webhooks/987/{MASK}/messages/@original"


def test_a_token_field_in_an_event_or_payload_is_masked() -> None:
    event = "{'id': '42', 'type': 2, 'token': 'aW50ZXJhY3Rpb246NDI6c2VjcmV0', 'version': 1}"
    assert redact(event) == f"{{'id': '42', 'type': 2, 'token': '{MASK}', 'version': 1}}"
    assert redact('{"token": "abc.def-ghi"}') == f'{{"token": "{MASK}"}}'


def test_ids_and_short_paths_are_not_mistaken_for_tokens() -> None:
    assert redact("GET /webhooks/987/short") == "GET /webhooks/987/short"
    assert redact("interaction 1573901439082692608 by user 42") == (
        "interaction 1573901439082692608 by user 42"
    )


def test_a_stack_with_the_token_is_masked() -> None:
    logger, stream = capture()
    stack = f'Stack (most recent call last):\n  File "run.py", line 1, in login({TOKEN!r})'
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "login", (), None, sinfo=stack)
    logger.handle(record)
    assert TOKEN not in stream.getvalue() and MASK in stream.getvalue()
