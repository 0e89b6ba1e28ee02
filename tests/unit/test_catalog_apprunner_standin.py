"""The aws-target test's App Runner stand-in: a RUNNING service's https URL answers, anything else does not."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.integration.apprunner_standin import running_route, serving

HOST = "abcdef0123.us-east-1.awsapprunner.com"


class _Entities(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = b'[{"kind": "System"}]' if self.path == "/api/catalog/entities" else b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def container() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Entities)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _get(url: str, proxy: str, bundle: Path) -> requests.Response:
    return requests.get(url, proxies={"https": proxy}, verify=str(bundle), timeout=10)


def test_a_running_service_answers_over_https_with_a_certificate_of_its_host(container: str, tmp_path: Path) -> None:
    services = [{"ServiceUrl": HOST, "Status": "RUNNING"}]
    with serving(running_route(lambda: services, container), tmp_path) as standin:
        answer = _get(f"https://{HOST}/api/catalog/entities", standin.proxy_url, standin.ca_bundle)
    assert answer.status_code == 200
    assert answer.json() == [{"kind": "System"}]


@pytest.mark.parametrize(
    ("host", "status"),
    [(HOST, "PAUSED"), ("other00000.us-east-1.awsapprunner.com", "RUNNING"), ("example.com", "RUNNING")],
)
def test_a_paused_unknown_or_foreign_host_answers_nothing(
    host: str, status: str, container: str, tmp_path: Path
) -> None:
    services = [{"ServiceUrl": HOST, "Status": status}]
    route = running_route(lambda: services, container)
    with serving(route, tmp_path) as standin, pytest.raises(requests.exceptions.ProxyError):
        _get(f"https://{host}/api/catalog/entities", standin.proxy_url, standin.ca_bundle)


def test_a_client_without_the_test_ca_refuses_the_certificate(container: str, tmp_path: Path) -> None:
    services = [{"ServiceUrl": HOST, "Status": "RUNNING"}]
    route = running_route(lambda: services, container)
    with serving(route, tmp_path) as standin, pytest.raises(requests.exceptions.SSLError):
        requests.get(f"https://{HOST}/", proxies={"https": standin.proxy_url}, timeout=10)
