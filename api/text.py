"""Search forms of names, readings and phone numbers (what operators type on the phone)."""

from __future__ import annotations

import re
import unicodedata

_KATAKANA = {c: c - 0x60 for c in range(ord("ァ"), ord("ヶ") + 1)}
_SPACES = re.compile(r"[\s・･.\-ー－]+")


def kana_key(text: str) -> str:
    """A reading in one form: NFKC, katakana as hiragana, no spaces, dots or long marks."""
    folded = unicodedata.normalize("NFKC", text).translate(_KATAKANA).lower()
    return _SPACES.sub("", folded)


def phone_key(text: str) -> str:
    """Only the digits of a phone number (full-width digits too)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's wildcards in `text` escaped (escape character ``\\``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
