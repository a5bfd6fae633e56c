"""Keep the catalogues in step with the code, with Babel.

    python -m locales.catalog update        # extract every sentence into messages.pot; update each .po
    python -m locales.catalog init fr       # start a catalogue for a new language
    python -m locales.catalog check         # what is untranslated or broken, per language

Extraction is pybabel's (``babel.messages.extract``) with the app's own markers: ``_``, ``n_``, ``p_``,
``N_``, ``M_``, ``Mn_`` as usual, and ``k_``, ``kn_``, ``Mk_``, ``NK_`` for sentences about an
operation, which go into the catalogue once per kind (contexts ``restore``, ``backup`` and
``operation``) so that each language can word a restore and a backup its own way. The .po files are
plain gettext: any tool that edits them (Poedit, Weblate) works. Nothing needs compiling: the app
reads the .po it needs (lib/i18n.py).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TEMPLATE = HERE / "messages.pot"
#: where the sentences are: the logic, the entry point and the pages (never tests or the simulator)
SOURCES = ("lib", "app_pages")
PLAIN = {"_": None, "n_": (1, 2), "p_": ((1, "c"), 2), "N_": None, "M_": None, "Mn_": (1, 2)}
BY_KIND = {"k_": (2,), "kn_": (2, 3), "Mk_": (2,), "NK_": None}
KINDS = ("restore", "backup", "operation")
PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_]+)\}(?!\})")


def _extract(keywords: dict) -> Iterator[tuple[str, int, str | tuple[str, ...], str | None]]:
    for folder in (*SOURCES, "."):
        base = ROOT / folder
        method_map = [("app.py", "python")] if folder == "." else [("**.py", "python")]
        for filename, lineno, message, _comments, context in extract_from_dir(
                base, method_map, keywords=keywords, comment_tags=(), strip_comment_tags=True):
            if not message or (isinstance(message, tuple) and not all(message)):
                continue
            yield f"{folder}/{filename}".removeprefix("./"), lineno, message, context


def extract() -> Catalog:
    """Every sentence in the code, the ones about an operation once per kind."""
    catalog = Catalog(project="DocSpace Backup Monitor", msgid_bugs_address="", fuzzy=False)
    for filename, lineno, message, context in _extract(PLAIN):
        catalog.add(message, locations=[(filename, lineno)], context=context)
    for filename, lineno, message, _context in _extract(BY_KIND):
        for kind in KINDS:
            catalog.add(message, locations=[(filename, lineno)], context=kind)
    return catalog


def languages() -> list[str]:
    return sorted(p.name for p in HERE.iterdir() if (p / "LC_MESSAGES" / "messages.po").exists())


def po_path(language: str) -> Path:
    return HERE / language / "LC_MESSAGES" / "messages.po"


def read(language: str) -> Catalog:
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language)


def write(catalog: Catalog, path: Path, **options: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=True, include_lineno=False,
                 **options)  # type: ignore[arg-type]


def update() -> None:
    """Write the template from the code, and bring every language's catalogue up to it (nothing translated
    is lost; a sentence whose English changed is marked fuzzy until it is translated again)."""
    template = extract()
    write(template, TEMPLATE)
    for language in languages():
        catalog = read(language)
        catalog.update(template, update_header_comment=False)
        catalog.obsolete.clear()
        write(catalog, po_path(language))
    print(f"{len(template)} messages; catalogues: {', '.join(languages())}")


def init(language: str) -> None:
    Locale.parse(language)  # a language Babel knows (plural rules, names)
    catalog = Catalog(locale=language, project="DocSpace Backup Monitor", fuzzy=False)
    for message in extract():
        catalog.add(message.id, context=message.context, locations=message.locations)
    write(catalog, po_path(language))


def problems(language: str) -> list[str]:
    """What is wrong with one catalogue: untranslated, fuzzy, a placeholder lost or renamed, plural forms."""
    catalog = read(language)
    template = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in extract() if m.id}
    found: list[str] = []
    nplurals = catalog.num_plurals
    seen = set()
    for message in catalog:
        if not message.id:
            continue
        key = (message.id if isinstance(message.id, str) else message.id[0], message.context)
        seen.add(key)
        found += [f"{language}: {text}" for text in message_problems(message, nplurals)]
    found += [f"{language}: missing {key[0]!r} ({key[1] or 'no context'})" for key in sorted(template - seen,
                                                                                             key=str)]
    return found


def message_problems(message: Message, nplurals: int) -> list[str]:
    ids = [message.id] if isinstance(message.id, str) else list(message.id)
    strings = [message.string] if isinstance(message.string, str) else list(message.string)
    name = repr(ids[0][:60]) + (f" [{message.context}]" if message.context else "")
    if message.fuzzy:
        return [f"{name} is fuzzy (the English changed; translate it again)"]
    if not all(strings):
        return [f"{name} is not translated"]
    if len(ids) > 1 and len(strings) != nplurals:
        return [f"{name} has {len(strings)} plural forms, the language has {nplurals}"]
    wanted = set().union(*(set(PLACEHOLDER.findall(i)) for i in ids))
    optional = {"n"} | ({"noun"} if message.context in KINDS else set())
    out = []
    for form in strings:
        have = set(PLACEHOLDER.findall(form))
        if have - wanted:
            out.append(f"{name}: unknown placeholder(s) {sorted(have - wanted)} in {form!r}")
        if (wanted - optional) - have:
            out.append(f"{name}: placeholder(s) {sorted((wanted - optional) - have)} lost in {form!r}")
        if form.count("**") != ids[0].count("**"):
            out.append(f"{name}: the bold marks (**) differ in {form!r}")
    return out


def main(argv: list[str]) -> int:
    if argv[:1] == ["update"]:
        update()
    elif argv[:1] == ["init"] and len(argv) == 2:
        init(argv[1])
    elif argv[:1] == ["check"]:
        found = [p for language in languages() if language != "en" for p in problems(language)]
        print("\n".join(found) or "every catalogue is complete")
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
