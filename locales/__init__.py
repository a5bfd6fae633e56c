"""The app's translations: one gettext catalogue per language (``<lang>/LC_MESSAGES/messages.po``), the
template they are made from (``messages.pot``), and the command that keeps them in step with the code
(``python -m locales.catalog``)."""
