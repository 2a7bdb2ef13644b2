"""HTTP problem JSON (RFC 9457): the one error shape every REST client sees."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from medverse.errors import MedverseError

log = logging.getLogger("medverse.http")

PROBLEM_BASE = "https://medverse.dev/problems/"


def problem(status: int, code: str, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail, "code": code},
        status_code=status,
        media_type="application/problem+json",
    )


_HTTP_CODES = {
    400: "bad-request",
    401: "not-authenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "too-large",
    422: "invalid",
    429: "rate-limited",
}


def install(app: FastAPI) -> None:
    @app.exception_handler(MedverseError)
    async def _medverse(request: Request, exc: MedverseError) -> JSONResponse:
        if exc.status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc)
        return problem(exc.status, exc.code, exc.title, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
            parts.append(f"{where or 'body'}: {err.get('msg')}")
        return problem(422, "invalid", "Invalid input", "; ".join(parts))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        return problem(exc.status_code, code, str(exc.detail), str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "error", "Internal error", "an unexpected error occurred; it was logged")
