"""Sign-in with Streamlit's OpenID Connect (``st.login``), and the allow-list on top of it.

:func:`gate` runs in app.py before anything that touches a portal: until the visitor has signed in
and is on ``[access] allow``, the page shows the app's name, one sentence and a button, then stops.
Nothing is fetched and nothing about any portal is drawn. The decision itself is
:func:`lib.settings.access.is_allowed`; this module only draws.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from lib.i18n import Viewer
from lib.settings.access import is_allowed
from lib.settings.config import AppConfig
from lib.text import md_escape
from lib.ui import state
from lib.ui.state import APP_NAME


def user() -> dict[str, Any]:
    """What the provider said about the visitor (``st.user``), as a plain dict; empty when unknown."""
    try:
        return dict(st.user.to_dict())
    except Exception:  # noqa: BLE001 - no session context: nobody is signed in
        return {}


def signed_in_as(info: dict[str, Any], v: Viewer) -> str:
    for key in ("email", "preferred_username", "name"):
        value = info.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return v._("an account without an e-mail address")


def gate(config: AppConfig, v: Viewer) -> None:
    """With sign-in set up: stop the page unless the visitor is signed in and on the list."""
    sign_in = config.sign_in
    if sign_in is None:
        return
    info = user()
    if not info.get("is_logged_in"):
        st.title(APP_NAME)
        st.markdown(v._("Sign in to see how backups and restores are going."))
        for provider in sign_in.providers:
            label = v._("Sign in with {provider}", provider=provider.brand) if provider.brand else v._("Sign in")
            if st.button(label, key=f"{state.SIGN_IN}:{provider.name or ''}", type="primary",
                         icon=":material/login:"):
                if provider.name is None:
                    st.login()
                else:
                    st.login(provider.name)
        st.stop()
    if not is_allowed(info.get("email"), info.get("email_verified"), sign_in.allow):
        st.title(APP_NAME)
        # The same sentence whatever the reason (not listed, or an address the provider has not
        # verified), so the page never tells anyone which addresses are on the list.
        st.warning(v._("You are signed in as **{who}**, which is not on this app's list of viewers. Ask the person "
                       "who shared the link to add you.", who=md_escape(signed_in_as(info, v), 200)),
                   icon=":material/block:")
        if st.button(v._("Sign out"), key=state.SIGN_OUT, icon=":material/logout:",
                     help=v._("Then you can sign in again with another account.")):
            st.logout()
        st.stop()


def sidebar(config: AppConfig, v: Viewer) -> None:
    """Who is signed in, and the way out; nothing when sign-in is not set up."""
    if config.sign_in is None:
        return
    with st.sidebar:
        st.caption(v._("Signed in as {who}", who=md_escape(signed_in_as(user(), v), 200)))
        if st.button(v._("Sign out"), key=state.SIGN_OUT, icon=":material/logout:"):
            st.logout()
