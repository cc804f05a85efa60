"""Errors as ``application/problem+json`` (RFC 9457), Japanese first, English second.

Every error body has ``title`` and ``status``, a ``code`` to branch on, ``detail_ja`` /
``detail_en`` (what the pages show) and, for bad input, ``errors``: one entry per
offending field with its own message. A user's mistake is a 4xx, never a 500:
input errors of the engine (`InputError`) are 422, a road network that cannot
answer (`RoutingError`) is 503, and only a bug is 500 (logged, with no detail out).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from dispatch.errors import InputError, RoutingError, SolverError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """What is wrong with one input field."""

    field: str
    message_ja: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message_ja": self.message_ja, "message_en": self.message_en}


class ApiProblem(Exception):
    """An error answer: raise it anywhere below a route."""

    def __init__(
        self,
        status: int,
        code: str,
        detail_ja: str,
        detail_en: str,
        *,
        errors: Sequence[FieldProblem] = (),
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail_en)
        self.status = status
        self.code = code
        self.detail_ja = detail_ja
        self.detail_en = detail_en
        self.errors = tuple(errors)
        self.extra = extra or {}
        self.headers = headers

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "about:blank",
            "title": HTTPStatus(self.status).phrase,
            "status": self.status,
            "code": self.code,
            "detail": f"{self.detail_ja} / {self.detail_en}",
            "detail_ja": self.detail_ja,
            "detail_en": self.detail_en,
        }
        if self.errors:
            out["errors"] = [e.as_dict() for e in self.errors]
        out.update(self.extra)
        return out

    def response(self) -> JSONResponse:
        return JSONResponse(
            self.body(), status_code=self.status, media_type=PROBLEM_JSON, headers=self.headers
        )


def invalid(*errors: FieldProblem, code: str = "invalid_input") -> ApiProblem:
    """422 naming each offending field."""
    ja = "; ".join(f"{e.field}: {e.message_ja}" for e in errors)
    en = "; ".join(f"{e.field}: {e.message_en}" for e in errors)
    return ApiProblem(422, code, ja, en, errors=errors)


def invalid_field(field: str, ja: str, en: str, *, code: str = "invalid_input") -> ApiProblem:
    """422 for one field."""
    return invalid(FieldProblem(field, ja, en), code=code)


def conflict(code: str, ja: str, en: str, **extra: Any) -> ApiProblem:
    """409: the request is fine but clashes with the state (expired hold, used key...)."""
    return ApiProblem(409, code, ja, en, extra=extra)


def not_found(what_ja: str, what_en: str, ident: object) -> ApiProblem:
    return ApiProblem(
        404, "not_found", f"{what_ja}「{ident}」が見つかりません", f"{what_en} {ident!r} not found"
    )


def forbidden(
    ja: str = "この操作の権限がありません", en: str = "your role may not do this"
) -> ApiProblem:
    return ApiProblem(403, "forbidden", ja, en)


def unauthorized(ja: str, en: str) -> ApiProblem:
    return ApiProblem(401, "unauthorized", ja, en, headers={"WWW-Authenticate": "Bearer"})


# -- request validation (pydantic) ------------------------------------------------------

_JA_BY_TYPE = {
    "missing": "必須項目です",
    "extra_forbidden": "この項目は使えません",
    "json_invalid": "JSON として読めません",
    "timezone_aware": "タイムゾーン付きの日時で指定してください",
    "string_too_short": "文字数が足りません",
    "string_too_long": "文字数が多すぎます",
    "string_pattern_mismatch": "形式が正しくありません",
    "greater_than": "値が小さすぎます",
    "greater_than_equal": "値が小さすぎます",
    "less_than": "値が大きすぎます",
    "less_than_equal": "値が大きすぎます",
    "enum": "選択肢にない値です",
    "literal_error": "選択肢にない値です",
    "too_short": "項目が足りません",
    "too_long": "項目が多すぎます",
    "finite_number": "有限の数を指定してください",
    "value_error": "値が正しくありません",
}


def _field_name(loc: Iterable[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _ja_message(kind: str) -> str:
    if kind in _JA_BY_TYPE:
        return _JA_BY_TYPE[kind]
    if kind.endswith(("_type", "_parsing")):
        return "形式が正しくありません"
    return "入力内容が正しくありません"


def validation_problem(exc: RequestValidationError) -> ApiProblem:
    """422 from FastAPI's request validation, one entry per field."""
    errors = [
        FieldProblem(
            _field_name(e.get("loc", ())),
            _ja_message(str(e.get("type", ""))),
            str(e.get("msg", "invalid")).removeprefix("Value error, "),
        )
        for e in exc.errors()
    ]
    return (
        invalid(*errors)
        if errors
        else invalid(FieldProblem("body", "入力が正しくありません", "invalid"))
    )


_STATUS_JA = {
    401: "ログインが必要です",
    403: "この操作の権限がありません",
    404: "見つかりません",
    405: "この操作はできません",
    406: "この形式では返せません",
    409: "ほかの変更と重なりました",
    413: "データが大きすぎます",
    415: "この形式は受け付けません",
}


def install_handlers(app: FastAPI) -> None:
    """Answer every error of `app` with a problem+json body."""

    @app.exception_handler(ApiProblem)
    async def _api_problem(_request: Request, exc: ApiProblem) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_problem(exc).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        phrase = HTTPStatus(exc.status_code).phrase
        en = exc.detail if isinstance(exc.detail, str) and exc.detail else phrase
        ja = _STATUS_JA.get(exc.status_code, "エラーが発生しました")
        code = phrase.lower().replace(" ", "_")
        return ApiProblem(exc.status_code, code, ja, en, headers=exc.headers).response()

    @app.exception_handler(InputError)
    async def _input(_request: Request, exc: InputError) -> JSONResponse:
        return ApiProblem(422, "invalid_input", "入力内容を確認してください", str(exc)).response()

    @app.exception_handler(RoutingError)
    async def _routing(_request: Request, exc: RoutingError) -> JSONResponse:
        log.warning("road network cannot answer: %s", exc)
        return ApiProblem(
            503, "routing_unavailable", "道路網から経路を求められません", str(exc)
        ).response()

    @app.exception_handler(SolverError)
    async def _solver(_request: Request, exc: SolverError) -> JSONResponse:
        log.error("solver failed: %s", exc)
        return ApiProblem(503, "solver_failed", "計画を計算できませんでした", str(exc)).response()

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return ApiProblem(
            500, "internal_error", "内部エラーが発生しました", "internal error (logged)"
        ).response()
