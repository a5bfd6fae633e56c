"""The wire format: what a DocSpace portal puts on the wire, and how it reads request bodies.

Everything here is a pure function of its arguments, so the engine decides *what* happened and this
module decides only *how it looks* (reference §2, §3, §6).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

JSON = "application/json; charset=utf-8"
PROBLEM = "application/problem+json; charset=utf-8"
#: a DateTime.MinValue, which the server writes for "never" (no zone)
NEVER = "0001-01-01T00:00:00"
SKIPPED_WARNING = "Some files were not included in the backup. For more details, please check backup.log"
#: BackupStorageType names, "Thridparty" sic (the server's spelling)
STORAGE_LABELS = ("Documents", "ThridpartyDocuments", "CustomCloud", "Local", "DataStore", "ThirdPartyConsumer")
_STORAGE_NAMES = tuple(name.lower() for name in STORAGE_LABELS)
TENANT_NAMES = ("Active", "Suspended", "RemovePending", "Transfering", "Restoring", "Migrating", "Encryption")
_HRESULT = {"System.ArgumentException": -2147024809, "System.Security.SecurityException": -2146233078,
            "System.IO.FileNotFoundException": -2147024894}


@dataclass
class Reply:
    """An answer before it is written, so faults like ``stall-body`` can send just part of it."""

    code: int
    body: bytes = b""
    ctype: str | None = None
    headers: dict[str, str] | None = None


def stamp(moment: datetime) -> str:
    """DocSpace datetimes: no zone, meaning UTC."""
    return f"{moment:%Y-%m-%dT%H:%M:%S}"


def record(record_id: str, file_name: str, created: datetime, storage: int,
           expires: datetime | None = None) -> dict[str, Any]:
    """A BackupHistoryRecord; ``expiresOn`` is "never" except for temporary (DataStore) files."""
    return {"id": record_id, "fileName": file_name, "storageType": storage, "createdOn": stamp(created),
            "expiresOn": stamp(expires) if expires else NEVER}


def json_reply(code: int, data: Any, ctype: str = JSON) -> Reply:
    return Reply(code, json.dumps(data, ensure_ascii=False).encode(), ctype)


def envelope_body(response: Any, *, href: str, method: str, odd: bool = False) -> dict[str, Any]:
    """SuccessApiResponse: no ``response`` key when null; count = list length, 1, or 0."""
    count = 0 if response is None else len(response) if isinstance(response, list) else 1
    body: dict[str, Any] = {} if response is None else {"response": response}
    if odd:  # a total nobody asked for, and no links
        body.update(count=count, total=count, status=0, statusCode=200)
    else:
        body.update(count=count, links=[{"href": href, "action": method}], status=0, statusCode=200)
    return body


def envelope(response: Any, *, href: str, method: str, odd: bool = False) -> Reply:
    return json_reply(200, envelope_body(response, href=href, method=method, odd=odd))


def error(code: int, message: str, etype: str | None) -> Reply:
    """The ErrorApiResponse of an exception thrown inside an action (withStackTrace unless 401)."""
    detail: dict[str, Any] = {"message": message, "type": etype,
                              "stack": f"   at ASC.Data.Backup.BackupService ({etype})" if etype else None,
                              "hresult": _HRESULT.get(etype or "", -2146233088) if etype else 0}
    return json_reply(code, {"error": detail, "status": 1, "statusCode": code})


def not_found() -> Reply:
    """An unknown path: the ItemNotFound envelope (a custom exception, so the generic HRESULT)."""
    return error(404, "The requested resource was not found", "ASC.Common.Web.ItemNotFoundException")


def problem(field: str, text: str) -> Reply:
    """The automatic 400 of [ApiController] model binding: RFC 7807, not the DocSpace envelope."""
    return json_reply(400, {"type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                            "title": "One or more validation errors occurred.", "status": 400,
                            "errors": {field: [text]},
                            "traceId": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-00"}, PROBLEM)


# ---------------------------------------------------------------- what requests send


def bad_dump(query: dict[str, str]) -> Reply | None:
    """``Dump``/``dump``: true/false in any case (on this SaaS-like portal true acts as false)."""
    raw = query.get("dump")
    if raw is None or raw.lower() in ("true", "false"):
        return None
    return problem("Dump", f"The value '{raw}' is not valid.")


def start_request(raw: bytes) -> tuple[dict[str, Any], int, dict[str, str]] | Reply:
    """(body, storage type, storage params) of a start request, or the model-binding 400."""
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return problem("$", "The JSON value could not be parsed.")
    if not isinstance(data, dict):
        return problem("$", "The JSON value could not be converted to the request type.")
    storage = storage_type(data.get("storageType"))
    parsed = params(data.get("storageParams"))
    if storage is None:
        return problem("storageType", "The JSON value could not be converted to BackupStorageType.")
    if parsed is None:
        return problem("storageParams", "The JSON value could not be converted to a key/value list.")
    return data, storage, parsed


def storage_type(value: Any) -> int | None:
    """BackupStorageType as the server's JsonStringEnumConverter reads it: number, numeric text or name."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            value = int(text)
        elif text.lower() in _STORAGE_NAMES:
            return _STORAGE_NAMES.index(text.lower())
        else:
            return None
    if isinstance(value, int) and 0 <= value < len(_STORAGE_NAMES):
        return value
    return None


def params(value: Any) -> dict[str, str] | None:
    """storageParams: a list of {key, value}; None when it is not one."""
    if value is None:
        return {}
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        return None
    return {str(item.get("key")): "" if item.get("value") is None else str(item.get("value"))
            for item in value}


# ---------------------------------------------------------------- odd but legal


def odd_progress(p: dict[str, Any]) -> dict[str, Any]:
    """Legal but odd: enum names, a float percentage, unknown keys, no status/taskId."""
    out: dict[str, Any] = {"isCompleted": p["isCompleted"], "progress": float(p["progress"]),
                           "error": p["error"]}
    if p["backupProgressEnum"] == 0:
        out["warning"] = p.get("warning") or SKIPPED_WARNING
        out["link"] = p["link"]
    out.update(tenantId=p["tenantId"],
               backupProgressEnum=("Backup", "Restore", "Transfer")[p["backupProgressEnum"]],
               percentage=float(p["progress"]), somethingNew={"introducedIn": "9.9"})
    return out


def odd_record(r: dict[str, Any]) -> dict[str, Any]:
    """A history record with its enum as a name, zoned datetimes and an extra ``size``."""
    expires = r["expiresOn"] if r["expiresOn"] == NEVER else r["expiresOn"] + ".0000000+00:00"
    return {"id": r["id"], "fileName": r["fileName"],
            "storageType": STORAGE_LABELS[r["storageType"]],
            "createdOn": r["createdOn"] + "Z", "expiresOn": expires, "size": 123_456_789}


def odd_schedule(s: dict[str, Any]) -> dict[str, Any]:
    """A schedule with enum names, a missing ``day`` and ``backupsStored``, and a new null key."""
    return {"storageType": "Documents", "storageParams": s["storageParams"],
            "cronParams": {"period": "EveryDay", "hour": 2}, "lastBackupTime": s["lastBackupTime"] + "Z",
            "dump": False, "nextBackupTime": None}


def odd_settings(s: dict[str, Any]) -> dict[str, Any]:
    """Settings with the tenant status as a name and a flag nobody knows."""
    return {**s, "tenantStatus": TENANT_NAMES[s["tenantStatus"]], "unknownFlag": True}
