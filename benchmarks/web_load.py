"""Bounded load test of the web service, on the loopback only.

Starts ``sofi-bulk serveur`` (SQLite in a throw-away data folder, or PostgreSQL with
``--base URL``) on 127.0.0.1, then:

1. 20 concurrent uploads of a 1,000-session workbook, each from its own browser session,
   each followed until its report is ready;
2. 50 deposits in a row, alternating between two organisations, each with its own
   workbook; then, as staff, every deposit is read back: none lost, none mixed up (the
   right organisation, the stored workbook byte for byte, the session count).

Prints the p50/p95 latencies as a Markdown table (the README's « Service web » figures).
Every request goes to 127.0.0.1 and the run stops by itself (bounded counts, timeouts).

    python benchmarks/web_load.py
    python benchmarks/web_load.py --uploads 20 --sessions 1000 --deposits 50
"""

from __future__ import annotations

import argparse
import hashlib
import http.cookiejar
import io
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sofi_bulk.core.fields import SESSIONS_SHEET
from sofi_bulk.core.profile import load_profile
from sofi_bulk.excel.referentiel import load_referentiel
from sofi_bulk.excel.sample import make_sample

PASSWORD = "Charge-Bouclee-2026!"
ORGS = {"ilf": ("44198765800016", "Institut Ligérien"), "atl": ("49281345600018", "Atlantique")}
SOFI = str(Path(sys.executable).with_name("sofi-bulk"))
TIMEOUT = 600


class Browser:
    """One user: a cookie jar, the CSRF token of the last page, multipart uploads."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.token = ""

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(self.base + path, timeout=TIMEOUT) as response:
            body = response.read().decode("utf-8")
            found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
            if found:
                self.token = found.group(1)
            return response.geturl(), body

    def post(self, path: str, fields: dict[str, str], file: tuple[str, bytes] | None = None):
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
            name, content = file
            parts.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="classeur"; '
                f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            )
            parts.write(content + f"\r\n--{boundary}--\r\n".encode())
            data, kind = parts.getvalue(), f"multipart/form-data; boundary={boundary}"
        request = urllib.request.Request(
            self.base + path, data=data, headers={"Content-Type": kind, "Referer": self.base}
        )
        with self.opener.open(request, timeout=TIMEOUT) as response:
            return response.geturl(), response.read().decode("utf-8")

    def follow(self, url: str, body: str) -> str:
        """Poll a check until its report is there; the report page."""
        token = re.search(r"/verification/([\w-]+)/", url)
        assert token, url
        while "Contrôle en cours" in body:
            with self.opener.open(
                f"{self.base}/verification/{token.group(1)}/etat", timeout=TIMEOUT
            ) as response:
                state = json.loads(response.read())
            if not state["termine"]:
                time.sleep(0.5)
                continue
            url, body = self.get(f"/verification/{token.group(1)}/")
        return body

    def login(self, username: str) -> None:
        self.get("/connexion/")
        url, _ = self.post("/connexion/", {"username": username, "password": PASSWORD})
        assert url.endswith("/depots/"), url


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def row(label: str, values: list[float]) -> str:
    return (
        f"| {label} | {len(values)} | {statistics.median(values):.2f} s | "
        f"{percentile(values, 95):.2f} s | {max(values):.2f} s |"
    )


def workbook(n: int, siret: str | None = None, variant: int = 0) -> bytes:
    ref = load_referentiel()
    if siret is not None:
        ref = ref.subset(ref.lots_for(load_profile().label, siret))
    sample = make_sample(n, referentiel=ref)
    if variant:
        sample.set(SESSIONS_SHEET, "places", 0, 8 + variant % 4)
    buffer = io.BytesIO()
    sample.save(buffer)
    return buffer.getvalue()


def start_server(data: Path, database: str | None) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOFI_WEB_")}
    env["SOFI_BULK_MOT_DE_PASSE"] = PASSWORD
    base_args = ["serveur", "--donnees", str(data)] + (["--base", database] if database else [])
    for user, (siret, name) in ORGS.items():
        subprocess.run(
            [SOFI, *base_args, "compte", "organisme", user, "--siret", siret, "--nom", name],
            check=True,
            env=env,
            capture_output=True,
        )
    subprocess.run(
        [SOFI, *base_args, "compte", "personnel", "agent"], check=True, env=env, capture_output=True
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [SOFI, *base_args, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/", timeout=2)
            return process, base
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("sofi-bulk serveur did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--deposits", type=int, default=50)
    parser.add_argument("--deposit-sessions", type=int, default=12)
    parser.add_argument("--base", default=None, help="PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()

    print(f"Generating a {args.sessions}-session workbook…", flush=True)
    big = workbook(args.sessions)
    variants = {
        user: [workbook(args.deposit_sessions - k % 3, siret, k) for k in range(4)]
        for user, (siret, _) in ORGS.items()
    }
    with tempfile.TemporaryDirectory() as tmp:
        process, base = start_server(Path(tmp), args.base)
        try:
            # 1. concurrent checks
            def one_check(i: int) -> tuple[float, float]:
                user = Browser(base)
                user.get("/")
                start = time.perf_counter()
                url, body = user.post("/verifier", {}, (f"saisie-{i}.xlsx", big))
                answered = time.perf_counter() - start
                report = user.follow(url, body)
                assert f"{args.sessions} sessions" in report, report[:2000]
                return answered, time.perf_counter() - start

            print(f"{args.uploads} concurrent uploads…", flush=True)
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.uploads) as pool:
                checks = list(pool.map(one_check, range(args.uploads)))
            wall = time.perf_counter() - started

            # 2. deposits in a row, alternating organisations
            print(f"{args.deposits} deposits in a row…", flush=True)
            users = {name: Browser(base) for name in ORGS}
            for name, user in users.items():
                user.login(name)
            sent: list[tuple[str, str, str, int]] = []  # receipt url, user, sha256, sessions
            deposit_times, confirm_times = [], []
            for k in range(args.deposits):
                name = list(ORGS)[k % 2]
                user = users[name]
                data = variants[name][k % 4]
                user.get("/depots/")
                start = time.perf_counter()
                url, body = user.post("/depots/nouveau", {}, (f"depot-{k}.xlsx", data))
                body = user.follow(url, body)
                action = re.search(r'action="(/verification/[\w-]+/deposer)"', body)
                assert action, body[:2000]
                confirm = time.perf_counter()
                receipt_url, page = user.post(action.group(1), {})
                confirm_times.append(time.perf_counter() - confirm)
                deposit_times.append(time.perf_counter() - start)
                sessions = args.deposit_sessions - (k % 4) % 3
                sent.append((receipt_url, name, hashlib.sha256(data).hexdigest(), sessions))

            # 3. read every deposit back, as staff
            staff = Browser(base)
            staff.login("agent")
            receipts = set()
            for receipt_url, name, digest, sessions in sent:
                _, page = staff.get(urllib.parse.urlparse(receipt_url).path)
                assert ORGS[name][0] in page, f"{receipt_url}: wrong organisation"
                assert digest in page, f"{receipt_url}: not the workbook sent"
                assert f"<dd>{sessions} (" in page, f"{receipt_url}: wrong session count"
                receipts.add(re.search(r"SOFI-\d{8}-\d{6}", page).group(0))
            _, listing = staff.get("/depots/")
            assert f"{args.deposits} dépôts" in listing, "a deposit is missing"
            assert len(receipts) == args.deposits, "two deposits share a receipt"
        finally:
            process.terminate()
            process.wait(timeout=30)

    print()
    print(f"{args.uploads} uploads of {args.sessions} sessions at once: all done in {wall:.1f} s")
    print(f"{args.deposits} deposits in a row: none lost, none mixed up")
    print()
    print("| mesure | nombre | p50 | p95 | max |")
    print("|---|---:|---:|---:|---:|")
    print(row(f"envoi d'un classeur de {args.sessions} sessions (réponse)", [a for a, _ in checks]))
    print(row(f"envoi → rapport prêt, {args.uploads} à la fois", [b for _, b in checks]))
    print(
        row(
            f"dépôt complet ({args.deposit_sessions} sessions : envoi, contrôle, confirmation)",
            deposit_times,
        )
    )
    print(row("confirmation du dépôt (écriture en base)", confirm_times))


if __name__ == "__main__":
    main()
