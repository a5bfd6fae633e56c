"""Backup progress: the same live view for a backup, with the download link when it is done."""

from lib.portal.models import Operation
from lib.ui import progress, state

progress.progress_page(state.context(), Operation.BACKUP)
