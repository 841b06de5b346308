"""The Maica org's transport: simple-salesforce's https:// URLs go over plain http only to a
loopback-http instance; calls are counted and the limits header read (a real socket server)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from simple_salesforce.api import Salesforce

from maica_xero_desktop.core.errors import ConfigurationError
from maica_xero_desktop.core.maica.transport import Meter, instance_session, mount_instance

SEEN: list[str] = []


class _Org(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        SEEN.append(self.path)
        body = json.dumps({"totalSize": 1, "done": True, "records": [{"Name": "Org"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Sforce-Limit-Info", f"api-usage={len(SEEN)}/15000")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def org() -> Iterator[str]:
    SEEN.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Org)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_simple_salesforce_reaches_a_loopback_http_instance(org: str) -> None:
    meter = Meter()
    sf = Salesforce(
        instance_url=org, session_id="token", version="61.0", session=instance_session(org, meter)
    )
    assert sf.base_url.startswith("https://127.0.0.1:")  # what simple-salesforce builds
    assert sf.query("SELECT Name FROM Organization")["records"][0]["Name"] == "Org"
    sf.query("SELECT Name FROM Organization")
    assert SEEN[0].startswith("/services/data/v61.0/query/?q=SELECT")
    assert meter.calls == 2
    assert meter.usage == (2, 15000)


def test_an_https_instance_is_never_downgraded(org: str) -> None:
    """The same loopback port given as https: the adapter keeps https (and the plain server
    cannot answer a TLS handshake), so nothing goes over http that was not configured so."""
    port = org.rsplit(":", 1)[1]
    meter = Meter()
    session = instance_session(f"https://127.0.0.1:{port}", meter)
    with pytest.raises(requests.exceptions.SSLError):
        session.get(f"https://127.0.0.1:{port}/services/data/", timeout=5)
    assert meter.calls == 1
    assert SEEN == []


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "http://10.0.0.1:8080",
        "ftp://127.0.0.1",
        "http://127.0.0.1.example.com",
    ],
)
def test_plain_http_to_a_real_host_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="https only"):
        mount_instance(requests.Session(), url, Meter())


def test_an_ipv6_instance_is_refused_with_a_sentence() -> None:
    with pytest.raises(ConfigurationError, match=r"127\.0\.0\.1 or localhost"):
        mount_instance(requests.Session(), "http://[::1]:8080", Meter())
