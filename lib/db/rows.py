"""Values as the history database keeps them, and back: change points, sentences kept as JSON (a
problem's message, a notification: read back as messages said in each reader's language), and the one
sentence saying why history is not being saved."""

from __future__ import annotations

import functools
import json
from typing import Any

from sqlalchemy import Connection, bindparam, update
from sqlalchemy.engine import make_url

from lib.db import schema
from lib.i18n import M_, Mn_, Msg
from lib.jobs.phases import Phase
from lib.jobs.timeline import Point, Problem
from lib.portal.errors import Category


def _why(exc: BaseException, url: str) -> Msg:
    """What is wrong with the database, in a few words (for a sentence about saving or reading history);
    never the password in the URL, never the exception's class name."""
    text, host = str(exc).lower(), make_url(url).host
    if "full" in text or "no space" in text:
        return M_("the disk is full")
    if "password" in text or "authentication" in text:
        return M_("{host} refused the user name or password", host=host) if host else \
            M_("the database refused the user name or password")
    if any(word in text for word in ("refused", "could not connect", "connection", "timeout", "unable to open",
                                     "closed", "terminat")):
        return M_("{host} is not reachable", host=host) if host else M_("the database file cannot be opened")
    return M_("the database reported an error ({error})", error=type(exc).__name__)


def why_not_saved(exc: BaseException, url: str, dropped: int = 0) -> Msg:
    """Why history is not being saved, in one sentence."""
    if isinstance(exc, schema.NewerSchema):
        return M_("History is not being saved: the history database was written by a newer version of this "
                  "app (schema {found}). Watching goes on; upgrade this app to keep the history.", found=exc.found)
    why = _why(exc, url)
    if dropped:
        return Mn_("History is not being saved: {why}. Watching goes on; what happens now is kept in memory and "
                   "written when the database is back ({n} oldest change could not be kept).",
                   "History is not being saved: {why}. Watching goes on; what happens now is kept in memory and "
                   "written when the database is back ({n} oldest changes could not be kept).",
                   dropped, why=why)
    return M_("History is not being saved: {why}. Watching goes on; what happens now is kept in memory and "
              "written when the database is back.", why=why)


def why_not_read(exc: BaseException, url: str) -> Msg:
    """Why the history cannot be read right now, in one sentence."""
    if isinstance(exc, schema.NewerSchema):
        return M_("The history cannot be read: the history database was written by a newer version of this app "
                  "(schema {found}); upgrade this app.", found=exc.found)
    return M_("The history cannot be read right now: {why}. Shown here is what this app read last; it tries again "
              "every few seconds.", why=_why(exc, url))


def stored_msg(text: str) -> Msg:
    """A sentence as the database keeps it: a message's JSON, or (written before languages) plain English."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    return Msg.from_json(data) if isinstance(data, dict) and "text" in data else Msg(text)


def point_row(operation_id: str, p: Point) -> dict[str, Any]:
    problem = p.problem
    return {"operation_id": operation_id, "at": p.at, "percent": p.percent, "phase": p.phase.value,
            "tenant_id": p.tenant_id, "error": p.error, "task_id": p.task_id,
            "problem_category": problem.category.value if problem else None,
            "problem_label": problem.label if problem else None,
            "problem_message": json.dumps(problem.message.to_json()) if problem else None,
            "problem_status": problem.status if problem else None}


def point_from(row: dict[str, Any]) -> Point:
    problem = None
    if row["problem_category"] is not None:
        problem = Problem(Category(row["problem_category"]), row["problem_label"] or "",
                          stored_msg(row["problem_message"] or ""), row["problem_status"])
    return Point(at=row["at"], percent=row["percent"], phase=Phase(row["phase"]), tenant_id=row["tenant_id"],
                 error=row["error"] or "", task_id=row["task_id"] or "", problem=problem)


def write_rows(conn: Connection, rows: dict[Any, list[dict[str, Any]]]) -> None:
    for stmt, params in rows.items():
        conn.execute(stmt, params)
    rows.clear()


@functools.cache
def running_update(keys: tuple[str, ...]) -> Any:
    """UPDATE of a running operation's ``keys``, built once per set of keys (the values are parameters)."""
    return (update(schema.operations)
            .where(schema.operations.c.id == bindparam("op_id"), schema.operations.c.outcome == "running",
                   schema.operations.c.last_seen <= bindparam("seen"))
            .values({k: bindparam(f"v_{k}") for k in keys}))
