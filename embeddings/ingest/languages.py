"""Language names as Gutenberg prints them ("English") to the codes HTML uses ("en")."""

from __future__ import annotations

_CODES = {
    "english": "en",
    "french": "fr",
    "german": "de",
    "spanish": "es",
    "italian": "it",
    "portuguese": "pt",
    "dutch": "nl",
    "latin": "la",
    "greek": "el",
    "russian": "ru",
    "chinese": "zh",
    "japanese": "ja",
}


def language_code(value: str) -> str:
    """A lower-case language code where the name is known, else the value as given."""
    value = value.strip()
    if not value:
        return ""
    return _CODES.get(value.lower(), value.split(",")[0].strip().lower())
