"""The translations: every sentence of the code is in the template, every shipped language translates
every one of them, with the same placeholders (a ``{percent}`` never lost or renamed), the same bold
marks, and as many plural forms as the language has. ``python -m locales.catalog check`` says the same."""

from __future__ import annotations

import pytest
from babel.messages.catalog import Message
from babel.messages.pofile import read_po

from lib.i18n import SHIPPED
from locales import catalog

pytestmark = pytest.mark.slow  # reads and extracts the whole code base once per language


@pytest.fixture(scope="module")
def template() -> set[tuple[str, str | None]]:
    return {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in catalog.extract() if m.id}


def test_the_template_is_in_step_with_the_code(template: set[tuple[str, str | None]]) -> None:
    """A sentence added to the code without `python -m locales.catalog update` would reach nobody translated."""
    with catalog.TEMPLATE.open("rb") as handle:
        written = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in read_po(handle) if m.id}
    assert sorted(template - written, key=str) == [], "run: python -m locales.catalog update"
    assert sorted(written - template, key=str) == [], "run: python -m locales.catalog update"


def test_every_shipped_language_has_a_catalogue() -> None:
    assert sorted(set(SHIPPED) - {"en"}) == catalog.languages()


@pytest.mark.parametrize("language", sorted(set(SHIPPED) - {"en"}))
def test_every_sentence_is_translated_and_keeps_its_placeholders(language: str) -> None:
    assert catalog.problems(language) == []


@pytest.mark.parametrize(("message", "expected"), [
    (Message("The {noun} failed at {percent}.", "Die Sicherung ist bei {percent} fehlgeschlagen.",
             context="backup"), []),
    (Message("Failed at {percent}.", "Fehlgeschlagen bei {prozent}."),
     ["unknown placeholder(s) ['prozent']", "placeholder(s) ['percent'] lost"]),
    (Message("**Now:** {activity}", "Jetzt: {activity}"), ["the bold marks (**) differ"]),
    (Message("{n} backup", ""), ["is not translated"]),
    (Message(("{n} backup", "{n} backups"), ("{n} kopia", "{n} kopie")), ["has 2 plural forms, the language has 3"]),
    (Message(("{n} day ago", "{n} days ago"), ("wczoraj", "{n} dni temu", "{n} dni temu")), []),
])
def test_a_broken_entry_is_caught(message: Message, expected: list[str]) -> None:
    found = catalog.message_problems(message, 3)
    assert len(found) == len(expected) and all(want in got for want, got in zip(expected, found, strict=True))
