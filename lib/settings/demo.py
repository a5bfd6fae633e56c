"""Demo mode: simulated portals started in-process, so a fresh `streamlit run app.py` shows a live restore."""

from __future__ import annotations

import secrets as random_secrets
from dataclasses import replace

from lib.i18n import N_, Msg
from lib.settings.config import AppConfig, PortalConfig
from simulator import Options, Simulator

#: (name, label, scenario, speed): the restore finishes in about a minute, the backup in about two
DEMO_PORTALS = (
    ("demo", N_("Demo portal (restoring)"), "restore", 10.0),
    ("demo-backup", N_("Demo portal (backing up)"), "backup", 2.5),
    ("demo-overdue", N_("Demo portal (backup overdue)"), "overdue", 1.0),
)
#: a portal's past beyond its job: the overdue one has three weeks of audit trail and a list that keeps 3 files,
#: so its strip shows weeks of backups the app never saw, from DocSpace's audit trail
DEMO_PAST = {"demo-overdue": Options(days=21, keep_files=3)}


class Demo:
    """Simulated portals on loopback, each with its own random API key."""

    def __init__(self) -> None:
        self.simulators: dict[str, Simulator] = {}
        portals = []
        for name, label, scenario, speed in DEMO_PORTALS:
            key = "sk-" + random_secrets.token_hex(32)
            sim = Simulator(scenario, speed=speed, api_key=key, options=DEMO_PAST.get(name))
            url = sim.start()
            self.simulators[name] = sim
            portals.append(PortalConfig(name=name, url=url, label=label, api_key=key, said=Msg(label)))
        self.portals = tuple(portals)

    def config(self, base: AppConfig) -> AppConfig:
        return replace(base, portals=self.portals, refresh_seconds=min(base.refresh_seconds, 3.0), demo=True)

    def restart(self, name: str) -> None:
        """Start the portal's job again from 0 (a new task id)."""
        sim = self.simulators.get(name)
        if sim is not None:
            sim.set_scenario(sim.scenario)

    def stop(self) -> None:
        for sim in self.simulators.values():
            sim.stop()
