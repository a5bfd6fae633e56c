"""Restore progress: is a restore running, how far, which phase, since when, how long left, did it fail."""

from lib.models import Operation
from lib.ui import live, state

live.progress_page(state.context(), Operation.RESTORE)
