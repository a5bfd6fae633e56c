"""Nothing of ours left untranslated: every page and state in a pseudo-language that wraps each
translated text in ⟦…⟧, and no word of our catalogue may be seen outside those marks.

What may stand outside them is what is not ours to translate: the portal's own words and labels from
the settings, numbers, and what Babel writes (month and unit names in the pseudo-language's English
locale). So the check is: take everything a viewer could read on the page (every text field of every
element, table cells, chart titles, legends, hovers and tick labels), cut out the marked parts, and
look for the words our English sentences are made of.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from babel.messages.pofile import read_po

from lib import i18n
from lib.clock import use as clock_use
from lib.text import clean
from lib.ui.state import APP_NAME
from lib.views.strip_facts import PORTAL_TEXT_LEN
from simulator import ManualClock, Options, Simulator
from simulator.engine import FAIL_TEXT
from simulator.past import SCHEDULED_ERROR
from tests.apptest import make_app
from tests.factories import KEY, T0
from tests.test_signin_app import AUTH

#: proto fields that are not read by a person (ids, icons, formats, keys)
SKIP_FIELDS = {"id", "icon", "deferred_file_id", "format", "form_id", "page_script_hash", "query_string",
               "page", "type", "element_type", "label_visibility", "spec", "url", "data", "mime", "file_name",
               "theme", "config", "selection_mode", "column_config",
               "autocomplete"}
#: words outside our control: the portal's labels and texts in these tests, and what Babel writes
NOT_OURS = {"production", "zorglub", "sec", "min", "days", "day", "jan", "feb", "mar", "apr", "may", "jun", "jul",
            "aug", "sep", "oct", "nov", "dec", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "utc", "byte",
            "the", "backup", "file", "invalid", "gz", "tar", "demo",  # the simulator's failure text and file names
            "english"}  # the language picker names each language in itself ("English", "Deutsch")
#: what the simulated portal says in its own words (DocSpace's, not ours)
#: (and the product's name, the same everywhere)
PORTAL_TEXTS = (FAIL_TEXT, "Backup cancelled", SCHEDULED_ERROR, clean(SCHEDULED_ERROR, PORTAL_TEXT_LEN), APP_NAME)
#: a word of letters alone (not a piece of a task id like "3fa8bad1")
WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{3,}(?![A-Za-z0-9])")


@pytest.fixture(scope="module")
def vocabulary() -> set[str]:
    from locales.catalog import TEMPLATE

    with TEMPLATE.open("rb") as handle:
        ids = [m.id if isinstance(m.id, str) else " ".join(m.id) for m in read_po(handle) if m.id]
    words = {w.lower() for text in ids for w in re.findall(r"[A-Za-z]{3,}", re.sub(r"\{[a-z_]+\}", "", text))}
    return words - NOT_OURS


@pytest.fixture(autouse=True)
def pseudo() -> Iterator[None]:
    i18n.allow_pseudo(True)
    yield
    i18n.allow_pseudo(False)


def strings(value: Any) -> Iterator[str]:
    """Every text inside a protobuf message, a plotly figure's JSON, or a table."""
    if isinstance(value, str):
        yield value
    elif hasattr(value, "ListFields"):
        for field, inner in value.ListFields():
            if field.name == "spec":  # a plotly figure: what it shows a person
                yield from _figure(json.loads(inner))
            elif field.name not in SKIP_FIELDS:
                yield from strings(inner)
    elif isinstance(value, list | tuple) or type(value).__name__.startswith("Repeated"):
        for item in value:
            yield from strings(item)


def _figure(figure: dict) -> Iterator[str]:
    def walk(node: Any, key: str = "") -> Iterator[str]:
        if isinstance(node, dict):
            for k, v in node.items():
                yield from walk(v, k)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v, key)
        elif isinstance(node, str) and key in ("text", "name", "hovertext", "customdata", "ticktext"):
            yield node
    yield from walk(figure)


def readable(at) -> list[str]:
    """Everything a viewer of this run could read."""
    out: list[str] = []

    def visit(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.extend(strings(proto))
        for child in getattr(node, "children", {}).values():
            visit(child)

    visit(at._tree)
    for table in at.dataframe:
        out += [str(c) for c in table.value.columns] + [str(v) for v in table.value.to_numpy().ravel()]
    return out


def unmarked(text: str) -> str:
    """The text with every ⟦…⟧ cut out (they nest: a sentence inside a sentence)."""
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"⟦[^⟦⟧]*⟧", " ", text)
    return text


def left_over(at, vocabulary: set[str]) -> list[str]:
    found = []
    for text in readable(at):
        if text.startswith(("{", "<style>")):
            continue  # a table's column settings, the kiosk view's own CSS: not words
        plain = text.replace("\u2060", "").replace("\\", "")
        for theirs in PORTAL_TEXTS:
            plain = plain.replace(theirs, " ")
        rest = unmarked(re.sub(r":material/[a-z_]+:|:[a-z]+-badge\[", " ", plain))
        words = {w.lower() for w in WORD.findall(rest)} & vocabulary
        if words:
            found.append(f"{sorted(words)} in {text[:160]!r}")
    return found


def pseudo_app(sim: Simulator, **tables: dict):
    at = make_app(sim, **tables)
    at.query_params["lang"] = "qps"
    return at


PAGES = ["app_pages/restore.py", "app_pages/backup.py", "app_pages/backups.py", "app_pages/portals.py",
         "app_pages/history.py"]


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["restore", "fail", "backup", "overdue", "cancel", "stall"])
def test_every_page_in_every_state_is_translated(scenario: str, manual_clock: ManualClock, tick,
                                                 vocabulary: set[str]) -> None:
    with Simulator(scenario, api_key=KEY, clock=manual_clock) as sim:
        at = pseudo_app(sim)
        for advance in (0, 5, 60, 120, 300, 600):  # running, then ended (the strip, how it ended)
            tick(at, advance)
            assert left_over(at, vocabulary) == []
        for page in PAGES:
            tick(at.switch_page(page))
            assert left_over(at, vocabulary) == [], page
        assert at.selectbox(key="history_portal") is not None


@pytest.mark.parametrize("tables", [
    {"auth": AUTH, "access": {"allow": ["alice@example.com"]}},  # the sign-in screen
    {"monitor": {"refresh_seconds": 1}},  # a setting brought into range, said once
    {"access": {"passcode": "letmein-please"}},  # the passcode gate
    {"monitor": {"refresh_seconds": "5"}},  # a settings mistake
])
def test_the_frame_the_gates_and_settings_words_are_translated(tables: dict, manual_clock: ManualClock, tick,
                                                              vocabulary: set[str]) -> None:
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        at = tick(pseudo_app(sim, **tables))
        assert left_over(at, vocabulary) == []
        assert any("⟦" in text for text in readable(at))


def test_an_unknown_portal_a_missing_key_and_the_kiosk_view_are_translated(manual_clock: ManualClock, tick,
                                                                          vocabulary: set[str]) -> None:
    with Simulator("restore", clock=manual_clock) as sim:
        at = pseudo_app(sim, portals={"prod": {"url": sim.url, "label": "Zorglub"}})
        at.query_params["portal"] = "nowhere"
        tick(at)
        assert left_over(at, vocabulary) == []
        tick(at.switch_page("app_pages/backups.py"))  # no API key: one sentence and a link
        assert left_over(at, vocabulary) == []
        at.query_params["view"] = "kiosk"
        tick(at.switch_page("app_pages/restore.py"))
        assert left_over(at, vocabulary) == []


def test_a_portal_that_does_not_answer_is_said_in_the_readers_language(manual_clock: ManualClock, tick,
                                                                       vocabulary: set[str]) -> None:
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        at = pseudo_app(sim)
        tick(at)
        tick(at, 5)
    tick(at, 10)  # the portal is gone: the last known state, the failure, the footer's wait
    tick(at, 30)
    assert left_over(at, vocabulary) == []


def test_the_check_finds_an_untranslated_sentence(manual_clock: ManualClock, tick, vocabulary: set[str]) -> None:
    """Shown once: English text on the page (here: the app run without the pseudo-language) is caught."""
    with Simulator("restore", api_key=KEY, clock=manual_clock) as sim:
        at = tick(make_app(sim))
        assert any("'progress'" in found for found in left_over(at, vocabulary))


@pytest.mark.parametrize("state", ["stopped", "short trail", "not paid", "weeks of trail"])
def test_what_the_audit_trail_adds_is_translated(state: str, tick, vocabulary: set[str]) -> None:
    """The schedule that disappeared (the alarm on every page), a short trail (Details), a plan without backups
    (402), and weeks of backups and a failed scheduled one known from the trail."""
    clock = ManualClock(T0)
    clock_use(clock)
    options = {"stopped": Options(), "short trail": Options(audit=False), "not paid": Options(paid=False),
               "weeks of trail": Options(days=12, keep_files=2)}[state]
    scenario = "scheduled-fail" if state == "weeks of trail" else "idle"
    with Simulator(scenario, api_key=KEY, clock=clock, options=options) as sim:
        at = tick(pseudo_app(sim))
        tick(at.switch_page("app_pages/backups.py"))
        if state == "stopped":
            sim.remove_schedule()
            clock.advance(600)
            tick(at)
            assert at.error  # the alarm is there, in the pseudo-language
        for page in PAGES:
            tick(at.switch_page(page))
            assert left_over(at, vocabulary) == [], page
        if state != "not paid":
            tick(at.switch_page("app_pages/backups.py"))
            assert any(e.proto.label.startswith("⟦") for e in at.get("expander"))  # Details
