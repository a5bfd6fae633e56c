"""Restore progress: is a restore running, how far, which phase, since when, how long left, did it fail."""

from lib.portal.models import Operation
from lib.ui import progress, state

progress.progress_page(state.context(), Operation.RESTORE)
