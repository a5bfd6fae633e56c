"""The one way settings can be wrong: a sentence naming the key and what is wrong with it."""

from __future__ import annotations

from lib.i18n import Msg


class ConfigError(Exception):
    """The app's secrets are wrong: ``said`` names the key and what is wrong with it, in the reader's
    language; ``message`` is the same in English (the headless watcher's log)."""

    def __init__(self, said: Msg):
        self.said = said
        self.message = str(said)
        super().__init__(self.message)
