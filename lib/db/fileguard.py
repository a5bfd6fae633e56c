"""Whether the SQLite file the store has open is still the one its path names.

A cleanup script or a redeploy that wipes the folder deletes the file while the app has it open: the app
would go on writing into the deleted file, unseen, and everything since would be gone at the next
start. The file's identity (device and inode) is kept when the store opens it, and looked at again at
most every :data:`EVERY` seconds.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from lib.i18n import M_, At, Msg

#: seconds between two looks at the file
EVERY = 1.0
#: for this long after, the pages say that a new file was started
SAY_FOR = 86_400.0
log = logging.getLogger(__name__)


class FileGuard:
    def __init__(self, url: str, every: float = EVERY):
        parsed = make_url(url)
        file = parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
        self.path = Path(parsed.database) if file and parsed.database else None
        self._every = every
        self._identity: tuple[int, int] | None = None
        self._looked = float("-inf")
        self._lock = threading.Lock()
        self.listeners: list[Callable[[], None]] = []  # told when a new file was started: they write what they know

    def remember(self) -> None:
        """The store has (re)opened the file: this one is the history from now on."""
        with self._lock:
            self._identity = self._now()
            self._looked = time.monotonic()

    def gone(self) -> bool:
        """True once when the path no longer names the file remembered (deleted, or replaced)."""
        if self.path is None or self._identity is None or time.monotonic() - self._looked < self._every:
            return False
        with self._lock:
            self._looked = time.monotonic()
            if self._identity is None or self._now() == self._identity:
                return False
            self._identity = None  # until the new file is opened
        with contextlib.suppress(OSError):  # the whole folder may be gone (a redeploy that wiped it)
            self.path.parent.mkdir(parents=True, exist_ok=True)
        return True

    def _now(self) -> tuple[int, int] | None:
        try:
            found = os.stat(self.path) if self.path is not None else None
        except OSError:
            return None
        return None if found is None else (found.st_dev, found.st_ino)

    def tell(self) -> None:
        log.warning("the history file %s was deleted while the app ran: a new one is started", self.path)
        for listener in list(self.listeners):
            listener()


def new_file_said(at: float, now: float) -> Msg | None:
    """For a day after a new file was started at ``at``: one sentence saying so, and when."""
    if now - at >= SAY_FOR:
        return None
    return M_("At {at} the history file was found deleted; a new one was started with what this app knew then "
              "(what was recorded before that is gone).", at=At(at))
