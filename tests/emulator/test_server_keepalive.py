"""The emulator keeps connections alive and still reads every request whole.

A kept-alive connection must never lose or mix up requests: after a body of known length, after
``Expect: 100-continue``, after a chunked body (that one closes the connection, as werkzeug does).
"""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlparse

from lakehouse import cpuwait
from lakehouse.emulator.process import EmulatorHandle
from tests.emulator.conftest import REGION, AwsClientFactory

_SIGNED = "AWS4-HMAC-SHA256 Credential=test/20260101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=x"


def _connection(emulator: EmulatorHandle) -> http.client.HTTPConnection:
    url = urlparse(emulator.endpoint)
    assert url.hostname and url.port
    return http.client.HTTPConnection(url.hostname, url.port, timeout=10)


def _sts_call(conn: http.client.HTTPConnection) -> http.client.HTTPResponse:
    headers = {
        "Authorization": _SIGNED.format(region=REGION, service="sts"),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    conn.request("POST", "/", body="Action=GetCallerIdentity&Version=2011-06-15", headers=headers)
    return conn.getresponse()


def test_one_connection_serves_request_after_request(emulator: EmulatorHandle) -> None:
    conn = _connection(emulator)
    try:
        for _ in range(3):
            response = _sts_call(conn)
            body = response.read()
            assert response.status == 200 and b"123456789012" in body
            assert response.getheader("Connection") != "close"
            assert conn.sock is not None  # still open for the next one
    finally:
        conn.close()


def test_a_body_sent_after_100_continue_arrives_whole(emulator: EmulatorHandle, aws_client: AwsClientFactory) -> None:
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="keepalive-expect", CreateBucketConfiguration={"LocationConstraint": REGION})
    body = bytes(range(256)) * 8192  # 2 MiB
    conn = _connection(emulator)
    try:
        conn.putrequest("PUT", "/keepalive-expect/blob")
        conn.putheader("Authorization", _SIGNED.format(region=REGION, service="s3"))
        conn.putheader("Content-Length", str(len(body)))
        conn.putheader("Expect", "100-continue")
        conn.endheaders()
        conn.send(body)
        response = conn.getresponse()
        response.read()
        assert response.status == 200
        assert _sts_call(conn).status == 200  # the connection is still in step
    finally:
        conn.close()
    assert s3.get_object(Bucket="keepalive-expect", Key="blob")["Body"].read() == body


def test_a_chunked_body_is_read_and_the_connection_then_closed(
    emulator: EmulatorHandle, aws_client: AwsClientFactory
) -> None:
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="keepalive-chunked", CreateBucketConfiguration={"LocationConstraint": REGION})
    conn = _connection(emulator)
    try:
        conn.request(
            "PUT",
            "/keepalive-chunked/doc.json",
            body=iter([b'{"a": ', b"1}"]),
            headers={"Authorization": _SIGNED.format(region=REGION, service="s3")},
            encode_chunked=True,
        )
        response = conn.getresponse()
        response.read()
        assert response.status == 200
        assert response.getheader("Connection") == "close"
    finally:
        conn.close()
    assert json.loads(s3.get_object(Bucket="keepalive-chunked", Key="doc.json")["Body"].read()) == {"a": 1}


def test_each_response_says_its_cpu_wait_and_serving_time(emulator: EmulatorHandle) -> None:
    """The latency KPI's correction for a busy machine (``lakehouse.cpuwait``): every response, on a new and on a
    kept-alive connection, carries its request thread's CPU wait and the time it was the server's, the wait never
    more than that time (it is counted inside it)."""
    conn = _connection(emulator)
    try:
        for _ in range(3):
            response = _sts_call(conn)
            response.read()
            wait, served = response.getheader(cpuwait.HEADER), response.getheader(cpuwait.SERVED_HEADER)
            assert wait is not None and wait.isdigit() and served is not None and served.isdigit()
            assert int(served) > 0 and int(wait) <= int(served)
            assert (response.getheader(cpuwait.PROCESS_CPU_HEADER) or "").isdigit()
    finally:
        conn.close()
