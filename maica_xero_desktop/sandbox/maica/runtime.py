"""What the Maica org keeps in memory beside its records: armed faults, call counts, open query
cursors and Bulk API jobs; and the wrapper every REST handler goes through (session check,
whole-call faults, the daily budget, the ``Sforce-Limit-Info`` header)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..web import Request, Response, json_response
from .values import normalize_id

if TYPE_CHECKING:
    from ..app import SandboxApp
    from ..routes import Handler

ERRORS = (
    "INVALID_SESSION_ID",
    "REQUEST_LIMIT_EXCEEDED",
    "UNABLE_TO_LOCK_ROW",
    "FIELD_CUSTOM_VALIDATION_EXCEPTION",
    "INVALID_FIELD",
    "SERVER_ERROR",
)
#: errors that refuse single records inside a collection call (the rest refuse the whole call)
RECORD_LEVEL = frozenset({"UNABLE_TO_LOCK_ROW", "FIELD_CUSTOM_VALIDATION_EXCEPTION"})
ENDPOINTS = (
    "query",
    "composite",
    "upsert",
    "describe",
    "sobjects",
    "record",
    "token",
    "bulk",
    "revoke",
    "userinfo",
    "identity",
    "versions",
    "limits",
    "authorize",
    "*",
)
SESSION_INVALID = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
LIMIT_EXCEEDED = [
    {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
]
MESSAGES = {
    "UNABLE_TO_LOCK_ROW": "unable to obtain exclusive access to this record or 1 records: {id}",
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": "This record cannot be saved: a validation rule refused "
    "it (sandbox fault).",
    "INVALID_FIELD": "No such column on entity (sandbox fault). If you are attempting to use a "
    "custom field, be sure to append the '__c' after the custom field name.",
    "SERVER_ERROR": "An unexpected error occurred. Please include this ErrorId if you contact "
    "support: 1234567890-12345 (-1234567890)",
}


def sf_error(status: int, code: str, message: str, fields: list[str] | None = None) -> Response:
    """Salesforce's REST error body: a JSON list of ``{message, errorCode[, fields]}``."""
    item: dict[str, Any] = {"message": message, "errorCode": code}
    if fields is not None:
        item["fields"] = fields
    return json_response(status, [item])


def json_body(request: Request) -> Any:
    """The request's body parsed as JSON, or None when it is not JSON (each caller answers that
    as Salesforce does for its endpoint)."""
    try:
        return request.json()
    except ValueError:
        return None


#: the longest message a fault may carry (a test's hostile text; Salesforce's own are short)
MAX_MESSAGE = 100_000


def fault_message(error: str, record_id: str = "", message: str | None = None) -> str:
    """The fault's own message when the test gave one, else Salesforce's usual text."""
    return message if message is not None else MESSAGES[error].format(id=record_id)


def fault_response(error: str, record_id: str = "", message: str | None = None) -> Response:
    if message is not None and error not in ("INVALID_SESSION_ID", "REQUEST_LIMIT_EXCEEDED"):
        status = 500 if error == "SERVER_ERROR" else 400
        code = "UNKNOWN_EXCEPTION" if error == "SERVER_ERROR" else error
        return sf_error(status, code, message, [])
    if error == "INVALID_SESSION_ID":
        return json_response(401, SESSION_INVALID, {"WWW-Authenticate": "Token"})
    if error == "REQUEST_LIMIT_EXCEEDED":
        return json_response(403, LIMIT_EXCEEDED)
    if error == "SERVER_ERROR":
        return sf_error(500, "UNKNOWN_EXCEPTION", MESSAGES["SERVER_ERROR"])
    return sf_error(400, error, MESSAGES[error].format(id=record_id), [])


@dataclass
class SfFault:
    endpoint: str = "*"
    count: int = 1
    error: str | None = None
    drop: bool = False
    record_ids: list[str] = field(default_factory=list)
    #: the message Salesforce answers with (None: its usual text for ``error``)
    message: str | None = None

    def matches(self, endpoint: str) -> bool:
        return self.count > 0 and (
            self.endpoint in ("*", endpoint) or endpoint.startswith(self.endpoint + ".")
        )


def fault_from_spec(spec: dict[str, Any]) -> SfFault:
    count = int(spec.get("count", 1))
    if count < 1:
        raise ValueError("count must be at least 1")
    if "drop_response" in spec:
        endpoint = str(spec["drop_response"])
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}: use one of {', '.join(ENDPOINTS)}")
        return SfFault(endpoint, count, drop=True)
    error = spec.get("error")
    if error not in ERRORS:
        raise ValueError(f"error must be one of {', '.join(ERRORS)}")
    endpoint = str(spec.get("endpoint", "*"))
    if endpoint not in ENDPOINTS:
        raise ValueError(f"unknown endpoint {endpoint!r}: use one of {', '.join(ENDPOINTS)}")
    ids = spec.get("record_ids") or []
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ValueError("record_ids must be a list of strings")
    keys = [normalize_id(i) or i for i in ids]
    message = spec.get("message")
    if message is not None and (not isinstance(message, str) or len(message) > MAX_MESSAGE):
        raise ValueError(f"message must be a string of at most {MAX_MESSAGE} characters")
    return SfFault(endpoint, count, str(error), record_ids=keys, message=message)


class MaicaFaults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[SfFault] = []

    def add(self, fault: SfFault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def to_json(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(f) for f in self._faults]

    def _fire(self, fault: SfFault) -> None:
        fault.count -= 1
        if fault.count <= 0:
            self._faults.remove(fault)

    def take_call(self, endpoint: str, *, per_record: bool) -> SfFault | None:
        """A fault answering the whole call. ``per_record``: the call writes a collection, so
        record-level errors are left to :meth:`take_records`."""
        with self._lock:
            for fault in self._faults:
                if fault.drop or fault.error is None or not fault.matches(endpoint):
                    continue
                if fault.error in RECORD_LEVEL and (per_record or fault.record_ids):
                    continue
                self._fire(fault)
                return fault
        return None

    def take_records(self, endpoint: str, keys: list[str]) -> dict[str, tuple[str, str | None]]:
        """Record-level errors for the records of one call: key -> (error code, the fault's
        own message or None)."""
        hits: dict[str, tuple[str, str | None]] = {}
        with self._lock:
            for fault in list(self._faults):
                if fault.error not in RECORD_LEVEL or not fault.matches(endpoint):
                    continue
                chosen = [k for k in keys if not fault.record_ids or k in fault.record_ids]
                chosen = [k for k in chosen if k not in hits]
                if chosen:
                    for key in chosen:
                        hits[key] = (str(fault.error), fault.message)
                    self._fire(fault)
        return hits

    def take_drop(self, endpoint: str) -> bool:
        with self._lock:
            for fault in self._faults:
                if fault.drop and fault.matches(endpoint):
                    self._fire(fault)
                    return True
        return False


@dataclass
class Context:
    """One authenticated REST call."""

    version: str
    client_id: str


RestHandler = Callable[["SandboxApp", Request, dict[str, str], Context], Response]


class MaicaRuntime:
    def __init__(self) -> None:
        self.faults = MaicaFaults()
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()
        #: query locator -> cursor (see rest.py); bulk job id -> job (see bulk.py)
        self.cursors: dict[str, Any] = {}
        self.jobs: dict[str, Any] = {}

    def count(self, name: str) -> None:
        with self.lock:
            self.calls[name] += 1

    def reset(self) -> None:
        self.faults.clear()
        with self.lock:
            self.calls.clear()
            self.cursors.clear()
            self.jobs.clear()


def endpoint_of(request: Request) -> str:
    """The Maica endpoint name of a routed call (route names are ``maica.<name>``)."""
    return request.endpoint.removeprefix("maica.")


def bearer(request: Request) -> str:
    header = request.headers.get("Authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() not in ("bearer", "oauth") or not token.strip():
        return ""
    return token.strip()


def limit_header(app: SandboxApp) -> dict[str, str]:
    auth = app.state.maica_auth
    return {"Sforce-Limit-Info": f"api-usage={auth.used}/{auth.daily}"}


def rest(fn: RestHandler, *, per_record: bool = False, counted: bool = True) -> Handler:
    """A REST handler: count the call, answer an armed whole-call fault, check the session and
    the daily budget, run ``fn``, and add ``Sforce-Limit-Info`` to whatever it answers."""

    def handler(app: SandboxApp, request: Request, params: dict[str, str]) -> Response:
        name = endpoint_of(request)
        runtime = app.maica
        runtime.count(name)
        state = app.state
        fault = runtime.faults.take_call(name, per_record=per_record)
        if fault is not None and fault.error is not None:
            response = fault_response(fault.error, message=fault.message)
        else:
            with state.lock:
                session = state.maica_auth.session(bearer(request), state.now())
                allowed = session is not None and (
                    not counted or state.maica_auth.used < state.maica_auth.daily
                )
                if allowed and counted:
                    state.maica_auth.used += 1
                    state.mark_dirty()
            if session is None:
                response = json_response(401, SESSION_INVALID, {"WWW-Authenticate": "Token"})
            elif not allowed:
                response = json_response(403, LIMIT_EXCEEDED)
            else:
                version = params.get("version") or "61.0"
                response = fn(app, request, params, Context(version, str(session["client_id"])))
        response.headers.update(limit_header(app))
        return response

    return handler
