"""The embedded AWS emulator: moto's server plus our extensions, on loopback.

Run as a process (``python -m lakehouse.emulator.server``) so that the pytest
process, ``make up`` and a user's shell all talk to the same endpoint, and so
that stopping it is a plain process exit. The port is chosen by the kernel
(bind to port 0) and announced on stdout as one JSON line, which removes the
race of picking a "free" port first and binding it later.

Whether accounts have "Receive Billing Alerts" enabled (AWS/Billing metrics published) is on unless
``--no-billing-alerts`` says otherwise, and settable per account on a running emulator
(``lakehouse.emulator.billing_alerts``).

Which access keys act as the account (the deployer's) is told at start: ``--root-access-key``
(repeatable; default the harness's ``lakehouse.target.LOCAL_ACCESS_KEY``). Any key the emulator
did not issue itself (IAM users' keys, STS sessions) is refused as AWS refuses it
(``extensions.identity``).

Serving is tuned for many small requests (Athena polling under load, Terraform's parallel calls):
connections are kept alive between requests (no connect, accept and thread start per request), with
Nagle's algorithm off and a deep listen queue, and the host -> moto service lookup is remembered
(moto lists its own package directory for every request, under a process-wide lock). A response's
head and body leave in one write, and moto's "is there a method for this action" is one attribute
lookup instead of listing the class; moto's request id is drawn in one call, and no access-log line
is formatted unless ``--verbose`` asks for it. (A shorter GIL switch interval, 1 ms, was measured
under 10 Locust users and did not help: CPython's 5 ms stays.)

Once built, the start-up objects are frozen out of the garbage collector's reach (and once more after the
first Athena query, which loads the rest), so full collections stop walking moto's and botocore's models
on every pass (``gc_tuning``; ``--no-gc-freeze`` turns it off).
"""

from __future__ import annotations

import argparse
import inspect
import io
import logging
import os
import string
import time
from typing import Any

from werkzeug.serving import BaseWSGIServer, ThreadedWSGIServer, WSGIRequestHandler

from lakehouse import cpuwait
from lakehouse.emulator import gc_tuning
from lakehouse.emulator.billing_alerts import ADMIN_PATH, BILLING_ALERTS_ENV
from lakehouse.emulator.extensions import install_all
from lakehouse.services import serve_until_signalled
from lakehouse.target import LOCAL_ACCESS_KEY

READY_PREFIX = "LAKEHOUSE_EMULATOR_READY "
#: Connections queued for accept under load (the default 128 drops SYNs when many clients connect at once).
LISTEN_BACKLOG = 1024
#: werkzeug's request log (``--verbose`` sets it to INFO); asked once per request, looked up once.
_WERKZEUG_LOG = logging.getLogger("werkzeug")
#: A kept-alive connection idle this long is closed (its thread ends).
IDLE_TIMEOUT_S = 30.0
#: S3 objects up to this size are kept in memory by moto (``MOTO_S3_DEFAULT_KEY_BUFFER_SIZE``), not on disk.
KEY_BUFFER_BYTES = 256 * 1024 * 1024


class _MethodNames:
    """``action in method_names_from_class(cls)`` without listing every member of the class.

    moto's ``call_action`` asks whether the responses class has a method for the action by listing
    all of its functions (``inspect.getmembers``) on every request; asking for the one name is the
    same answer.
    """

    def __init__(self, clazz: object) -> None:
        self.clazz = clazz

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and inspect.isfunction(getattr(self.clazz, name, None))


def _fast_action_lookup() -> None:
    from moto.core import responses

    responses.method_names_from_class = _MethodNames  # type: ignore[assignment]
    responses.gen_amzn_requestid_long = _request_id  # type: ignore[assignment]


_REQUEST_ID_CHARS = string.ascii_letters + string.digits


def _request_id(headerdict: dict[str, Any] | None = None) -> str:
    """moto's ``x-amzn-requestid`` (52 letters and digits from its seedable random) in one call.

    moto draws the 52 characters one ``choice`` at a time (yappi: ~8% of the Python calls an Athena
    request makes in the emulator); ``choices`` draws them at once from the same generator.
    """
    from moto.moto_api._internal import mock_random

    request_id = "".join(mock_random.choices(_REQUEST_ID_CHARS, k=52))
    if isinstance(headerdict, dict):
        headerdict["x-amzn-requestid"] = request_id
    return request_id


def _plain_form_requests() -> None:
    """moto's Flask app runs in debug mode, where Flask gives every request's (empty) ``files`` a class of its
    own, made there and then, to word a missing-file ``KeyError`` for browsers; werkzeug's form parsing alone
    reads the same form and files (a class made per request was ~2% of an Athena query's emulator CPU)."""
    from moto.moto_server import werkzeug_app
    from werkzeug.wrappers import Request as WerkzeugRequest

    if getattr(werkzeug_app.BackendRequest, "plain_form", False):
        return  # a second server in this process

    class BackendRequest(werkzeug_app.BackendRequest):
        plain_form = True

        def _load_form_data(self) -> None:
            WerkzeugRequest._load_form_data(self)

    werkzeug_app.BackendRequest = BackendRequest  # type: ignore[misc]


class KeepAliveServer(ThreadedWSGIServer):
    """werkzeug's threaded server (a thread per connection) with a deep listen queue."""

    request_queue_size = LISTEN_BACKLOG


class _HeadWithBody:
    """The connection's writer, holding a response's status line and headers until its body goes.

    ``http.server`` sends the head and then werkzeug the body, two sends and two TCP segments per
    response; held back, they leave in one (a large body still goes as it is, right after).
    """

    #: Bodies up to this size are sent in the same write as the head.
    JOIN_UP_TO = 64 * 1024

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.held = b""

    def hold(self, head: bytes) -> None:
        self.held += head

    def write(self, data: bytes) -> int:
        if self.held:
            head, self.held = self.held, b""
            if len(data) <= self.JOIN_UP_TO:
                self.raw.write(head + data)
                return len(data)
            self.raw.write(head)
        written: int = self.raw.write(data)
        return written

    def flush(self) -> None:
        if self.held:
            head, self.held = self.held, b""
            self.raw.write(head)
        self.raw.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class KeepAlive(WSGIRequestHandler):
    """werkzeug's request handler, keeping the connection open between requests (HTTP/1.1).

    werkzeug closes every connection after one response, because after the response it discards
    whatever the client sent and was not read, which on a kept-alive connection would be the next
    request. Here the request body is read first, exactly as long as ``Content-Length`` says, and
    werkzeug is given it from memory, so what it discards is nothing and the connection can serve
    the next request. A chunked request body (length unknown in advance) keeps werkzeug's own
    behaviour: read as it goes, connection closed after the response.
    """

    disable_nagle_algorithm = True  # werkzeug writes headers and body apart: no wait for a delayed ACK
    timeout = IDLE_TIMEOUT_S
    _kept = False
    #: This thread's CPU wait (``cpuwait``) when the connection's last response head went (or it was accepted).
    _wait_mark: int | None = None
    #: When this request's handling began, and the CPU wait of waking on it (before that).
    _served_from: int = 0
    _wake_wait: int | None = None
    #: Inside ``run_wsgi`` (a response's head outside it, an error before the request was read, says nothing).
    _serving = False
    _status = ""

    def setup(self) -> None:
        super().setup()
        self.wfile = _HeadWithBody(self.wfile)  # type: ignore[assignment]
        self._wait_mark = cpuwait.thread_wait_ns()

    def end_headers(self) -> None:
        """Tell the client how long this response waited for a CPU since the connection's last response ended
        (``cpuwait.HEADER``) and how long it was the server's (``cpuwait.SERVED_HEADER``): the latency KPI takes
        the machine's contention out of its samples. Between requests the thread sleeps on the socket (no wait),
        so what is counted is this request's: waking on it and serving it."""
        now = cpuwait.thread_wait_ns()
        final = getattr(self, "_serving", False) and not str(getattr(self, "_status", "")).startswith("1")
        if final and now is not None and self._wait_mark is not None and self._wake_wait is not None:
            served_ns = time.perf_counter_ns() - self._served_from + self._wake_wait
            self.send_header(cpuwait.HEADER, str(max(0, now - self._wait_mark) // 1000))
            self.send_header(cpuwait.SERVED_HEADER, str(max(0, served_ns) // 1000))
            self.send_header(cpuwait.PROCESS_CPU_HEADER, str(cpuwait.process_cpu_us()))
        super().end_headers()

    def send_response(self, code: int, message: str | None = None) -> None:
        self._status = str(code)  # a 1xx (100 Continue) is not the response: its head carries no figures
        super().send_response(code, message)

    def flush_headers(self) -> None:
        """Keep the head for the body's write (``_HeadWithBody``); any flush sends it."""
        buffered = getattr(self, "_headers_buffer", None)
        if buffered:
            self.wfile.hold(b"".join(buffered))  # type: ignore[attr-defined]
            self._headers_buffer: list[bytes] = []

    def run_wsgi(self) -> None:
        self._served_from = time.perf_counter_ns()
        now = cpuwait.thread_wait_ns()
        self._wake_wait = None if now is None or self._wait_mark is None else max(0, now - self._wait_mark)
        self._serving = True
        try:
            self._serve()
        finally:
            self._serving, self._wake_wait = False, None
            self._wait_mark = cpuwait.thread_wait_ns()  # the response has left: its body's writing is not the next's

    def _serve(self) -> None:
        body = self._whole_body()
        if body is None:
            super().run_wsgi()
            return
        wire, self.rfile = self.rfile, io.BytesIO(body)
        self._kept = True
        try:
            super().run_wsgi()
        finally:
            self.rfile, self._kept = wire, False

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """werkzeug formats every request's log line (path decoding, date) even when INFO is off."""
        if _WERKZEUG_LOG.isEnabledFor(logging.INFO):
            super().log_request(code, size)

    def send_header(self, keyword: str, value: str) -> None:
        if self._kept and keyword.lower() == "connection" and value.lower() == "close":
            return  # the request decides (HTTP/1.1: kept unless the client says close)
        super().send_header(keyword, value)

    def _whole_body(self) -> bytes | None:
        """The request body, when its length is known up front; None otherwise."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return None
        raw = self.headers.get("Content-Length")
        try:
            length = int(raw) if raw is not None else 0
        except ValueError:
            return None
        if length < 0:
            return None
        if (self.headers.get("Expect") or "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # what werkzeug would send, once
            del self.headers["Expect"]
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            self.close_connection = True  # the client went away mid-body
        return body


def build_server(
    host: str = "127.0.0.1", port: int = 0, root_keys: list[str] | None = None, billing_alerts: bool = True
) -> BaseWSGIServer:
    """Create (but do not start) a threaded WSGI server running moto plus extensions.

    ``root_keys``: the access keys accepted as the account's deployer (None keeps the default).
    ``billing_alerts``: False starts every account without "Receive Billing Alerts" (no AWS/Billing metrics).
    """
    # Import moto's app lazily: it is the slow part of start-up, and the
    # extensions must patch moto before the first request is dispatched.
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    from lakehouse.emulator.extensions import awslambda, billing, ecr, identity
    from lakehouse.emulator.extensions.athena_queries import set_endpoint

    class Dispatcher(DomainDispatcherApplication):
        """moto's dispatcher, remembering which service a host name belongs to (a fixed mapping)."""

        _backends: dict[str, Any] = {}

        def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
            if environ.get("PATH_INFO", "").startswith(awslambda.CODE_PATH):  # GetFunction's Code.Location
                return awslambda.serve_code(environ, start_response)
            if environ.get("PATH_INFO", "").startswith(ecr.LAYER_PATH):  # GetDownloadUrlForLayer's downloadUrl
                return ecr.serve_layer(environ, start_response)
            if environ.get("PATH_INFO", "").startswith(ADMIN_PATH):  # the account's Receive Billing Alerts
                return billing.serve_admin(environ, start_response)
            if environ.get("PATH_INFO", "") == gc_tuning.GC_PATH:  # collections counted (GC stats on)
                return gc_tuning.serve_stats(environ, start_response)
            return super().__call__(environ, start_response)

        def get_backend_for_host(self, host: str | None) -> Any:
            if host is None:
                return None
            if host not in self._backends:
                self._backends[host] = super().get_backend_for_host(host)
            return self._backends[host]

    class RequestHandler(KeepAlive, MotoRequestHandler):
        """moto's handler (headers with underscores kept) on kept-alive connections."""

    install_all()
    _fast_action_lookup()
    _plain_form_requests()
    if root_keys is not None:
        identity.set_root_keys(root_keys)
    if not billing_alerts:
        billing.set_default(False)
    app = Dispatcher(create_backend_app)
    server = KeepAliveServer(host, port, app, handler=RequestHandler)
    bound_host, bound_port = server.server_address[:2]
    set_endpoint(f"http://{bound_host!s}:{bound_port}")  # the Athena engine reads tables through it
    awslambda.set_endpoint(f"http://{bound_host!s}:{bound_port}")
    ecr.set_endpoint(f"http://{bound_host!s}:{bound_port}")
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (loopback only by default)")
    parser.add_argument("--port", type=int, default=0, help="0 lets the kernel choose a free port")
    parser.add_argument(
        "--root-access-key",
        action="append",
        dest="root_keys",
        help=f"an access key accepted as the account's deployer (repeatable; default {LOCAL_ACCESS_KEY!r})",
    )
    parser.add_argument(
        "--no-billing-alerts",
        action="store_true",
        help=f"start accounts without Receive Billing Alerts: no AWS/Billing metrics ({BILLING_ALERTS_ENV}=off)",
    )
    parser.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help=f"do not freeze start-up objects out of the garbage collector ({gc_tuning.GC_FREEZE_ENV}=off)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    _WERKZEUG_LOG.setLevel(logging.INFO if args.verbose else logging.WARNING)

    # moto reads these at request time; keep the emulator self-contained.
    os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "true")
    # An object's bytes stay in memory up to this size (moto's default spools anything over 5 MB to
    # a temporary file on disk, then reads the file back on every access: a landed CSV or a Parquet
    # file of a million rows). The same objects, answered the same way; only where moto keeps them.
    os.environ.setdefault("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", str(KEY_BUFFER_BYTES))
    server = build_server(
        args.host, args.port, args.root_keys or [LOCAL_ACCESS_KEY], billing_alerts=not args.no_billing_alerts
    )
    host, port = server.server_address[:2]
    if gc_tuning.stats_wanted():
        gc_tuning.install_stats()
    gc_tuning.freeze_at_start(args.no_gc_freeze)

    serve_until_signalled(server, READY_PREFIX, {"endpoint": f"http://{host!s}:{port}", "pid": os.getpid()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
