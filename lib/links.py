"""Addresses: which download links are safe to make clickable, and which hosts are this machine."""

from __future__ import annotations

import ipaddress
from urllib.parse import urljoin, urlsplit


def safe_download(link: str, portal_url: str) -> str | None:
    """The absolute URL if ``link`` is http(s) on the portal's own host or portal-relative, else None."""
    link = link.strip()
    if not link or any(ch in link for ch in "\r\n\t\\") or any(ord(c) < 32 for c in link):
        return None
    portal = urlsplit(portal_url)
    if link.startswith("/") and not link.startswith("//"):
        return urljoin(portal_url.rstrip("/") + "/", link.lstrip("/"))
    parts = urlsplit(link)
    same_host = bool(parts.hostname) and parts.hostname == portal.hostname
    no_downgrade = parts.scheme == "https" or parts.scheme == portal.scheme
    if parts.scheme in ("http", "https") and same_host and no_downgrade and not (parts.username or parts.password):
        return link
    return None


def loopback(host: str) -> bool:
    """This machine (localhost, 127.x, ::1): the one place plain http is not sent across a network."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
