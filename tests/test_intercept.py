"""`edgehooks intercept`: a real mitmproxy with the addon, a local HTTPS origin with its own CA, and
httpx clients that use the proxy and trust mitmproxy's CA, as a browser would."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import shutil
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from edgehooks.intercept import hosts, proxy

from conftest import REPO, serve_origin
from test_origin_faults import raw_origin, reset_mid_body  # noqa: F401 - raw_origin is a fixture

HOOKS = '''
def viewer_request(event, context):
    request = event["Records"][0]["cf"]["request"]
    if request["uri"] == "/boom":
        raise RuntimeError("this hook fails on purpose")
    if request["uri"] == "/old":
        request["uri"] = "/new"
    host = request["headers"]["host"][0]["value"]
    request["headers"]["x-viewer-request"] = [{"key": "X-Viewer-Request", "value": f"ran for {host}"}]
    return request

def origin_response(event, context):
    response = event["Records"][0]["cf"]["response"]
    response["headers"]["x-origin-response"] = [{"key": "X-Origin-Response", "value": "ran"}]
    return response

def viewer_response(event, context):
    response = event["Records"][0]["cf"]["response"]
    response["headers"]["x-viewer-response"] = [{"key": "X-Viewer-Response", "value": "ran"}]
    return response
'''

# No [origins]: in intercept mode the origin is the site the browser asked for.
CONFIG = '''
[functions.vreq]
handler = "hooks.py:viewer_request"
[functions.ores]
handler = "hooks.py:origin_response"
[functions.vres]
handler = "hooks.py:viewer_response"

[[behaviors]]
path = "*"
viewer-request = "vreq"
origin-response = "ores"
viewer-response = "vres"
cache = { default_ttl = "1h" }
'''


class CA:
    """A certificate authority of the test's own, for the HTTPS origin."""

    def __init__(self, folder: Path):
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "edgehooks test origin CA")])
        self.cert = (
            self._builder(name, self.key.public_key()).issuer_name(name)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.pem = folder / "origin-ca.pem"
        self.pem.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def server_context(self, folder: Path, *names: str) -> ssl.SSLContext:
        key = ec.generate_private_key(ec.SECP256R1())
        sans = [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n) for n in names]
        cert = (
            self._builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]), key.public_key())
            .issuer_name(self.cert.subject)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        chain = folder / "origin.pem"
        chain.write_bytes(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            + cert.public_bytes(serialization.Encoding.PEM)
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(chain)
        return context

    @staticmethod
    def _builder(subject: x509.Name, public_key) -> x509.CertificateBuilder:
        now = datetime.datetime.now(datetime.timezone.utc)
        return (
            x509.CertificateBuilder().subject_name(subject).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
        )


@pytest.fixture(scope="session")
def confdir(tmp_path_factory) -> Path:
    """mitmproxy's folder, shared so that its CA is made once."""
    return tmp_path_factory.mktemp("mitmproxy")


@pytest.fixture
def origin_ca(tmp_path) -> CA:
    return CA(tmp_path)


@pytest.fixture
async def https_origin(origin_ca, tmp_path):
    """One HTTPS origin for two names: localhost (intercepted) and 127.0.0.1 (passed through)."""
    async with serve_origin(origin_ca.server_context(tmp_path, "localhost", "127.0.0.1")) as state:
        yield state


@pytest.fixture
async def intercept(tmp_path, confdir, origin_ca):
    """Start `edgehooks intercept` in-process for the hosts given; returns it and a client like a browser."""
    started: list[tuple[proxy.Interceptor, httpx.AsyncClient]] = []

    async def start(**settings) -> tuple[proxy.Interceptor, httpx.AsyncClient]:
        (tmp_path / "hooks.py").write_text(HOOKS)
        (tmp_path / "edgehooks.toml").write_text(CONFIG)
        settings = {"hosts": "localhost", "upstream_ca": str(origin_ca.pem)} | settings
        interceptor = await proxy.start(proxy.Settings(str(tmp_path / "edgehooks.toml"), listen_port=0, confdir=str(confdir), **settings))
        browser = httpx.AsyncClient(proxy=interceptor.url, verify=ssl.create_default_context(cafile=interceptor.ca_cert), trust_env=False, timeout=30)
        started.append((interceptor, browser))
        return interceptor, browser

    yield start
    for interceptor, browser in started:
        await browser.aclose()
        await interceptor.stop()


def port_of(url: str) -> int:
    return int(url.rpartition(":")[2])


async def test_hooks_act_on_the_real_site_and_other_hosts_pass_through(intercept, https_origin, origin, origin_ca):
    interceptor, browser = await intercept()
    site = f"https://localhost:{port_of(https_origin.url)}"

    r = await browser.get(f"{site}/old")
    # viewer-request rewrote the URI, origin-response and viewer-response added their headers.
    assert r.status_code == 200 and r.text == "origin saw GET /new"
    assert r.headers["x-origin-response"] == "ran" and r.headers["x-viewer-response"] == "ran"
    assert r.headers["x-cache"] == "Miss from edgehooks" and "edgehooks" in r.headers["via"]
    seen = https_origin.received[-1]
    assert seen["path"] == "/new" and seen["headers"]["X-Viewer-Request"] == f"ran for localhost:{port_of(https_origin.url)}"
    assert seen["headers"]["Host"] == f"localhost:{port_of(https_origin.url)}"  # the real site's own host

    # Without --cache, every request goes to the site.
    r = await browser.get(f"{site}/old")
    assert r.headers["x-cache"] == "Miss from edgehooks" and https_origin.hits("/new") == 2

    # A hook failure is the error CloudFront would send, and the site never sees the request.
    r = await browser.get(f"{site}/boom")
    assert r.status_code == 503 and r.headers["x-cache"] == "LambdaExecutionError from edgehooks"
    assert "503 ERROR" in r.text and https_origin.hits("/boom") == 0

    # Plain HTTP to a named host goes through the hooks too.
    r = await browser.get(f"http://localhost:{port_of(origin.url)}/old")
    assert r.text == "origin saw GET /new" and r.headers["x-viewer-response"] == "ran"

    # Another host: HTTPS is not decrypted (a client that trusts only the site's CA, not mitmproxy's,
    # gets through), and neither HTTPS nor HTTP is touched.
    passthrough = httpx.AsyncClient(proxy=interceptor.url, verify=ssl.create_default_context(cafile=origin_ca.pem), trust_env=False)
    async with passthrough:
        r = await passthrough.get(f"{https_origin.url}/old")
        assert r.text == "origin saw GET /old" and "x-cache" not in r.headers and "x-viewer-response" not in r.headers
        assert "X-Viewer-Request" not in https_origin.received[-1]["headers"]
    r = await browser.get(f"{origin.url}/old")
    assert r.text == "origin saw GET /old" and "x-cache" not in r.headers and "via" not in r.headers


async def test_cache_shows_hits_as_cloudfront_would(intercept, https_origin):
    _, browser = await intercept(cache=True)
    url = f"https://localhost:{port_of(https_origin.url)}/page"
    first, second = await browser.get(url), await browser.get(url)
    assert first.headers["x-cache"] == "Miss from edgehooks"
    assert second.headers["x-cache"] == "Hit from edgehooks" and second.text == first.text
    assert https_origin.hits("/page") == 1
    # viewer-response runs on hits as well; origin-response's header was cached with the object.
    assert second.headers["x-viewer-response"] == "ran" and second.headers["x-origin-response"] == "ran"


async def test_origin_certificates_are_verified_unless_told_otherwise(intercept, https_origin):
    url = f"https://localhost:{port_of(https_origin.url)}/page"
    interceptor, browser = await intercept(upstream_ca=None)
    r = await browser.get(url)
    # The system store does not know the site's CA: the origin is unreachable, as for CloudFront.
    assert r.status_code == 502 and r.headers["x-cache"] == "Error from edgehooks" and https_origin.hits("/page") == 0
    await browser.aclose()
    await interceptor.stop()

    _, browser = await intercept(upstream_ca=None, insecure=True)
    r = await browser.get(url)
    assert r.status_code == 200 and r.text == "origin saw GET /page"


async def test_http2_viewers_as_browsers_connect(intercept, https_origin, tmp_path):
    # curl, because httpx offers http/1.1 first in ALPN and mitmproxy follows the client's order.
    interceptor, _ = await intercept()
    url = f"https://localhost:{port_of(https_origin.url)}/old"
    curl = await asyncio.create_subprocess_exec(
        "curl", "-sS", "--http2", "--proxy", interceptor.url, "--cacert", str(interceptor.ca_cert), "-D", "-", "-o", str(tmp_path / "body"), url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    head, errors = await asyncio.wait_for(curl.communicate(), 60)
    head = head.decode().lower()
    assert curl.returncode == 0, errors
    assert "\r\nhttp/2 200" in head  # after the CONNECT answer
    assert "x-viewer-response: ran" in head and "x-cache: miss from edgehooks" in head
    assert (tmp_path / "body").read_text() == "origin saw GET /new"
    # HTTP/2 has no Host header: the hook still sees the host, from :authority.
    assert https_origin.received[-1]["headers"]["X-Viewer-Request"] == f"ran for localhost:{port_of(https_origin.url)}"


async def test_a_body_the_site_breaks_off_reaches_the_browser_broken(intercept, raw_origin):
    port, connections = await raw_origin(reset_mid_body)
    _, browser = await intercept()
    with pytest.raises(httpx.TransportError):
        await browser.get(f"http://localhost:{port}/file")
    assert connections[0] == 1  # the pipeline's fetch only: mitmproxy did not go to the site again


async def test_an_edgehooks_bug_never_lets_the_request_reach_the_site_without_hooks(intercept, https_origin, monkeypatch):
    interceptor, browser = await intercept()
    node = interceptor.master.addons.get("edgehooks").node

    async def broken(*args):
        raise RuntimeError("a bug in edgehooks")

    monkeypatch.setattr(node.pipeline, "handle", broken)
    with pytest.raises(httpx.TransportError):
        await browser.get(f"https://localhost:{port_of(https_origin.url)}/page")
    assert https_origin.hits("/page") == 0


def test_hosts_lists():
    assert hosts.parse(" Example.com, *.example.org ,") == ("example.com", "*.example.org")
    assert hosts.matches(("example.com", "*.example.org"), "EXAMPLE.com.")
    assert hosts.matches(("*.example.org",), "www.example.org")
    assert not hosts.matches(("*.example.org",), "example.org") and not hosts.matches(("*.example.org",), "a.b.example.org")
    assert not hosts.matches(("example.com",), "example.com.evil.net")
    assert hosts.matches((), "anything.example")
    assert hosts.allow_hosts(("example.com",)) == [r"^example\.com:\d+$"]
    with pytest.raises(ValueError, match="'https://example.com' is not a host name"):
        hosts.parse("https://example.com")


async def _proxy_url(process: asyncio.subprocess.Process, marker: str) -> str:
    """The proxy URL from the first output line that has `marker`, as a user would read it."""
    seen = []
    while line := (await asyncio.wait_for(process.stdout.readline(), 60)).decode():
        seen.append(line)
        if marker in line:
            return "http://" + line.rstrip().rstrip(".").rsplit("//", 1)[-1].rsplit(" ", 1)[-1]
    raise AssertionError(f"no {marker!r} line in {seen}")


async def _stop(process: asyncio.subprocess.Process) -> int:
    process.send_signal(signal.SIGINT)
    return await asyncio.wait_for(process.wait(), 30)


@pytest.mark.parametrize("runner", ["edgehooks intercept", "mitmdump -s"])
async def test_as_users_run_it(runner, tmp_path, confdir, origin):
    """The command, and mitmproxy's own mitmdump loading the addon file as the README says."""
    (tmp_path / "hooks.py").write_text(HOOKS)
    (tmp_path / "edgehooks.toml").write_text(CONFIG)
    config = str(tmp_path / "edgehooks.toml")
    if runner == "edgehooks intercept":
        args = [sys.executable, "-m", "edgehooks", "intercept", "--config", config, "--hosts", "localhost", "--port", "0", "--confdir", str(confdir)]
        marker = "HTTP(S) proxy on"
    else:
        addon = REPO / "edgehooks" / "intercept" / "addon.py"
        # The mitmdump of this Python's environment (a console script next to it), else the PATH's.
        mitmdump = shutil.which("mitmdump", path=str(Path(sys.executable).parent)) or shutil.which("mitmdump")
        assert mitmdump, "mitmproxy's mitmdump is not installed"
        args = [mitmdump, "-s", str(addon), "--set", f"edgehooks_config={config}", "--set", "edgehooks_hosts=localhost",
                "--set", f"confdir={confdir}", "--listen-host", "127.0.0.1", "-p", "0"]  # fmt: skip
        marker = "proxy listening at"
    process = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd="/")
    try:
        url = await _proxy_url(process, marker)
        async with httpx.AsyncClient(proxy=url, trust_env=False, timeout=30) as browser:
            r = await browser.get(f"http://localhost:{port_of(origin.url)}/old")
            assert r.text == "origin saw GET /new" and r.headers["x-viewer-response"] == "ran"
            assert "origin saw GET /old" == (await browser.get(f"{origin.url}/old")).text  # not a named host
    finally:
        if process.returncode is None:
            assert await _stop(process) == 0


def test_a_config_mistake_stops_start_up_naming_file_line_and_key(tmp_path, confdir):
    bad = tmp_path / "edgehooks.toml"
    bad.write_text('[[behaviors]]\npath = "*"\nviewer-request = "nope"\n')
    done = subprocess.run(
        [sys.executable, "-m", "edgehooks", "intercept", "--config", str(bad), "--port", "0", "--confdir", str(confdir)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert f'{bad}:3: behaviors[0].viewer-request: unknown function "nope"' in done.stderr
