"""Plain HTTP downloads next to /graphql: disclosure reports as CSV, JSON or printable HTML (same access
rules as the GraphQL field, bearer token in the Authorization header) and the public statistics page."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from carbon_runtime.errors import DomainError, ErrorCode
from carbon_runtime.messaging.bus import MessageBus
from carbon_runtime.transport.auth import TokenVerifier
from carbon_runtime.transport.blocking import in_thread
from services.reporting.domain import disclosure
from services.reporting.domain.commands import GenerateDisclosureReport
from services.reporting.entrypoints.graphql.mappers import actor
from services.reporting.service.queries import ReportQueries

_HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.INVALID_ARGUMENT: 400,
    ErrorCode.FAILED_PRECONDITION: 409,
    ErrorCode.INSUFFICIENT_BALANCE: 409,
    ErrorCode.CONFLICT: 409,
    ErrorCode.UNAVAILABLE: 503,
}

_FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "html": "text/html; charset=utf-8",
}


def _error(err: DomainError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if err.code is ErrorCode.UNAUTHENTICATED else None
    return JSONResponse(
        {"error": {"code": err.code.value, "reason": err.reason, "message": err.message}},
        status_code=_HTTP_STATUS[err.code],
        headers=headers,
    )


def safe_filename(name: str) -> str:
    """A Content-Disposition filename from caller-chosen parts (the organization id is a path
    segment): only letters, digits, dot, dash and underscore survive, so no quote, semicolon, CR/LF
    or path separator can inject header parameters or a path."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:150]
    return cleaned.lstrip(".") or "report"


def add_routes(app: FastAPI, bus: MessageBus[Any], queries: ReportQueries, verifier: TokenVerifier) -> None:
    @app.get("/reports/disclosure/{organization_id}/{year_and_format}")
    async def disclosure_download(organization_id: str, year_and_format: str, request: Request) -> Response:
        year_text, _, fmt = year_and_format.partition(".")
        if fmt not in _FORMATS or not year_text.isdigit():
            return _error(
                DomainError(
                    ErrorCode.INVALID_ARGUMENT,
                    "UNSUPPORTED_REPORT_FORMAT",
                    "use /reports/disclosure/{organizationId}/{year}.csv, .json or .html",
                )
            )
        try:
            principal = await verifier.from_authorization_async(request.headers.get("authorization"))
            cmd = GenerateDisclosureReport(actor(principal), organization_id, int(year_text))
            report: disclosure.DisclosureReport = await in_thread(bus.handle, cmd)
        except DomainError as err:
            return _error(err)
        filename = safe_filename(f"disclosure-{organization_id}-{year_text}.{fmt}")
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'} if fmt != "html" else {}
        body = {
            "csv": disclosure.render_csv,
            "json": disclosure.render_json,
            "html": disclosure.render_html,
        }[fmt](report)
        # Reports name who used which credits: never cached by shared caches.
        headers["Cache-Control"] = "private, no-store"
        return Response(body, media_type=_FORMATS[fmt], headers=headers)

    @app.get("/statistics")
    async def statistics_page() -> Response:
        try:
            page = await in_thread(queries.statistics_html)
        except DomainError as err:
            return _error(err)
        return HTMLResponse(page, headers={"Cache-Control": "public, max-age=60"})
