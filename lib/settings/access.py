"""Sign-in settings: the ``[auth]`` table (Streamlit's own format) and ``[access] allow``, checked.

Pure: no Streamlit import. Every mistake is a :class:`ConfigError` with one sentence naming the key;
no message ever contains a client secret or the cookie secret. :func:`is_allowed` decides whether a
signed-in visitor is on the list.

Streamlit reads ``[auth]`` itself (``st.login``); this module only makes sure it is complete and
sane before any visitor is asked to sign in, and adds what Streamlit leaves out: who may look.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lib.i18n import M_
from lib.links import loopback
from lib.settings.errors import ConfigError

CALLBACK = "/oauth2callback"
COOKIE_SECRET_MIN = 32
#: keys Streamlit reads directly under [auth]; any other table there is a named provider
_AUTH_KEYS = {"redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url",
              "client_kwargs", "expose_tokens"}
_PROVIDER_KEYS = {"client_id", "client_secret", "server_metadata_url", "client_kwargs"}
_REQUIRED = ("client_id", "client_secret", "server_metadata_url")
# Streamlit refuses "_" in provider names (it splits Authlib's session keys on it)
_PROVIDER_NAME = re.compile(r"^[A-Za-z0-9-]{1,40}$")
_LABEL = re.compile(r"[A-Za-z0-9]+")
_LABELS = {"google": "Google", "microsoft": "Microsoft", "entra": "Microsoft", "azure": "Microsoft",
           "okta": "Okta", "auth0": "Auth0", "keycloak": "Keycloak", "github": "GitHub", "gitlab": "GitLab"}
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
_LOCAL = re.compile(r"^[^\s@\"(),:;<>\[\]\\]{1,64}$")


@dataclass(frozen=True)
class Provider:
    """One sign-in button. ``name`` None is the unnamed form (``client_id`` directly under [auth])."""

    name: str | None

    @property
    def brand(self) -> str:
        """How the provider's button names it ("Google", "My Keycloak"); "" for the unnamed form."""
        if self.name is None:
            return ""
        known = _LABELS.get(self.name.lower())
        return known or " ".join(w.capitalize() if w.islower() else w for w in _LABEL.findall(self.name))


@dataclass(frozen=True)
class AllowList:
    """Who may look: whole addresses, and whole domains (from entries written "@example.com")."""

    addresses: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return len(self.addresses) + len(self.domains)


@dataclass(frozen=True)
class SignIn:
    """Sign-in is on: these providers, and this list of viewers."""

    providers: tuple[Provider, ...]
    allow: AllowList


def load(auth: Any, allow: Any) -> SignIn | None:
    """Check ``[auth]`` and ``[access] allow`` together. None when neither is set (sign-in off)."""
    if auth is None:
        if allow is not None:
            raise ConfigError(M_("'access.allow' lists who may sign in, but sign-in is not set up: add an "
                                 "[auth] section (see docs/sign-in.md), or remove 'allow'."))
        return None
    providers = load_auth(auth)
    if allow is None:
        raise ConfigError(M_("Sign-in is set up in [auth] but 'access.allow' is missing: add allow = "
                             '["you@example.com"] under [access], listing who may look (a whole domain is '
                             'written "@example.com").'))
    return SignIn(providers=providers, allow=parse_allow(allow))


def load_auth(auth: Any) -> tuple[Provider, ...]:
    """Validate Streamlit's ``[auth]`` table; the providers it configures, in the file's order."""
    if not isinstance(auth, Mapping):
        raise ConfigError(M_("'auth' in secrets must be a table like [auth], not a single value."))
    for key, value in auth.items():
        if key not in _AUTH_KEYS and not isinstance(value, Mapping):
            raise ConfigError(M_("Unknown setting 'auth.{key}'. Expected: {items}, or a table per provider "
                                 "like [auth.google].",
                                 key=str(key)[:40], items=', '.join(sorted(_AUTH_KEYS))))
    _redirect_uri(auth.get("redirect_uri"))
    secret = auth.get("cookie_secret")
    if secret is None:
        raise ConfigError(M_("'auth.cookie_secret' is missing: add a long random text, for example the output"
                             ' of python -c "import secrets; print(secrets.token_hex(32))".'))
    if not isinstance(secret, str) or len(secret.strip()) < COOKIE_SECRET_MIN:
        raise ConfigError(M_("'auth.cookie_secret' must be a random text of at least {length} "
                             "characters (it signs the login cookie), for example the output of python -c "
                             '"import secrets; print(secrets.token_hex(32))".', length=COOKIE_SECRET_MIN))
    _expose_tokens(auth.get("expose_tokens"))
    if "client_kwargs" in auth and not isinstance(auth["client_kwargs"], Mapping):
        raise ConfigError(M_("'auth.client_kwargs' must be a table like client_kwargs = {{ prompt = \"login\" "
                             "}}."))
    providers: list[Provider] = []
    if any(key in auth for key in _REQUIRED):
        _provider("auth", auth, check_keys=False)  # [auth]'s own keys were checked above
        providers.append(Provider(None))
    for name, table in auth.items():
        if name in _AUTH_KEYS:
            continue
        where = f"auth.{name!s:.40}"
        if not _PROVIDER_NAME.match(str(name)):
            raise ConfigError(M_("The provider name in [{where}] may use only letters, digits and '-' "
                                 "(Streamlit does not accept '_' there).", where=where))
        if name == "default" and providers:
            raise ConfigError(M_("[auth.default] clashes with the client_id set directly under [auth]: keep "
                                 "one of the two."))
        _provider(where, table)
        providers.append(Provider(str(name)))
    if not providers:
        raise ConfigError(M_("[auth] names no sign-in provider: add client_id, client_secret and "
                             "server_metadata_url under [auth], or one table per provider like [auth.google]."))
    return tuple(providers)


def parse_allow(allow: Any) -> AllowList:
    """``["alice@example.com", "@example.com"]`` → an :class:`AllowList`; an empty list is an error."""
    if not isinstance(allow, list | tuple):
        raise ConfigError(M_("'access.allow' must be a list in square brackets, like allow = "
                             '["alice@example.com", "@example.com"].'))
    if not allow:
        raise ConfigError(M_("'access.allow' is empty, so nobody could look: list who may, like allow = "
                             '["alice@example.com", "@example.com"].'))
    addresses: set[str] = set()
    domains: set[str] = set()
    for position, entry in enumerate(allow, start=1):
        if not isinstance(entry, str):
            raise ConfigError(M_("Entry {position} of 'access.allow' must be an address in quotes, like "
                                 '"alice@example.com".', position=position))
        text = entry.strip().lower()
        shown = entry.strip()[:80]
        if text.startswith("*@"):
            raise ConfigError(M_("'access.allow' entry \"{shown}\": write a whole domain as \"{text}\" (without "
                                 "the *).", shown=shown, text=text[1:80]))
        if text.startswith("@"):
            if not _DOMAIN.match(text[1:]):
                raise ConfigError(M_("'access.allow' entry \"{shown}\" is not a domain like \"@example.com\".",
                                     shown=shown))
            domains.add(text[1:])
        elif "@" not in text and _DOMAIN.match(text):
            raise ConfigError(M_("'access.allow' entry \"{shown}\" looks like a domain: write it as \"@{text}\" "
                                 "to let everyone at that domain in, or give a full address.",
                                 shown=shown, text=text[:80]))
        elif _address(text) is None:
            raise ConfigError(M_("'access.allow' entry \"{shown}\" is not an e-mail address like "
                                 '"alice@example.com" or a domain like "@example.com".', shown=shown))
        else:
            addresses.add(text)
    return AllowList(frozenset(addresses), frozenset(domains))


def is_allowed(email: object, email_verified: object, allow: AllowList) -> bool:
    """Whether a signed-in visitor may look.

    The address is compared case-insensitively with the list's addresses and, after the ``@``, with
    its domains (exactly: "@example.com" does not admit "sub.example.com"). Where the provider says
    the address is not verified (``email_verified`` false, or anything but true), it does not count;
    a provider that does not send the claim at all is taken at its word for the address.
    """
    if email_verified is not None and email_verified is not True and not (
            isinstance(email_verified, str) and email_verified.strip().lower() == "true"):
        return False
    address = _address(email.strip().lower()) if isinstance(email, str) else None
    if address is None:
        return False
    return address in allow.addresses or address.rpartition("@")[2] in allow.domains


# ---------------------------------------------------------------- helpers


def _address(text: str) -> str | None:
    """``text`` when it is one plain address (one @, a local part, a domain with a dot), else None."""
    local, at, domain = text.rpartition("@")
    if not at or "@" in local or not _LOCAL.match(local) or not _DOMAIN.match(domain):
        return None
    return text


def _redirect_uri(value: Any) -> None:
    example = "https://your-app.streamlit.app/oauth2callback"
    if value is None:
        raise ConfigError(M_("'auth.redirect_uri' is missing: add the app's address followed by {callback}, "
                             'like "{example}".', callback=CALLBACK, example=example))
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(M_("'auth.redirect_uri' must be an address in quotes, like \"{example}\".",
                             example=example))
    url = value.strip().replace("{port}", "8501")  # Streamlit fills in {port} with the server's port
    parts = _split(url)
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(M_("'auth.redirect_uri' must be a full address like \"{example}\".", example=example))
    if not parts.path.endswith(CALLBACK) or parts.query or parts.fragment:
        raise ConfigError(M_("'auth.redirect_uri' must end with {callback}, like \"{example}\" (locally "
                             '"http://localhost:8501{callback}").', callback=CALLBACK, example=example))
    if parts.scheme == "http" and not loopback(parts.hostname):
        raise ConfigError(M_("'auth.redirect_uri' must use https:// (plain http:// works only for localhost),"
                             ' like "{example}".', example=example))


def _provider(where: str, table: Any, *, check_keys: bool = True) -> None:
    if not isinstance(table, Mapping):
        raise ConfigError(M_("'{where}' must be a table with client_id, client_secret and "
                             "server_metadata_url.", where=where))
    for key in table if check_keys else ():
        if key not in _PROVIDER_KEYS:
            raise ConfigError(M_("Unknown setting '{where}.{key}'. Expected: {items}.",
                                 where=where, key=str(key)[:40], items=', '.join(sorted(_PROVIDER_KEYS))))
    for key in _REQUIRED:
        value = table.get(key)
        if value is None:
            raise ConfigError(M_("'{where}.{key}' is missing: copy it from your sign-in provider (see "
                                 "docs/sign-in.md).", where=where, key=key))
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(M_("'{where}.{key}' must be a non-empty text in quotes.", where=where, key=key))
    url = table["server_metadata_url"].strip()
    parts = _split(url)
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(M_("'{where}.server_metadata_url' must be a full address ending in "
                             "/.well-known/openid-configuration.", where=where))
    if parts.scheme == "http" and not loopback(parts.hostname):
        raise ConfigError(M_("'{where}.server_metadata_url' must use https:// (plain http:// only on this "
                             "machine).", where=where))
    if "client_kwargs" in table and not isinstance(table["client_kwargs"], Mapping):
        raise ConfigError(M_("'{where}.client_kwargs' must be a table like client_kwargs = {{ prompt = "
                             '"login" }}.', where=where))


def _expose_tokens(value: Any) -> None:
    if value is None:
        return
    tokens = [value] if isinstance(value, str) else value
    if not isinstance(tokens, list | tuple) or not all(t in ("id", "access") for t in tokens):
        raise ConfigError(M_("'auth.expose_tokens' may only be \"id\", \"access\" or a list of those."))


def _split(url: str):
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0..65535
    except ValueError:
        return None
    if parts.username or parts.password or " " in parts.netloc:
        return None
    return parts

