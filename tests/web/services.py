"""Real processes for the service's tests: ``sofi-bulk serveur`` and ``sofi-bulk travailleur``,
a throw-away PostgreSQL cluster, Debian's nginx with a throw-away certificate, and an HTTP(S)
client that may come from another loopback address (127.0.0.2), so that a forwarded address
can be told from the proxy's own. Each needs its real program and fails, never skips, when it
is missing; each wait is bounded; the fixtures that use them stop every process they start."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import glob
import http.client
import http.cookiejar
import io
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import ROOT
from tests.web.conftest import PASSWORD

SOFI = str(Path(sys.executable).with_name("sofi-bulk"))
NGINX = os.environ.get("SOFI_NGINX", "/usr/sbin/nginx")
DEPLOY = ROOT / "deploy"
NGINX_SITE = DEPLOY / "nginx-sofi-bulk.conf"
ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    """``check()``'s first true value within ``timeout`` seconds; fails the test otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not after {timeout} s")
        time.sleep(every)


def service_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOFI_WEB_")}
    env["SOFI_BULK_MOT_DE_PASSE"] = PASSWORD
    env.update(extra)
    return env


def sofi(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SOFI, *args], capture_output=True, text=True, env=service_env(), timeout=timeout
    )


def unit_command(unit: str, replace: dict[str, str]) -> list[str]:
    """The ``sofi-bulk`` arguments of a systemd unit's ExecStart in ``deploy/``, its example
    paths, names and ports replaced."""
    import shlex

    line = next(
        x for x in (DEPLOY / unit).read_text(encoding="utf-8").splitlines()
        if x.startswith("ExecStart=")
    )  # fmt: skip
    args = shlex.split(line.removeprefix("ExecStart="))
    assert Path(args[0]).name == "sofi-bulk", line
    return [replace.get(arg, arg) for arg in args[1:]]


class Process:
    """A ``sofi-bulk`` command running in the background, its output in a log file."""

    def __init__(
        self, name: str, args: list[str], logs: Path, env: dict[str, str] | None = None
    ) -> None:
        self.name = name
        self.args = args
        self.path = logs / f"{name}-{uuid.uuid4().hex[:6]}.log"
        self.file = self.path.open("wb")
        self.process = subprocess.Popen(
            [SOFI, *args],
            stdout=self.file,
            stderr=subprocess.STDOUT,
            env=service_env(**(env or {})),
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.path.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 40) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                message = f"{self.name} did not stop in {timeout} s:\n{self.log()}"
                raise AssertionError(message) from None
        self.file.close()
        return int(self.process.returncode)


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (Linux)."""
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.split("/")[2]))
    return found


def health(base: str) -> tuple[int, dict[str, Any]]:
    """``GET /sante``: its status and JSON; (0, {}) when nothing answers."""
    try:
        with urllib.request.urlopen(base + "/sante", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
    except OSError:
        return 0, {}


def start_web(
    name: str,
    logs: Path,
    port: int,
    *args: str,
    timeout: float = 90,
    env: dict[str, str] | None = None,
) -> Process:
    """``sofi-bulk serveur`` on 127.0.0.1:``port``, once it answers."""
    process = Process(name, ["serveur", "--port", str(port), *args], logs, env)
    wait_until(
        lambda: health(f"http://127.0.0.1:{port}")[0] or not process.alive(),
        timeout,
        f"{name} answering",
    )
    assert process.alive(), process.log()
    return process


def workers_alive(base: str, count: int, timeout: float = 90) -> None:
    """Until ``/sante`` counts ``count`` living workers."""
    wait_until(
        lambda: health(base)[1].get("travailleurs") == count, timeout, f"{count} workers alive"
    )


# --- PostgreSQL ---------------------------------------------------------------------------------
def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[4]))
    path = Path(os.environ.get("SOFI_PG_BIN") or (found[-1] if found else "/missing"))
    assert (path / "initdb").is_file(), (
        f"PostgreSQL is missing ({path}/initdb): apt-get install postgresql"
    )
    return path


class Postgres:
    """A throw-away PostgreSQL cluster on 127.0.0.1 (run as ``postgres`` when we are root, as
    initdb refuses root), with trust authentication, in its own temporary folder."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="sofi-pg-"))
        self.port = free_port()
        if ROOT_USER:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(
            "initdb", "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )
        self.start()

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if ROOT_USER:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{program}: {done.stdout}{done.stderr}"

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.dir / "data"),
            "-l",
            str(self.dir / "log"),
            "-w",
            "-o",
            options,
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def backup_and_restore(self, database: str, copy: str) -> None:
        """``pg_dump -Fc`` of ``database``, restored by ``pg_restore`` into a new ``copy``: the
        README's backup and what to restore."""
        dump = str(self.dir / f"{database}.dump")
        where = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        self._run("pg_dump", *where, "-Fc", "-f", dump, database)
        self.create(copy)
        self._run("pg_restore", *where, "--no-owner", "-d", copy, dump)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create(self, database: str) -> str:
        self.sql("postgres", f'CREATE DATABASE "{database}"')
        return self.url(database)

    def sql(self, database: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as connection:
            cursor = connection.execute(query, params or None)
            return cursor.fetchall() if cursor.description else []

    def accepts(self) -> bool:
        try:
            self.sql("postgres", "SELECT 1")
            return True
        except Exception:
            return False

    def destroy(self) -> None:
        with contextlib.suppress(AssertionError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# --- TLS and nginx ----------------------------------------------------------------------------
def certificate(folder: Path) -> tuple[Path, Path]:
    """A throw-away self-signed certificate for localhost and 127.0.0.1."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "certificat.pem", folder / "cle.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Nginx:
    """Debian's nginx, run in the foreground with a configuration in a temporary folder (pid,
    logs and temporary files there too): ``deploy/nginx-sofi-bulk.conf`` itself, its example
    ports, names and certificate replaced by the test's."""

    def __init__(self, folder: Path, upstreams: list[int], cert: tuple[Path, Path]) -> None:
        assert Path(NGINX).is_file(), f"{NGINX} is missing: apt-get install nginx"
        self.folder = folder
        self.https_port, self.http_port = free_port(), free_port()
        site = NGINX_SITE.read_text(encoding="utf-8")
        options = re.search(r"server 127\.0\.0\.1:\d+([^;]*);", site)
        assert options is not None, "no upstream server in the site"
        servers = "".join(f"    server 127.0.0.1:{port}{options[1]};\n" for port in upstreams)
        site = re.sub(r"(upstream sofi_bulk \{\n)(    server [^\n]+\n)+", rf"\g<1>{servers}", site)
        site = (
            site.replace("listen 443 ssl;", f"listen 127.0.0.1:{self.https_port} ssl;")
            .replace("listen 80;", f"listen 127.0.0.1:{self.http_port};")
            .replace("depot.exemple.fr;", "localhost;")
            .replace("/etc/letsencrypt/live/depot.exemple.fr/fullchain.pem", str(cert[0]))
            .replace("/etc/letsencrypt/live/depot.exemple.fr/privkey.pem", str(cert[1]))
        )
        (folder / "site.conf").write_text(site, encoding="utf-8")
        temp = "".join(
            f"    {kind}_temp_path {folder / kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (folder / "nginx.conf").write_text(
            f"daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'} warn;\n"
            + ("user root;\n" if ROOT_USER else "")
            + "events { worker_connections 256; }\n"
            f"http {{\n    access_log {folder / 'access.log'};\n{temp}"
            f"    include {folder / 'site.conf'};\n}}\n",
            encoding="utf-8",
        )
        test = subprocess.run(
            [
                NGINX,
                "-t",
                "-p",
                str(folder),
                "-c",
                str(folder / "nginx.conf"),
                "-e",
                str(folder / "error.log"),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert test.returncode == 0, test.stderr
        self.process = subprocess.Popen(
            [
                NGINX,
                "-p",
                str(folder),
                "-c",
                str(folder / "nginx.conf"),
                "-e",
                str(folder / "error.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._listening, 30, "nginx listening")

    def _listening(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.https_port)) == 0

    @property
    def base(self) -> str:
        return f"https://localhost:{self.https_port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- a browser-like client ----------------------------------------------------------------------
class _From:
    """Connections that leave from a chosen loopback address."""

    def __init__(self, source: str) -> None:
        self.source = (source, 0)

    def http(self, *args: Any, **kwargs: Any) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(*args, source_address=self.source, **kwargs)

    def https(self, *args: Any, **kwargs: Any) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(*args, source_address=self.source, **kwargs)


class Client:
    """A browser: cookies, the CSRF token of the last page, multipart uploads, redirects
    followed; it trusts ``ca`` for HTTPS and connects from ``source``."""

    def __init__(self, base: str, ca: Path | None = None, source: str = "127.0.0.1") -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        context = ssl.create_default_context(cafile=str(ca)) if ca else None
        connections = _From(source)

        class FromHTTP(urllib.request.HTTPHandler):
            def http_open(self, req: Any) -> Any:
                return self.do_open(connections.http, req)

        class FromHTTPS(urllib.request.HTTPSHandler):
            def https_open(self, req: Any) -> Any:
                return self.do_open(functools.partial(connections.https, context=context), req)

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), FromHTTP(), FromHTTPS()
        )
        self.token = ""

    def request(
        self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str, dict[str, str], bytes]:
        """Status, final URL, headers and body (HTTP errors included, not raised)."""
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=120) as response:
                body = response.read()
                return response.status, response.geturl(), dict(response.headers), body
        except urllib.error.HTTPError as exc:
            return exc.code, exc.geturl(), dict(exc.headers), exc.read()

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
        status, url, _, body = self.request(path, headers=headers)
        text = body.decode("utf-8", errors="replace")
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        if found:
            self.token = found.group(1)
        return status, url, text

    def post(
        self, path: str, fields: dict[str, str], file: tuple[str, bytes] | None = None
    ) -> tuple[int, str, str]:
        fields = {"csrfmiddlewaretoken": self.token, **fields}
        if file is None:
            data = urllib.parse.urlencode(fields).encode()
            kind = "application/x-www-form-urlencoded"
        else:
            boundary = uuid.uuid4().hex
            parts = io.BytesIO()
            for key, value in fields.items():
                parts.write(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                    f"{value}\r\n".encode()
                )
            parts.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="classeur"; '
                f'filename="{file[0]}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            )
            parts.write(file[1] + f"\r\n--{boundary}--\r\n".encode())
            data, kind = parts.getvalue(), f"multipart/form-data; boundary={boundary}"
        origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(self.base))
        status, url, _, body = self.request(
            path, data, {"Content-Type": kind, "Origin": origin, "Referer": self.base + "/"}
        )
        return status, url, body.decode("utf-8", errors="replace")

    def login(self, username: str) -> None:
        self.get("/connexion/")
        status, url, body = self.post("/connexion/", {"username": username, "password": PASSWORD})
        assert status == 200 and url.endswith("/depots/"), (status, url, body[:2000])

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.cookies if c.name == name and c.value is not None)


def token_in(url: str) -> str:
    found = re.search(r"/verification/([\w-]+)/", url)
    assert found, url
    return found.group(1)
