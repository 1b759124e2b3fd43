"""Cite: a ready-to-paste citation of a quote."""

from __future__ import annotations

from bot.commands.results import Quote


def reference(q: Quote) -> str:
    """Author, “Title” (date), section. URL — the parts that are known."""
    head = ", ".join(p for p in (q.author, f"“{q.title}”" if q.title else "") if p)
    if q.date:
        head = f"{head} ({q.date})" if head else f"({q.date})"
    parts = [p for p in (head, q.section) if p]
    text = ", ".join(parts) if parts else q.source
    if parts and not text.endswith((".", "?", "!")):  # "6. What Then?" ends it already
        text += "."
    return f"{text} {q.url}".strip() if q.url else text


def citation(q: Quote) -> str:
    return f"“{quoted(q.text)}”\n— {reference(q)}"


def quoted(text: str) -> str:
    """A passage on one line, as a citation quotes it: lines of verse parted by " / " (a
    poem's lines ran together), any other whitespace one space."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return " / ".join(line for line in lines if line)
