"""What the watcher last knew about one endpoint, as JSON for the database, and back.

An app that only reads (``[history] watcher = "external"``, or a second replica) rebuilds the same
timeline a watching app holds in memory: the operation's change points come from the ``points``
table; this adds the rest (the last answer, the last failure, when it last checked). The watcher
writes it when something changed (the headless one also once a minute), never once per poll.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from lib.i18n import Msg
from lib.jobs.phases import Phase
from lib.jobs.timeline import Point, Problem, Run, Timeline
from lib.portal.errors import Category
from lib.portal.models import BackupFile, BackupsAnswer, Operation, Period, Progress, Schedule, StorageType, TaskStatus

#: an idle spell's points are kept in the state (they belong to no operation); the newest this many
IDLE_POINTS = 20


def key(portal: str, kind: str, scope: str) -> str:
    return f"{portal}:{kind}:{scope}"


def timeline_state(timeline: Timeline, stored: bool) -> dict[str, Any]:
    """The head of a timeline; its points too when they are in no stored operation (an idle spell)."""
    return {
        "run_id": timeline.run_id, "polls": timeline.polls, "last_poll_at": timeline.last_poll_at,
        "last_ok_at": timeline.last_ok_at, "failures": timeline.failures,
        "progress": None if timeline.last_progress is None else _progress_json(timeline.last_progress),
        "problem": None if timeline.last_problem is None else problem_json(timeline.last_problem),
        "points": None if stored else [_point_json(p) for p in timeline.points[-IDLE_POINTS:]],
    }


def signature(state: dict[str, Any]) -> tuple[Any, ...]:
    """What makes a new state worth writing at once (anything else waits for the minute)."""
    problem = state["problem"]
    return (state["run_id"], state["failures"] > 0, problem and problem["label"], state["progress"],
            None if state["points"] is None else len(state["points"]))


def rebuild(operation: Operation, state: dict[str, Any] | None, points: list[Point], runs: list[Run]) -> Timeline:
    """The timeline a watching app would hold, from the stored points and the state."""
    if state is None:
        timeline = Timeline(operation)
        timeline.runs.extend(runs)
        return timeline
    own = points if state["points"] is None else [_point(p) for p in state["points"]]
    timeline = Timeline.resume(operation, state["run_id"], own, runs)
    timeline.polls = state["polls"]
    timeline.last_poll_at = state["last_poll_at"]
    timeline.last_ok_at = state["last_ok_at"]
    timeline.failures = state["failures"]
    timeline.last_progress = None if state["progress"] is None else _progress(state["progress"])
    timeline.last_problem = None if state["problem"] is None else problem_from(state["problem"])
    return timeline


def backups_state(history: list[BackupFile], schedule: Schedule | None) -> dict[str, Any]:
    return {"history": [_record_json(r) for r in history],
            "schedule": None if schedule is None else _schedule_json(schedule)}


def backups_from(state: dict[str, Any]) -> BackupsAnswer:
    history = [BackupFile(r["id"], r["file_name"], StorageType(r["storage_type"]),
                             datetime.fromisoformat(r["created_on"]),
                             datetime.fromisoformat(r["expires_on"]) if r["expires_on"] else None)
               for r in state["history"]]
    s = state["schedule"]
    schedule = None if s is None else Schedule(
        Period(s["period"]), s["hour"], s["day"], StorageType(s["storage_type"]), s["backups_stored"],
        datetime.fromisoformat(s["last_backup_time"]) if s["last_backup_time"] else None, s["dump"])
    return BackupsAnswer(history, schedule)


# ---------------------------------------------------------------- values <-> JSON


def _progress_json(p: Progress) -> dict[str, Any]:
    return asdict(p) | {"operation": int(p.operation), "status": int(p.status)}


def _progress(d: dict[str, Any]) -> Progress:
    return Progress(**(d | {"operation": Operation(d["operation"]), "status": TaskStatus(d["status"])}))


def problem_json(p: Problem) -> dict[str, Any]:
    return asdict(p) | {"category": p.category.value, "message": p.message.to_json()}


def problem_from(d: dict[str, Any]) -> Problem:
    message = d["message"]
    return Problem(**(d | {"category": Category(d["category"]),
                           "message": Msg.from_json(message) if isinstance(message, dict) else Msg(message)}))


def _point_json(p: Point) -> dict[str, Any]:
    return {"at": p.at, "percent": p.percent, "phase": p.phase.value, "tenant_id": p.tenant_id, "error": p.error,
            "task_id": p.task_id, "problem": None if p.problem is None else problem_json(p.problem)}


def _point(d: dict[str, Any]) -> Point:
    return Point(d["at"], d["percent"], Phase(d["phase"]), d["tenant_id"], d["error"], d["task_id"],
                 None if d["problem"] is None else problem_from(d["problem"]))


def _record_json(r: BackupFile) -> dict[str, Any]:
    return {"id": r.id, "file_name": r.file_name, "storage_type": int(r.storage_type),
            "created_on": r.created_on.isoformat(), "expires_on": r.expires_on.isoformat() if r.expires_on else None}


def _schedule_json(s: Schedule) -> dict[str, Any]:
    return {"period": int(s.period), "hour": s.hour, "day": s.day, "storage_type": int(s.storage_type),
            "backups_stored": s.backups_stored, "dump": s.dump,
            "last_backup_time": s.last_backup_time.isoformat() if s.last_backup_time else None}
