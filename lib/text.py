"""Text from a portal, made safe to show: no markup, no links, no control or direction tricks."""

from __future__ import annotations

import re
import unicodedata

MAX_LEN = 400
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&\"'=^@/])")


def clean(text: str, limit: int = MAX_LEN) -> str:
    """Drop control and format characters (right-to-left overrides, zero-width…), cap the length."""
    out = "".join(
        ch if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs") else " "
        for ch in text
    )
    out = re.sub(r"[ \t]+", " ", out).strip()
    return out if len(out) <= limit else out[: limit - 1].rstrip() + "…"


def md_escape(text: str, limit: int = MAX_LEN) -> str:
    """Clean ``text`` and escape every Markdown/HTML sign, so Streamlit shows it literally."""
    return _MD_SPECIAL.sub(r"\\\1", clean(text, limit)).replace("\n", "  \n")
