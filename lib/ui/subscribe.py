""""Tell me when it ends": the email form on the live restore and backup pages, and "Send me a weekly summary"
on Backups. What it does is :func:`lib.watching.subscribers.subscribe`'s; this module only draws it and says
the one sentence that came back (the same for every address: the page never tells who is subscribed).

With sign-in on and an address the provider verified, one click subscribes that address, no email to confirm.
"""

from __future__ import annotations

import streamlit as st

from lib import clock
from lib.i18n import Msg
from lib.text import md_escape
from lib.ui import signin
from lib.ui.state import Context
from lib.watching import subscribers

ANSWER = "subscribe_answer"


def _verified_address() -> str | None:
    info = signin.user()
    verified = info.get("email_verified")
    if not info.get("is_logged_in") or not (verified is True or str(verified).lower() == "true"):
        return None
    return subscribers.valid_address(str(info.get("email") or ""))


def form(ctx: Context, kind: str, *, running: bool = False, operation: str = "") -> None:
    """``kind``: restore, backup, or "digest" (the Backups page); ``running``: a job runs now."""
    settings, v = ctx.config.mail, ctx.viewer
    if ctx.kiosk or settings is None or not settings.form:
        return
    label = ctx.portal.label_for(v)
    if kind == "digest":
        button, whats, kind = v._("Tell me every week: send me a weekly summary"), ("digest",), ""
        intro = v._("Send me a weekly summary of {label}'s backups and restores.", label=label)
    elif running:
        button, whats = v._("Tell me when it ends"), ("this-operation",)
        intro = v.k_(kind, "Get one email when this {noun} ends, even with this page closed.")
    else:
        whats = ("next-outcome", "missed") if kind == "backup" else ("next-outcome",)
        button = v._("Tell me when the next one ends or if a backup is missed") if kind == "backup" else \
            v._("Tell me when the next one ends")
        intro = v.k_(kind, "Get one email when the next {noun} ends, even with this page closed.")
    asked = subscribers.Asked(ctx.portal.name, label, kind, whats, operation, ctx.viewer.language)
    key = f"{ANSWER}:{ctx.portal.name}:{kind}"
    with st.container(border=True):
        st.markdown(md_escape(intro))
        own = _verified_address()
        if own is not None:
            if st.button(v._("{tell} (to {address})", tell=button, address=own), key=f"{key}:own"):
                st.session_state[key] = subscribers.subscribe(ctx.source.store, settings, own, asked, clock.now(),
                                                              verified=True)
        else:
            with st.form(f"{key}:form", clear_on_submit=True, border=False):
                address = st.text_input(v._("Email"), max_chars=254, placeholder="name@example.com",
                                        autocomplete="email")
                if st.form_submit_button(button, key=f"{key}:send"):  # a key: its label changes when a job starts
                    with st.spinner(v._("Sending you an email to confirm…")):  # up to 20 s on a slow mail server
                        st.session_state[key] = subscribers.subscribe(ctx.source.store, settings, address, asked,
                                                                      clock.now(), counts=ctx.source.counts)
        answer: subscribers.Answer | None = st.session_state.get(key)
        if answer is not None:
            said: Msg = answer.said
            (st.success if answer.ok else st.error)(md_escape(v.say(said)))
