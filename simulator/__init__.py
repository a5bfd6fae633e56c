"""A faithful fake ONLYOFFICE DocSpace portal: the backup/restore endpoints and the audit trail, their odd
corners, and faults.

Demo mode, the tests and the benchmarks talk real HTTP to it over loopback, so every layer of the
dashboard (requests, timeouts, parsing, retries) is exercised the way a live portal would exercise it.
It follows ``shared/reference/docspace-backup-api.md``, whose section 10 is its checklist, and for the audit
trail and the schedule ``docs/_notes-audit.md``. Only the standard library is used, so it runs anywhere
the app runs:

    python -m simulator --port 8765 --scenario restore --speed 10 --api-key sk-...

The parts: ``engine`` (jobs as a function of the clock), ``past`` (the seeded scheduled runs, the files kept,
the schedule), ``trail`` (the audit trail endpoint), ``auth`` (who is asking), ``faults``, ``wire`` (what
goes on the wire), ``server`` (HTTP and the route table), ``portal`` (``Simulator``).
"""

from simulator.auth import LOGIN
from simulator.engine import (
    ALIAS,
    CANCEL_WARNING,
    DURATION,
    FAIL_TEXT,
    SCENARIO_HELP,
    SCENARIOS,
    VERSION,
    ManualClock,
    Options,
)
from simulator.faults import EXTRA_FAULTS, FAULT_HELP, FAULTS, LATIN1_TEXT, RUNNING_ERROR
from simulator.portal import Simulator
from simulator.wire import NEVER, SKIPPED_WARNING

__all__ = ["ALIAS", "CANCEL_WARNING", "DURATION", "EXTRA_FAULTS", "FAIL_TEXT", "FAULTS", "FAULT_HELP",
           "LATIN1_TEXT", "LOGIN", "NEVER", "RUNNING_ERROR", "SCENARIOS", "SCENARIO_HELP", "SKIPPED_WARNING", "VERSION",
           "ManualClock", "Options", "Simulator"]
