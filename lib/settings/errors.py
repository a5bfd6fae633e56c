"""The one way settings can be wrong: a sentence naming the key and what is wrong with it."""


class ConfigError(Exception):
    """The app's secrets are wrong; ``message`` names the key and what is wrong with it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
