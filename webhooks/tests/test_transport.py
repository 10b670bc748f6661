"""The connection goes to the address the guard checked, while TLS is still
verified against the URL's host name (the DNS-rebinding defence)."""

import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from webhooks.transport import request_send


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        body = self.headers["host"].encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        return None


@pytest.fixture
def https_receiver(tmp_path, settings):
    """An HTTPS server on 127.0.0.1 whose certificate names only localhost."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    server = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    settings.WEBHOOK_CA_BUNDLE = str(cert)
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_https_to_the_checked_address_verifies_the_host_name(https_receiver):
    result = request_send(
        url=f"https://localhost:{https_receiver}/hook", headers={}, body="{}"
    )

    assert result.ok, result.error
    assert result.response_body == f"localhost:{https_receiver}"


def test_https_certificate_for_another_name_is_refused(https_receiver):
    result = request_send(
        url=f"https://127.0.0.1:{https_receiver}/hook", headers={}, body="{}"
    )

    assert not result.ok
    assert "CERTIFICATE_VERIFY_FAILED" in result.error
