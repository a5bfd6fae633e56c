"""Backup progress: the same live view for a backup, with the download link when it is done."""

from lib.models import Operation
from lib.ui import live, state

live.progress_page(state.context(), Operation.BACKUP)
