"""Bulk API 2.0 query jobs: create (the query is checked and its records taken at once), poll
(``InProgress`` on the first poll, then ``JobComplete``), results as CSV pages with the
``Sforce-Locator`` and ``Sforce-NumberOfRecords`` headers, abort and delete. Child subqueries are
refused, as Salesforce does; parent relationship fields become ``Rel__r.Field`` columns."""

from __future__ import annotations

import base64
import csv
import io
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..routes import Router
from ..web import Request, Response, empty, json_response
from .engine import Plan, plan
from .org import USER_ID, Record
from .rest import V
from .runtime import Context, json_body, rest, sf_error
from .schema import BULK_JOB_PREFIX
from .soql import SoqlError, parse
from .values import sf_datetime

if TYPE_CHECKING:
    from ..app import SandboxApp

JOB_ID = r"(?P<job_id>750[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)"
DELIMITERS = {
    "COMMA": ",",
    "TAB": "\t",
    "SEMICOLON": ";",
    "PIPE": "|",
    "CARET": "^",
    "BACKQUOTE": "`",
}
ENDINGS = {"LF": "\n", "CRLF": "\r\n"}


@dataclass
class Job:
    id: str
    operation: str
    sobject: str
    plan: Plan
    records: list[Record]
    created: str
    delimiter: str
    line_ending: str
    version: str
    state: str = "UploadComplete"
    polls: int = 0

    def info(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.sobject,
            "createdById": USER_ID,
            "createdDate": self.created,
            "systemModstamp": self.created,
            "state": self.state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.version),
            "jobType": "V2Query",
            "lineEnding": self.line_ending,
            "columnDelimiter": self.delimiter,
        }
        if self.state == "JobComplete":
            data.update(numberRecordsProcessed=len(self.records), retries=0, totalProcessingTime=42)
        return data


def register(router: Router) -> None:
    base = V + "/jobs/query"
    router.add("POST", base + "/?", rest(create), "maica.bulk")
    router.add("GET", base + "/?", rest(list_jobs), "maica.bulk")
    router.add("GET", base + f"/{JOB_ID}/?", rest(status), "maica.bulk")
    router.add("PATCH", base + f"/{JOB_ID}/?", rest(abort), "maica.bulk")
    router.add("DELETE", base + f"/{JOB_ID}/?", rest(delete), "maica.bulk")
    router.add("GET", base + f"/{JOB_ID}/results/?", rest(results), "maica.bulk")


def _invalid_job(message: str) -> Response:
    return sf_error(400, "INVALIDJOB", message)


def create(app: SandboxApp, request: Request, params: dict[str, str], ctx: Context) -> Response:
    body = json_body(request)
    if not isinstance(body, dict):
        return sf_error(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
    operation = body.get("operation")
    if operation not in ("query", "queryAll"):
        return _invalid_job("operation must be query or queryAll")
    delimiter = str(body.get("columnDelimiter") or "COMMA")
    ending = str(body.get("lineEnding") or "LF")
    if delimiter not in DELIMITERS or ending not in ENDINGS:
        return _invalid_job("columnDelimiter or lineEnding is not supported")
    text = body.get("query")
    if not isinstance(text, str) or not text.strip():
        return _invalid_job("query is required")
    state = app.state
    with state.lock:
        try:
            parsed = parse(text)
            if parsed.count:
                raise SoqlError("INVALIDJOB", "Bulk API 2.0 does not support COUNT() queries")
            compiled = plan(state.maica, parsed, allow_subqueries=False)
        except SoqlError as exc:
            return sf_error(
                400, "INVALIDJOB" if exc.code == "MALFORMED_QUERY" else exc.code, exc.message
            )
        job = Job(
            id=f"{BULK_JOB_PREFIX}{secrets.token_hex(8)[:12]}AAA",
            operation=str(operation),
            sobject=compiled.obj.name,
            plan=compiled,
            records=compiled.matching(),
            created=sf_datetime(state.now()),
            delimiter=delimiter,
            line_ending=ending,
            version=ctx.version,
        )
        app.maica.jobs[job.id] = job
        return json_response(200, job.info())


def _job(app: SandboxApp, job_id: str) -> Job | Response:
    job: Job | None = app.maica.jobs.get(job_id)
    if job is None:
        return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
    return job


def list_jobs(app: SandboxApp, request: Request, params: dict[str, str], ctx: Context) -> Response:
    with app.state.lock:
        jobs = [j.info() for j in app.maica.jobs.values()]
    return json_response(200, {"done": True, "records": jobs, "nextRecordsUrl": None})


def status(app: SandboxApp, request: Request, params: dict[str, str], ctx: Context) -> Response:
    with app.state.lock:
        job = _job(app, params["job_id"])
        if isinstance(job, Response):
            return job
        job.polls += 1
        if job.state == "UploadComplete":
            job.state = "InProgress"
        elif job.state == "InProgress":
            job.state = "JobComplete"
        return json_response(200, job.info())


def abort(app: SandboxApp, request: Request, params: dict[str, str], ctx: Context) -> Response:
    with app.state.lock:
        job = _job(app, params["job_id"])
        if isinstance(job, Response):
            return job
        body = json_body(request)
        if not isinstance(body, dict) or body.get("state") != "Aborted":
            return _invalid_job("a query job can only be set to Aborted")
        if job.state == "JobComplete":
            return _invalid_job("the job is already complete")
        job.state = "Aborted"
        return json_response(200, job.info())


def delete(app: SandboxApp, request: Request, params: dict[str, str], ctx: Context) -> Response:
    with app.state.lock:
        job = _job(app, params["job_id"])
        if isinstance(job, Response):
            return job
        del app.maica.jobs[job.id]
    return empty(204)


def _locator(offset: int) -> str:
    return base64.b64encode(str(offset).encode("ascii")).decode("ascii").rstrip("=")


def _offset(locator: str) -> int | None:
    try:
        text = base64.b64decode(locator + "=" * (-len(locator) % 4)).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def results(app: SandboxApp, request: Request, params: dict[str, str], ctx: Context) -> Response:
    with app.state.lock:
        job = _job(app, params["job_id"])
        if isinstance(job, Response):
            return job
        if job.state != "JobComplete":
            return _invalid_job(f"the job is not complete (state {job.state})")
        start = 0
        locator = request.arg("locator")
        if locator and locator != "null":
            found = _offset(locator)
            if found is None or found > len(job.records):
                return _invalid_job("invalid locator")
            start = found
        max_text = request.arg("maxRecords")
        size = len(job.records) - start
        if max_text:
            if not max_text.isdigit() or int(max_text) < 1:
                return _invalid_job("maxRecords must be a positive whole number")
            size = min(size, int(max_text))
        chunk = job.records[start : start + size]
        out = io.StringIO()
        writer = csv.writer(
            out,
            delimiter=DELIMITERS[job.delimiter],
            lineterminator=ENDINGS[job.line_ending],
            quoting=csv.QUOTE_ALL,
        )
        writer.writerow([f.column for f in job.plan.fields])
        for record in chunk:
            writer.writerow([_cell(v) for v in job.plan.flat(record)])
        end = start + len(chunk)
        next_locator = _locator(end) if end < len(job.records) else "null"
    headers = {"Sforce-Locator": next_locator, "Sforce-NumberOfRecords": str(len(chunk))}
    return Response(200, out.getvalue().encode("utf-8"), headers, "text/csv; charset=utf-8")
