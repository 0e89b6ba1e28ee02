"""Lambda's GetFunction as AWS answers it: ``Code.Location`` serving the package, ``Concurrency`` even when 0.

On AWS, ``Code.Location`` is a presigned S3 URL (valid for ten minutes) from which the zip the
function runs can be downloaded: exit check 7 reads it to see whether an alert receiver's handler
is in its package. moto answers with an AWS host it never serves. Here the location is the
emulator's own URL, carrying a token bound to the function and its code's SHA-256 (a stand-in for
the presigned signature: a URL for replaced code no longer answers); :func:`serve_code` answers it.

GetFunction's ``Concurrency`` is the function's reserved concurrency whenever one is set: moto leaves it out when it
is 0 (a falsy test), the very value that throttles every invocation and that exit check 7 looks for
(``lakehouse.checks.lambda_receiver``); AWS answers ``{"Concurrency": {"ReservedConcurrentExecutions": 0}}``.

GetFunction's ``LastModified`` is "the date and time that the function was last updated": on AWS UpdateFunctionCode
and UpdateFunctionConfiguration move it; moto stamps it only when the function is created. KPI-mttr compares it
before and after a fault to tell an alert receiver updated or replaced mid-run (``lakehouse.chaos.unheard``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, unquote

from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.awslambda.responses import LambdaResponse
from moto.core.utils import iso_8601_datetime_with_nanoseconds

from lakehouse.emulator.extensions._graft import graft

#: Where the emulator serves deployment packages: ``/<account>/<region>/<function>/<token>``.
CODE_PATH = "/_lakehouse/lambda-code/"
_MARK = "_lakehouse_lambda_code_installed"
_SECRET = secrets.token_bytes(32)
_endpoint: str | None = None


def set_endpoint(url: str) -> None:
    """The emulator's own URL, which ``Code.Location`` names."""
    global _endpoint
    _endpoint = url


def _token(account: str, region: str, name: str, sha256: str) -> str:
    message = f"{account}/{region}/{name}/{sha256}".encode()
    return hmac.new(_SECRET, message, hashlib.sha256).hexdigest()


def _location(function: LambdaFunction) -> str:
    token = _token(function.account_id, function.region, function.function_name, function.code_sha_256)
    path = f"{function.account_id}/{function.region}/{quote(function.function_name, safe='')}/{token}"
    return f"{_endpoint}{CODE_PATH}{path}"


def serve_code(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The WSGI answer to a ``Code.Location`` URL: the zip, or S3's 403 for a wrong or stale token."""
    parts = environ.get("PATH_INFO", "")[len(CODE_PATH) :].split("/")
    body, status = b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", "403 Forbidden"
    if len(parts) == 4:
        account, region, name, token = parts[0], parts[1], unquote(parts[2]), parts[3]
        try:
            function = lambda_backends[account][region].get_function(name)
        except Exception:  # noqa: BLE001 - a function that is gone: the URL no longer answers
            function = None
        if function is not None and hmac.compare_digest(
            token, _token(account, region, function.function_name, function.code_sha_256)
        ):
            body, status = function.code_bytes, "200 OK"
    content_type = "application/zip" if status.startswith("200") else "application/xml"
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


class _FunctionResponses:
    """GetFunction with the reserved concurrency however small (moto's answer, ``Concurrency`` included at 0)."""

    def get_function(self: Any) -> str:
        function_name = unquote(self.path.rsplit("/", 1)[-1])
        qualifier = self._get_param("Qualifier", None)
        function = self.backend.get_function(function_name, qualifier)
        answer: dict[str, Any] = function.get_code()
        if function.reserved_concurrency is not None:  # moto: ``if function.reserved_concurrency:``, so 0 was left out
            answer["Concurrency"] = {"ReservedConcurrentExecutions": int(function.reserved_concurrency)}
        answer["Configuration"] = self._set_configuration_qualifier(answer["Configuration"], function_name, qualifier)
        return json.dumps(answer)


def install() -> None:
    if getattr(LambdaFunction, _MARK, False):
        return
    graft(_FunctionResponses, LambdaResponse)
    original = LambdaFunction.get_code

    def get_code(self: LambdaFunction) -> dict[str, Any]:
        answer: dict[str, Any] = original(self)
        if _endpoint is not None and "Location" in (answer.get("Code") or {}):
            answer["Code"]["Location"] = _location(self)
        return answer

    LambdaFunction.get_code = get_code  # type: ignore[method-assign]
    for update in ("update_configuration", "update_function_code"):
        setattr(LambdaFunction, update, _stamped(getattr(LambdaFunction, update)))
    setattr(LambdaFunction, _MARK, True)


def _stamped(update: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """``update`` (a ``LambdaFunction`` method) that also moves the function's ``LastModified``, as AWS does."""

    def stamped(self: LambdaFunction, spec: dict[str, Any]) -> dict[str, Any]:
        self.last_modified = iso_8601_datetime_with_nanoseconds()
        return update(self, spec)

    return stamped
