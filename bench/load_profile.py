"""Where a tick's server CPU goes: a summary of py-spy's collapsed stacks (``--format raw``).

    pip install py-spy   # a profiling tool; not one of the project's requirements
    python -m bench.load --viewers 30 --seconds 60 --server-arg=--runner.postScriptGC=false --profile /tmp/ticks.txt
    python -m bench.load_profile /tmp/ticks.txt

Prints the share of on-CPU samples that fall into each category (inclusive: a sample counts for every
category whose frame is on its stack, so the shares overlap), then the top functions by inclusive and
by self time. Categories are matched on ``function (file)`` frames, outermost match first.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (label, pattern on a "function (path:line)" frame); a frame may be in several
CATEGORIES: tuple[tuple[str, str | None], ...] = (
    ("script runs (ScriptRunner._run_script: all of a tick's own work)", r"(^|\.)_run_script \(.*script_runner\.py"),
    ("  the fragment's body (ui.progress.progress_page.live)", r"(^|\.)live \(lib/ui/progress\.py"),
    ("    building the figure (views.charts.timeline_figure)", r"(^|\.)timeline_figure \(lib/views/charts\.py"),
    ("    st.plotly_chart (marshalling, incl. plotly's to_json)",
     r"(^|\.)plotly_chart \(streamlit/elements/plotly_chart\.py"),
    ("    plotly validation (basevalidators, BaseFigure/BasePlotlyType)",
     r"\((_plotly_utils/basevalidators|plotly/basedatatypes|plotly/validator_cache|plotly/validators/)"),
    ("    JSON of the figure (to_json, json, orjson)",
     r"(^|\.)(to_json|to_json_plotly|to_typed_array_spec|dumps|encode|iterencode|clean_to_json_compatible) \("),
    ("    describe() (lib.views.status)", r"(^|\.)describe \(lib/views/status\.py"),
    ("    the view, built once per poll (lib.views.progress)", r"(^|\.)live_view \(lib/views/progress\.py"),
    ("    other elements (lib/ui/progress _draw_status, _details; the footer)", r"(^|\.)(_draw_status|_details|"
     r"footer|set_tab_title) \((lib/ui/progress|lib/views/rhythm|lib/ui/state)\.py"),
    ("    sending: enqueue, ForwardMsg hash (deterministic serialise + md5)",
     r"(^|\.)(_enqueue|enqueue|populate_hash_if_needed) \("),
    ("  app.py and the page script before the fragment", r"^<module> \((/.*)?(app\.py|app_pages/)"),
    ("  copy.deepcopy", r"^deepcopy \("),
    ("  session state: widget states in / stale widgets out", r"(^|\.)(on_script_will_rerun|on_script_finished|"
     r"set_widgets_from_proto|_remove_stale_widgets|_reset_triggers) \("),
    ("post-script gc.collect (runner.postScriptGC)", None),  # the line of gc.collect(2), found below
    ("protobuf serialisation (SerializeToString)", r"SerializeToString"),
    ("event loop thread (asyncio: websocket I/O, message queue)", r"(^|\.)run_forever \(asyncio/"),
    ("starting a thread for each script run (Thread.start)", r"(^|\.)Thread\.start \(threading\.py"),
)
#: leaf frames where a thread waits; py-spy without ``--gil`` may count them as running
WAITING = re.compile(r"(^|\.)(select|sleep|wait|_wait_for_tstate_lock|get) \((selectors|threading|queue)\.py|"
                     r"task \(streamlit/watcher/polling_path_watcher\.py")
_FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^()]*)\)$")


def load(path: Path) -> Counter:
    """Collapsed stacks with their counts, frames shortened, waiting leaves dropped."""
    stacks: Counter = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            frames = [_short(f) for f in stack.split(";")]
            if not WAITING.search(frames[-1]):
                stacks[";".join(frames)] += int(count)
    return stacks


def summary(stacks: Counter, top: int = 25) -> str:
    total = sum(stacks.values()) or 1
    lines = [f"{total} on-CPU samples", "", "| category | % of samples |", "|---|---|"]
    compiled = [(label, re.compile(pattern or _gc_frame())) for label, pattern in CATEGORIES]
    for label, pattern in compiled:
        hits = sum(n for stack, n in stacks.items() if any(pattern.search(f) for f in stack.split(";")))
        lines.append(f"| {label} | {100 * hits / total:.1f} |")
    inclusive: Counter = Counter()
    own: Counter = Counter()
    for stack, n in stacks.items():
        frames = [_no_line(f) for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    for title, counter in (("inclusive", inclusive), ("self", own)):
        lines += ["", f"| top functions, {title} | % |", "|---|---|"]
        lines += [f"| {frame} | {100 * n / total:.1f} |" for frame, n in counter.most_common(top)]
    return "\n".join(lines)


def focus(stacks: Counter, name: str, top: int = 15) -> str:
    """What a function spends its samples on (its direct callees) and who calls it."""
    total = sum(stacks.values()) or 1
    pattern = re.compile(rf"(^|\.){re.escape(name)} \(")
    callees: Counter = Counter()
    callers: Counter = Counter()
    inside = 0
    for stack, n in stacks.items():
        frames = [_no_line(f) for f in stack.split(";")]
        hits = [i for i, f in enumerate(frames) if pattern.search(f)]
        if not hits:
            continue
        inside += n
        first, last = hits[0], hits[-1]  # outermost caller, innermost callee (recursion counted once)
        callers[frames[first - 1] if first else "(thread root)"] += n
        callees[frames[last + 1] if last + 1 < len(frames) else "(self)"] += n
    lines = [f"{name}: {100 * inside / total:.1f}% of all samples", "", "| calls | % of all samples |", "|---|---|"]
    lines += [f"| {frame} | {100 * n / total:.1f} |" for frame, n in callees.most_common(top)]
    lines += ["", "| called from | % of all samples |", "|---|---|"]
    lines += [f"| {frame} | {100 * n / total:.1f} |" for frame, n in callers.most_common(top)]
    return "\n".join(lines)


def _gc_frame() -> str:
    """The frame py-spy shows while Streamlit's post-run ``gc.collect(2)`` runs (a C call: its caller's line)."""
    import streamlit.runtime.scriptrunner.script_runner as runner

    lines = Path(runner.__file__).read_text().splitlines()
    number = next((i + 1 for i, line in enumerate(lines) if "gc.collect(2)" in line), 0)
    return rf"(^|\.)_on_script_finished \(.*script_runner\.py:{number}\)$"


def _short(frame: str) -> str:
    """``function (…/site-packages/pkg/mod.py:12)`` → ``function (pkg/mod.py:12)``; the app's own
    files relative to the project."""
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "/lib/python3.11/", str(ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match['func']} ({path})"


def _no_line(frame: str) -> str:
    return re.sub(r":\d+\)$", ")", frame)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load_profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile", type=Path, help="py-spy record --format raw output")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--focus", action="append", default=[], metavar="FUNCTION",
                        help="also show what FUNCTION (e.g. deepcopy, live, _run_once) calls and who calls it")
    args = parser.parse_args(argv)
    stacks = load(args.profile)
    print(summary(stacks, args.top))
    for name in args.focus:
        print("\n" + focus(stacks, name, args.top))


if __name__ == "__main__":
    main()
