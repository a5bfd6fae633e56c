"""Text from a portal, made safe to show: no markup, no links, no control or direction tricks."""

from __future__ import annotations

import re
import unicodedata

MAX_LEN = 400
_JOINER = "\u2060"  # word joiner: invisible, breaks automatic link detection
#: where an address would start: "https:/", "www", "a@b" (never after every dot: a file name copied from
#: the page must be the real name, "backup.tar.gz", for DocSpace's search to find it)
_LINKABLE = re.compile(r"(:(?=/)|@(?=[^\W_])|(?<![^\W_])www(?=\.[^\W_]))", re.IGNORECASE)
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
    """Clean ``text`` and escape every Markdown/HTML sign, so Streamlit shows it literally.

    Escapes alone do not stop the Markdown renderer from turning ``https://…``, ``www.…`` or
    ``a@name.com`` into links, so an invisible word joiner goes where one of those would start (after
    the scheme's colon, "www" and "@"), and nowhere else: a file name is copied as it is.
    """
    out = _LINKABLE.sub(lambda m: m.group(1) + _JOINER, clean(text, limit))
    return _MD_SPECIAL.sub(r"\\\1", out).replace("\n", "  \n")


_MD_LINK = re.compile(r"\]\s*\(")  # "[Open DocSpace](https://evil…)": a link whose text hides its target
_MENTION = re.compile(r"@(?=(channel|here|everyone)\b)", re.IGNORECASE)  # Slack's and Discord's "ping everyone"


def inert(text: str, limit: int = MAX_LEN) -> str:
    """Clean ``text`` (no direction tricks) and break, with an invisible word joiner, what a chat service
    would act on: a Markdown link's ``](``, a ``<…>`` of Slack's (``<!channel>``, ``<https://x|Open>``), an
    ``@channel``. The words read the same; nothing pings, nothing hides where a link goes."""
    out = _MD_LINK.sub(lambda m: "]" + _JOINER + m.group(0)[1:], clean(text, limit))
    out = out.replace("<", "<" + _JOINER).replace(">", _JOINER + ">")
    return _MENTION.sub("@" + _JOINER, out)


def slack_escape(text: str, limit: int = MAX_LEN) -> str:
    """:func:`inert`, then Slack's own escaping of ``&``, ``<`` and ``>`` (an incoming webhook's ``text``)."""
    out = inert(text, limit).replace(_JOINER + ">", ">").replace("<" + _JOINER, "<")
    return out.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
