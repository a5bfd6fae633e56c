"""``python -m lib.watch``: the headless watcher's old address, kept for service files that run it.
Everything lives in :mod:`lib.watching.cli`."""

import sys

from lib.views.digest import compose
from lib.watching.cli import main

if __name__ == "__main__":
    sys.exit(main(compose=compose))
