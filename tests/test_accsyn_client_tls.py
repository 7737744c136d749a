"""TLS is always verified: a self-signed server is refused unless its CA is given."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

from vendor_publish.accsyn_client import AccsynClient, RetryPolicy
from vendor_publish.errors import ConnectionFailed

KEY = "tls-test-KEY-never-shown-42"


class _LoginOnly(BaseHTTPRequestHandler):
    """Answers every login as accsyn would for a fixed user; nothing else."""

    def log_message(self, *args: object) -> None:
        pass

    def do_PUT(self) -> None:  # noqa: N802 - http.server naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"result": {"role": "standard", "id": "b" * 24, "session_id": "s"}}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on 127.0.0.1 with a fresh self-signed certificate; yields (url, cert)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl command not available to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LoginOnly)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_self_signed_certificate_is_refused_then_accepted_with_its_ca(tls_server) -> None:
    url, cert = tls_server
    options = dict(server=url, retry=RetryPolicy(budget=2.0, base_delay=0.05), connect_timeout=5.0)
    with AccsynClient("geoscan", "jennifer@gda.com", KEY, env={}, **options) as client:
        with pytest.raises(ConnectionFailed) as info:
            client.login()
    assert "certificate" in str(info.value) and "SSL_CERT_FILE" in (info.value.hint or "")
    assert KEY not in str(info.value)
    with AccsynClient("geoscan", "jennifer@gda.com", KEY, env={}, verify=str(cert), **options) as client:
        assert client.login().role == "standard"
    with AccsynClient("geoscan", "jennifer@gda.com", KEY, env={"SSL_CERT_FILE": str(cert)}, **options) as client:
        assert client.login().id == "b" * 24
