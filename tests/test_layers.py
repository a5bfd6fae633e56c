"""The house's rules, read from the imports: lib/'s packages stand on each other in one order, nothing
imports a package above it, nothing but the Streamlit glue imports streamlit, and there is no cycle.

The order (lib/__init__.py says it in words): the root helpers, then portal and settings (side by
side, neither importing the other), jobs, db, watching, views, ui. The checker runs on the real tree
and, to show it would catch a break, on small made-up trees.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lib.watching.reader import DatabaseReader
from lib.watching.source import Source
from lib.watching.watcher import Watcher

ROOT = Path(__file__).resolve().parent.parent
#: a package may import only packages of a lower rank (and itself, and the root helpers, rank 0)
RANKS = {"portal": 1, "settings": 1, "jobs": 2, "db": 3, "watching": 4, "views": 5, "ui": 6}
#: modules at lib/'s root that are entry points, not helpers: they may import anything
ENTRIES = {"lib.watch"}
#: who may import streamlit: the glue, the entry point and the pages (tests and bench may too)
STREAMLIT_OK = ("lib.ui", "app", "dashboard", "app_pages")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, root: Path) -> set[str]:
    """Every module a file imports, anywhere in it (functions and TYPE_CHECKING blocks too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from lib.jobs import forecast` imports the module lib.jobs.forecast, not the package
            modules = {f"{node.module}.{alias.name}" for alias in node.names
                       if (root / Path(*f"{node.module}.{alias.name}".split("."))).with_suffix(".py").exists()}
            found |= modules if len(modules) == len(node.names) else modules | {node.module}
    return found


def package(module: str) -> str | None:
    """``lib.jobs.eta`` -> ``jobs``; a root helper (``lib.timewords``) -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in RANKS) else None


def rank(module: str) -> int:
    name = package(module)
    return 0 if name is None else RANKS[name]


def violations(root: Path) -> list[str]:
    """Every broken rule in the tree at ``root``, one sentence each."""
    problems: list[str] = []
    graph: dict[str, set[str]] = {}
    files = sorted(root.glob("lib/**/*.py")) + sorted(root.glob("simulator/*.py"))
    files += [root / name for name in ("app.py", "dashboard.py") if (root / name).exists()]
    files += sorted(root.glob("app_pages/*.py"))
    for path in files:
        me = module_name(path, root)
        used = imports(path, root)
        if any(u == "streamlit" or u.startswith("streamlit.") for u in used) and not me.startswith(STREAMLIT_OK):
            problems.append(f"{me} imports streamlit (only lib/ui, app.py and app_pages may)")
        if not me.startswith("lib.") or me in ENTRIES:
            continue
        own = [u for u in used if u.startswith("lib.") and u != "lib"]
        graph[me] = {u for u in own if (root / Path(*u.split("."))).with_suffix(".py").exists()}
        for other in own:
            if other in ENTRIES:
                problems.append(f"{me} imports the entry point {other}")
                continue
            if package(me) is None:
                if package(other) is not None:
                    problems.append(f"{me} (a root helper) imports {other}: helpers stand on nothing in lib/")
                continue
            if package(other) is None or package(other) == package(me):
                continue
            if rank(other) >= rank(me):
                problems.append(f"{me} ({package(me)}, rank {rank(me)}) imports {other} "
                                f"({package(other)}, rank {rank(other)}): a step up or sideways")
    problems += [f"import cycle: {' -> '.join(cycle)}" for cycle in cycles(graph)]
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly tied group of modules (a depth-first search that reports back edges)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_the_house_keeps_its_rules() -> None:
    assert violations(ROOT) == []


#: the only modules that may talk HTTP: the portal client (and the webhook), and Apprise's channels
HTTP_OK = {"lib.portal.client", "lib.channels"}
HTTP_LIBRARIES = ("requests", "urllib3", "httpx", "apprise", "http.client", "urllib.request")


def test_only_the_client_and_the_channels_talk_http() -> None:
    talking = {module_name(path, ROOT) for path in ROOT.glob("lib/**/*.py")
               if any(u == lib or u.startswith(lib + ".") for u in imports(path, ROOT) for lib in HTTP_LIBRARIES)}
    assert talking == HTTP_OK


def test_every_package_says_its_job() -> None:
    for name in RANKS:
        init = ROOT / "lib" / name / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 60, f"lib/{name}/__init__.py should say what the package is for"
    assert {p.name for p in (ROOT / "lib").iterdir() if p.is_dir() and p.name != "__pycache__"} == set(RANKS)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for name in RANKS:
        (tmp_path / "lib" / name).mkdir(parents=True, exist_ok=True)
        (tmp_path / "lib" / name / "__init__.py").touch()
    (tmp_path / "lib" / "__init__.py").touch()
    return tmp_path


#: a made-up tree that breaks one rule (file: source, separated by " | "), and the sentence that says so
BROKEN = """
lib/jobs/eta.py: from lib.views.status import Level | lib/views/status.py: Level = 1
=> lib.jobs.eta (jobs, rank 2) imports lib.views.status (views, rank 5): a step up or sideways
lib/portal/client.py: from lib.settings import config | lib/settings/config.py:
=> lib.portal.client (portal, rank 1) imports lib.settings.config (settings, rank 1): a step up or sideways
lib/views/charts.py: import streamlit as st
=> lib.views.charts imports streamlit (only lib/ui, app.py and app_pages may)
lib/jobs/a.py: from lib.jobs import b | lib/jobs/b.py: from lib.jobs.a import x
=> import cycle: lib.jobs.a -> lib.jobs.b -> lib.jobs.a
lib/text.py: from lib.jobs.phases import Phase | lib/jobs/phases.py:
=> lib.text (a root helper) imports lib.jobs.phases: helpers stand on nothing in lib/
simulator/x.py: from streamlit import runtime
=> simulator.x imports streamlit (only lib/ui, app.py and app_pages may)
"""


def _cases() -> list[tuple[dict[str, str], str]]:
    lines = BROKEN.strip().splitlines()
    return [({name: source.strip() + "\n" for name, _, source in (f.partition(":") for f in tree.split(" | "))},
             said.removeprefix("=> ")) for tree, said in zip(lines[::2], lines[1::2], strict=True)]


@pytest.mark.parametrize(("files", "expected"), _cases())
def test_a_broken_rule_is_caught(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    assert violations(_tree(tmp_path, files)) == [expected]


def test_a_type_checking_import_counts(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"lib/db/store.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                               "    from lib.watching.watcher import Watcher\n",
                            "lib/watching/watcher.py": ""})
    assert len(violations(root)) == 1


@pytest.mark.parametrize("source", [Watcher, DatabaseReader])
def test_both_sources_provide_what_a_page_reads(source: type) -> None:
    """The watcher and the database reader answer every question of :class:`Source` with the same names."""
    import inspect

    wanted = {n for n in dir(Source) if not n.startswith("_")}
    for name in wanted - {"store", "notifier"}:
        assert hasattr(source, name), f"{source.__name__} has no {name}"
        protocol, theirs = getattr(Source, name), getattr(source, name)
        if callable(protocol):
            asked = set(inspect.signature(protocol).parameters)
            assert asked <= set(inspect.signature(theirs).parameters), f"{source.__name__}.{name}"
