"""The small pages behind the links in emails: "confirmed" (what the person will get and how to stop) and
"unsubscribe" (a button, then "done"). Plain HTML of our own, every word escaped; the same answer for every
address, so a page never tells whether someone is subscribed, nor shows anyone's address.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from lib.db.subscriptions import Subscription
from lib.i18n import Viewer


def page(title: str, paragraphs: list[str], v: Viewer, form: str = "", link: tuple[str, str] | None = None) -> str:
    """``link``: (words, address) of a link after the paragraphs."""
    esc = html.escape
    body = "".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    if link is not None:
        body += f'<p><a href="{esc(link[1], quote=True)}">{esc(link[0])}</a></p>'
    return (f'<!DOCTYPE html><html lang="{esc(v.language.replace("_", "-"))}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>body{{font-family:system-ui,Segoe UI,Arial,sans-serif;"
            "max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1f2328}"
            "button{font-size:1rem;padding:.5rem 1rem;border-radius:4px;border:1px solid #1f6feb;background:#1f6feb;"
            "color:#fff;cursor:pointer}</style></head>"
            f"<body><h1>{esc(title)}</h1>{body}{form}</body></html>")


def confirmed(found: list[Subscription], words: list[str], unsubscribe: str, v: Viewer) -> str:
    """``words``: what each confirmed subscription brings, in the reader's language."""
    if not found:
        return page(v._("This link does not work any more"), [
            v._("It was used already, it is older than 24 hours, or it was not made by this app."),
            v._("Ask again on the app's page if you still want to be told: a new email will come."),
        ], v)
    return page(v._("Confirmed"), [
        v._("You will get {what}.", what=v.list(words)),
        v._("Nothing else is sent. Every email has an unsubscribe link; you can also stop now with the button "
            "below."),
    ], v, _button(unsubscribe, v._("Unsubscribe")))


def confirmed_already(v: Viewer) -> str:
    return page(v._("Already confirmed"), [
        v._("This link was opened before (perhaps by your mail program, checking it), so your address is "
            "confirmed: you will be told."),
        v._("Every email has an unsubscribe link."),
    ], v)


def unsubscribe_form(token: str, ours: bool, label: str | None, v: Viewer) -> str:
    """``label``: the portal the link was made for (None when its subscription is no longer kept)."""
    if not ours:
        return _not_ours(v)
    if label is None:
        return page(v._("Stop these emails?"), [v._("One click and no more emails about this portal are sent to "
                                                    "this address, the weekly summary included.")],
                    v, _button("?t=" + token, v._("Unsubscribe")))
    return page(v._("Stop the emails about {label}?", label=label), [
        v._("One click and no more emails about {label} are sent to this address, the weekly summary included.",
            label=label)], v, _button("?t=" + token, v._("Unsubscribe")))


def unsubscribed(ours: bool, label: str | None, portal: str, v: Viewer) -> str:
    """``portal``: the portal's name, for the link to its page (the app serves this page: the link is relative)."""
    if not ours:
        return _not_ours(v)
    done = (v._("It worked: no more emails about this portal will be sent to this address.") if label is None
            else v._("It worked: no more emails about {label} will be sent to this address.", label=label))
    home = "./" + (f"?portal={quote(portal)}" if portal else "")
    return page(v._("You are unsubscribed"), [done, v._("Changed your mind? Ask again on the app's page.")], v,
                link=(v._("Open the app"), home))


def _not_ours(v: Viewer) -> str:
    return page(v._("This link does not work"), [v._("It was not made by this app, or it was cut short. Copy the "
                                                     "whole link from the email and try again.")], v)


def _button(action: str, words: str) -> str:
    return (f'<form method="post" action="{html.escape(action, quote=True)}">'
            '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
            f"<button type=\"submit\">{html.escape(words)}</button></form>")
