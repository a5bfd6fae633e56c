"""``python -m lib.watch``: the headless watcher's old address, kept for service files that run it.
Everything lives in :mod:`lib.watching.cli`; this entry point also hands it the weekly summary's content
(:func:`lib.views.digest.compose`), which the watching layer may not import itself."""

import sys
from typing import Any

from lib.watching.cli import main


def compose(*args: Any) -> Any:
    """Imported when a summary is due, not at start: the views' modules take a moment to load."""
    from lib.views.digest import compose as digest

    return digest(*args)


if __name__ == "__main__":
    sys.exit(main(compose=compose))
