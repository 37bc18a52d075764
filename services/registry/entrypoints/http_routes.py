"""Public certificate pages: GET /certificates/{id} (printable HTML) and /certificates/{id}.json."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse

from carbon_runtime.transport.blocking import in_thread
from services.registry.adapters.read_model import RegistryReadModel
from services.registry.domain.certificates import render_certificate_html


def add_certificate_routes(app: FastAPI, reads: RegistryReadModel) -> None:
    def _missing(certificate_id: str) -> dict[str, Any]:
        return {"error": {"code": "NOT_FOUND", "message": f"certificate {certificate_id} does not exist"}}

    # Registered before the HTML route: "{certificate_id}" would otherwise also match "X.json".
    @app.get("/certificates/{certificate_id}.json")
    async def certificate_json(certificate_id: str) -> JSONResponse:
        body = await in_thread(reads.certificate, certificate_id)
        if body is None:
            return JSONResponse(_missing(certificate_id), status_code=404)
        return JSONResponse(body)

    @app.get("/certificates/{certificate_id}")
    async def certificate_html(certificate_id: str) -> HTMLResponse:
        body = await in_thread(reads.certificate, certificate_id)
        if body is None:
            return HTMLResponse("<!DOCTYPE html><title>Not found</title><p>No such certificate.</p>", status_code=404)
        return HTMLResponse(render_certificate_html(body))
