"""The README and docs/: every setting the app reads is documented, every link resolves, and the README
stays a page a newcomer reads top to bottom (in the spirit of datasette's tests/test_docs.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lib.settings import access, config
from tests.conftest import ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"
SETTINGS = DOCS / "settings.md"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
README_MAX = 15_000
COMMANDS = (
    "pip install -r requirements.txt && streamlit run app.py        # runs; with no secrets: demo mode",
    "pip install -r requirements-dev.txt && python -m pytest        # passes the whole suite",
)

FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.S | re.M)
CODE_SPAN = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)


def setting_keys() -> dict[str, set[str]]:
    """Every key the app reads, by table, from the code that reads them (not from its source text)."""
    keys = {table: set(allowed or ()) for table, allowed in config._TABLES.items()}
    keys.setdefault("portals", set()).update(config._PORTAL_KEYS)
    keys.setdefault("auth", set()).update(access._AUTH_KEYS | access._PROVIDER_KEYS)
    return keys


def section(text: str, table: str) -> str:
    """The part of the page under the heading that names ``[table]`` (or ``[table.<name>]``), up to the
    next heading of the same or a higher level."""
    text = FENCE.sub("", text)  # a TOML comment "# [access]" is no heading
    found = re.search(rf"^(#+)[ \t][^\n]*\[{re.escape(table)}[\].]", text, re.M)
    assert found, f"docs/settings.md has no heading naming [{table}]"
    level = len(found.group(1))
    rest = text[found.end():]
    end = re.search(rf"^#{{1,{level}}}[ \t]", rest, re.M)
    return rest[:end.start()] if end else rest


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text, lowercase, punctuation dropped but '-' and '_', spaces to '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings, a repeated one numbered as GitHub numbers it (-1, -2, …)."""
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(page: Path) -> list[str]:
    """The link targets of a page, leaving out code blocks and code spans."""
    text = CODE_SPAN.sub("", FENCE.sub("", page.read_text(encoding="utf-8")))
    return LINK.findall(text)


# ---------------------------------------------------------------- settings


@pytest.mark.parametrize("table", sorted(setting_keys()))
def test_every_settings_table_is_named_in_settings_md(table: str) -> None:
    text = SETTINGS.read_text(encoding="utf-8")
    assert re.search(rf"\[{re.escape(table)}[\].]", text), f"docs/settings.md does not name [{table}]"


@pytest.mark.parametrize(("table", "key"), [(table, key) for table, keys in sorted(setting_keys().items())
                                            for key in sorted(keys)], ids=lambda value: str(value))
def test_every_setting_key_is_named_in_settings_md(table: str, key: str) -> None:
    """A key the app reads but docs/settings.md does not name, in its table's section, fails here."""
    text = section(SETTINGS.read_text(encoding="utf-8"), table)
    assert re.search(rf"(?<!\w){re.escape(key)}(?!\w)", text), \
        f"docs/settings.md does not name '{key}' under [{table}]"


# ---------------------------------------------------------------- the README


def test_the_readme_is_short_enough_to_read_top_to_bottom() -> None:
    size = len(README.read_text(encoding="utf-8"))
    assert size <= README_MAX, f"README.md is {size:,} characters, more than {README_MAX:,}: move some to docs/"


@pytest.mark.parametrize("command", COMMANDS)
def test_the_readme_has_the_two_commands_verbatim(command: str) -> None:
    lines = [line.strip() for line in README.read_text(encoding="utf-8").splitlines()]
    assert command in lines, f"README.md no longer has this line, exactly: {command}"


def test_the_readme_links_every_docs_page() -> None:
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in links(README)}
    # docs/_notes-*.md are drafts a branch hands over, to be put into the pages on merge: not linked
    missing = [page.name for page in DOCS.glob("*.md")
               if page.resolve() not in linked and not page.name.startswith("_")]
    assert not missing, f"README.md links no docs page named {missing}"


# ---------------------------------------------------------------- links


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http(s), mailto: not checked here
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and (file.suffix != ".md" or anchor not in anchors(file)):
            broken.append(f"{target}: no heading with that anchor in {file.relative_to(ROOT)}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_slugs_follow_github() -> None:
    assert slug("When it will be done: how it is estimated, and how good it is") == \
        "when-it-will-be-done-how-it-is-estimated-and-how-good-it-is"
    assert slug("`[portals.<name>]`") == "portalsname"
    assert slug("Why app_pages/ and not pages/") == "why-app_pages-and-not-pages"
    assert slug("CI: .ci/run") == "ci-cirun"
