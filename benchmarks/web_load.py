"""Bounded load test of the web service and its worker processes, on the loopback only.

Each scenario starts its own ``sofi-bulk serveur`` (SQLite in a throw-away data folder, or
PostgreSQL with ``--base URL``) on 127.0.0.1 with the number of worker processes it needs,
drives it as browsers do (the upload answers with the progress page, whose script asks for
the check's state after 0.25 s, 0.5 s, then every second), and stops it. « Report ready »
is the moment the worker recorded the report (the job's ``finished_at`` in the database),
counted from the moment the browser started sending the file, so that the browsers' polling
neither delays nor blurs it:

- ``controles``: 20 checks of a 40-session workbook at once, 2 workers: upload → report ready
  (the workbook as sofi-bulk writes it, as LibreOffice saves it, as openpyxl alone saves it);
- ``petit``: one 40-session check sent while six 2,000-session checks run, 2 workers;
- ``debit``: 12 checks of 2,000 sessions at once, with 1 worker then 2, three times
  alternated: checks per minute, and the median of the three ratios;
- ``memoire``: a worker's peak resident memory (VmHWM) after checking the 40- then the
  2,000-session workbook, against ``sofi-bulk validate`` on the same workbooks;
- ``depots``: 50 deposits in a row, alternating two organisations, then every deposit read
  back as staff: none lost, none mixed up (organisation, workbook byte for byte, sessions).

Prints the figures as Markdown (the README's « Service web » section), with the date, the
machine and its load average, so that a run on a busy machine says so. Linux only (the
memory scenario reads /proc).

    python benchmarks/web_load.py
    python benchmarks/web_load.py --scenarios controles,petit --base postgresql://…/sofi
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import http.cookiejar
import io
import itertools
import json
import os
import platform
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sofi_bulk.core.fields import SESSIONS_SHEET
from sofi_bulk.core.profile import load_profile
from sofi_bulk.excel.referentiel import load_referentiel
from sofi_bulk.excel.sample import make_sample

PASSWORD = "Charge-Bouclee-2026!"
ORGS = {"ilf": ("44198765800016", "Institut Ligérien"), "atl": ("49281345600018", "Atlantique")}
SOFI = str(Path(sys.executable).with_name("sofi-bulk"))
TIMEOUT = 600
POLLS = (0.25, 0.5, 1.0)  # as the page's script: soon at first, then as the service says
SCENARIOS = ("controles", "petit", "debit", "memoire", "depots")


class Browser:
    """One user: a cookie jar, the CSRF token of the last page, multipart uploads, and an
    address of its own, which the server (behind a trusted proxy: ``--proxy 127.0.0.1``)
    takes from X-Forwarded-For, as behind nginx: the service's limits are per client, and
    twenty users are not one."""

    made = itertools.count(1)

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        n = next(Browser.made)
        self.opener.addheaders = [
            ("X-Forwarded-For", f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}")
        ]
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
        polls, asked = 0, 0.0
        while "Contrôle en cours" in body:
            time.sleep(max(POLLS[min(polls, len(POLLS) - 1)], asked))
            polls += 1
            with self.opener.open(
                f"{self.base}/verification/{token.group(1)}/etat", timeout=TIMEOUT
            ) as response:
                state = json.loads(response.read())
            asked = state.get("relance", 0) / 1000  # as the page: when the service says
            if state["termine"]:
                url, body = self.get(f"/verification/{token.group(1)}/")
        return body

    def check(self, data: bytes, name: str) -> tuple[float, str, str]:
        """Upload a workbook and wait for its report: when the upload started (epoch), the
        job's token, the report page."""
        self.get("/")
        start = time.time()
        url, body = self.post("/verifier", {}, (name, data))
        report = self.follow(url, body)
        token = re.search(r"/verification/([\w-]+)/", url)
        assert token, url
        return start, token.group(1), report

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
    """A filled template of ``n`` sessions, each entered once (``distinct``, as
    benchmarks/bench.py's main files): an offer as an organisation sends it, whose report
    lists a few warnings, not one « session en double » per repeated row."""
    ref = load_referentiel()
    if siret is not None:
        ref = ref.subset(ref.lots_for(load_profile().label, siret))
    sample = make_sample(n, referentiel=ref, distinct=True)
    if variant:
        sample.set(SESSIONS_SHEET, "places", 0, 8 + variant % 4)
    buffer = io.BytesIO()
    sample.save(buffer)
    return buffer.getvalue()


def saved_by_libreoffice(content: bytes, folder: Path) -> bytes | None:
    """The workbook opened and saved again by LibreOffice (as benchmarks/bench.py does);
    None without LibreOffice."""
    from bench import libreoffice_resave

    path = folder / "libreoffice-source.xlsx"
    path.write_bytes(content)
    try:
        saved = libreoffice_resave(path, folder)
    except (OSError, subprocess.SubprocessError) as exc:  # a LibreOffice that fails: not
        print(f"LibreOffice failed ({exc}): its saved copy is not measured", flush=True)
        return None  # measured, the rest is
    return None if saved is None else saved.read_bytes()


def saved_by_openpyxl(content: bytes) -> bytes:
    """The workbook loaded and saved by openpyxl alone: every text inline in its cell."""
    from openpyxl import load_workbook

    out = io.BytesIO()
    load_workbook(io.BytesIO(content)).save(out)
    return out.getvalue()


class Server:
    """``sofi-bulk serveur --travailleurs N`` on a free loopback port, its accounts made."""

    def __init__(self, data: Path, database: str | None, workers: int) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOFI_WEB_")}
        env["SOFI_BULK_MOT_DE_PASSE"] = PASSWORD
        base_args = ["serveur", "--donnees", str(data)] + (["--base", database] if database else [])
        accounts = [
            ["compte", "organisme", user, "--siret", siret, "--nom", name]
            for user, (siret, name) in ORGS.items()
        ] + [["compte", "personnel", "agent"]]
        for account in accounts:  # an account made by an earlier scenario is there already
            subprocess.run([SOFI, *base_args, *account], env=env, capture_output=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.process = subprocess.Popen(
            [SOFI, *base_args, "--port", str(port), "--travailleurs", str(workers)]
            + ["--proxy", "127.0.0.1"]  # each Browser says its own address
            + ["--referentiel", "exemple"],  # deposits are checked against the server's
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while self.health().get("travailleurs") != workers:
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise SystemExit("sofi-bulk serveur did not start")
            time.sleep(0.3)

    def health(self) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(self.base + "/sante", timeout=5) as response:
                return dict(json.loads(response.read()))
        except urllib.error.HTTPError as exc:
            return dict(json.loads(exc.read() or b"{}"))
        except OSError:
            return {}

    def workers(self) -> list[int]:
        """The worker processes' pids (Linux)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                found.append(int(stat.parent.name))
        return found

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def finished_at(data: Path, database: str | None, token: str) -> float:
    """When a worker recorded a job's outcome (epoch seconds), from the service's database."""
    query = "SELECT finished_at FROM depot_job WHERE token = %s"
    if database:
        import psycopg

        with psycopg.connect(database) as connection:
            (value,) = connection.execute(query, (token,)).fetchone()
        return float(value.timestamp())
    import sqlite3

    with sqlite3.connect(data / "sofi-bulk.sqlite3") as connection:
        (value,) = connection.execute(query.replace("%s", "?"), (token,)).fetchone()
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC).timestamp()


def peak_kib(pid: int) -> int:
    """A process's peak resident memory so far (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise ValueError(pid)


CLI_PEAK = """
import os, subprocess, sys
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(os.wait4(process.pid, 0)[2].ru_maxrss)
"""


def cli_peak_kib(path: Path, *extra: str) -> int:
    """Peak resident memory of ``sofi-bulk validate`` on a workbook. Started from a small
    Python process: Linux counts in a child's ru_maxrss the memory of the process it was
    forked from, and this benchmark is bigger than the command."""
    done = subprocess.run(
        [sys.executable, "-c", CLI_PEAK, SOFI, "validate", str(path), "-q", *extra],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


MACHINE_SCALING = """
import sys, time
from multiprocessing import Process
from sofi_bulk import api

def work():
    api.check(api.read(sys.argv[1], name="x.xlsx"))

def timed(n):
    processes = [Process(target=work) for _ in range(n)]
    start = time.perf_counter()
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    return time.perf_counter() - start

work()
print(2 * timed(1) / timed(2))
"""


def machine_scaling(path: Path) -> float:
    """How much faster two checks run side by side than one after the other, outside the
    service (the same library calls): the most two workers can gain on this machine now."""
    done = subprocess.run(
        [sys.executable, "-c", MACHINE_SCALING, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout)


def machine() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        model = found.group(1).strip() if found else ""
    processor = model or platform.machine()
    return f"{os.cpu_count()} cœurs ({processor}), Python {platform.python_version()}"


def load() -> str:
    return "/".join(f"{x:.1f}".replace(".", ",") for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--concurrent", type=int, default=20)
    parser.add_argument("--small", type=int, default=40, help="sessions of the small workbook")
    parser.add_argument("--big", type=int, default=2000, help="sessions of the big workbook")
    parser.add_argument("--big-count", type=int, default=6)
    parser.add_argument("--throughput-count", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=3, help="throughput runs (1 and 2)")
    parser.add_argument("--deposits", type=int, default=50)
    parser.add_argument("--deposit-sessions", type=int, default=12)
    parser.add_argument("--base", default=None, help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--sans-libreoffice", action="store_true", help="not its saved copy")
    args = parser.parse_args()
    chosen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")

    print(f"Generating workbooks ({args.small} and {args.big} sessions)…", flush=True)
    small, big = workbook(args.small), workbook(args.big)
    lines: list[str] = []  # latencies
    others: list[str] = []  # throughput, memory
    notes: list[str] = []
    started_load = load()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "donnees"

        def serve(workers: int, run: Callable[[Server], None]) -> None:
            server = Server(data, args.base, workers)
            try:
                run(server)
            finally:
                server.stop()

        if "controles" in chosen:
            print(f"{args.concurrent} concurrent checks of {args.small} sessions…", flush=True)

            # the same workbook as a spreadsheet program saves it, as organisations send it,
            # and as openpyxl alone saves it (a script that filled the template: every text
            # inline in its cell, the sheet's XML 3 times bigger, the slowest to read)
            resaved = None if args.sans_libreoffice else saved_by_libreoffice(small, Path(tmp))
            if resaved is None and not args.sans_libreoffice:
                print("no LibreOffice copy: its row is not measured", flush=True)
            inline = saved_by_openpyxl(small)

            def concurrent(server: Server) -> None:
                copies = (
                    (small, ""),
                    (resaved, " (classeur enregistré par LibreOffice)"),
                    (inline, " (classeur réenregistré par openpyxl seul, textes non partagés)"),
                )
                for content, origin in copies:
                    if content is None:
                        continue

                    def one(i: int, content: bytes = content) -> float:
                        start, token, report = Browser(server.base).check(content, f"p-{i}.xlsx")
                        assert f"{args.small} sessions" in report, report[:2000]
                        return finished_at(data, args.base, token) - start

                    with ThreadPoolExecutor(args.concurrent) as pool:
                        times = list(pool.map(one, range(args.concurrent)))
                    lines.append(
                        row(
                            f"{args.concurrent} contrôles de {args.small} sessions à la fois"
                            f"{origin}, 2 travailleurs : envoi → rapport prêt",
                            times,
                        )
                    )

            serve(2, concurrent)

        if "petit" in chosen:
            print(f"a small check behind {args.big_count} big ones…", flush=True)

            def behind(server: Server) -> None:
                with ThreadPoolExecutor(args.big_count) as pool:
                    bigs = [
                        pool.submit(Browser(server.base).check, big, f"gros-{i}.xlsx")
                        for i in range(args.big_count)
                    ]
                    deadline = time.monotonic() + TIMEOUT
                    while server.health().get("en_cours", 0) < 2:
                        assert time.monotonic() < deadline, "the big checks never ran"
                        time.sleep(0.1)
                    start, token, _ = Browser(server.base).check(small, "petit.xlsx")
                    took = finished_at(data, args.base, token) - start
                    still = server.health().get("en_attente", 0) + server.health().get(
                        "en_cours", 0
                    )
                    big_times = [
                        finished_at(data, args.base, f.result()[1]) - f.result()[0] for f in bigs
                    ]
                lines.append(
                    row(
                        f"un contrôle de {args.small} sessions envoyé pendant {args.big_count} "
                        f"de {args.big} sessions, 2 travailleurs : rapport prêt",
                        [took],
                    )
                )
                notes.append(
                    f"Pendant ce petit contrôle, {still} gros contrôles restaient en cours ou en "
                    f"attente ; les {args.big_count} gros ont pris "
                    f"{max(big_times):.1f} s en tout.".replace(".", ",", 1)
                )

            serve(2, behind)

        if "debit" in chosen:
            rates: dict[int, list[float]] = {1: [], 2: []}
            big_path = Path(tmp) / "debit.xlsx"
            big_path.write_bytes(big)
            floors = []
            for repeat in range(args.repeats):  # 1 then 2 workers, alternated: a drift in the
                floors.append(machine_scaling(big_path))  # machine's load hits both alike
                for workers in (1, 2):
                    print(f"throughput with {workers} worker(s), run {repeat + 1}…", flush=True)

                    def throughput(server: Server, workers: int = workers) -> None:
                        with ThreadPoolExecutor(args.throughput_count) as pool:
                            runs = list(
                                pool.map(
                                    lambda i: Browser(server.base).check(big, f"debit-{i}.xlsx"),
                                    range(args.throughput_count),
                                )
                            )
                        first = min(start for start, _, _ in runs)
                        last = max(finished_at(data, args.base, token) for _, token, _ in runs)
                        rates[workers].append(args.throughput_count / (last - first) * 60)

                    serve(workers, throughput)
            ratios = sorted(two / one for one, two in zip(rates[1], rates[2], strict=True))
            others.append(
                f"| débit : {args.throughput_count} contrôles de {args.big} sessions à la fois, "
                f"{args.repeats} fois avec 1 puis 2 travailleurs | "
                f"{statistics.median(rates[1]):.1f} par minute avec 1 travailleur, "
                f"{statistics.median(rates[2]):.1f} avec 2 (médianes) : "
                f"{statistics.median(ratios):.2f}× (de {ratios[0]:.2f} à {ratios[-1]:.2f} ; deux "
                "contrôles côte à côte hors du service, sur cette machine au même moment : "
                f"{statistics.median(floors):.2f}×) |".replace(".", ",")
            )

        if "memoire" in chosen:
            print("worker memory against sofi-bulk validate…", flush=True)
            paths = {}
            for n, content in ((args.small, small), (args.big, big)):
                paths[n] = Path(tmp) / f"saisie-{n}.xlsx"
                paths[n].write_bytes(content)

            def memory(server: Server) -> None:
                (pid,) = server.workers()
                for n, content in ((args.small, small), (args.big, big)):
                    Browser(server.base).check(content, f"memoire-{n}.xlsx")
                    worker = peak_kib(pid)
                    cli = cli_peak_kib(paths[n])
                    others.append(
                        f"| mémoire de pointe : un travailleur après le classeur de {n} sessions, "
                        f"contre sofi-bulk validate | {worker / 1024:.0f} Mio contre "
                        f"{cli / 1024:.0f} Mio : {worker / cli:.2f}× |".replace(".", ",")
                    )

            serve(1, memory)

        if "depots" in chosen:
            print(f"{args.deposits} deposits in a row…", flush=True)
            variants = {
                user: [workbook(args.deposit_sessions - k % 3, siret, k) for k in range(4)]
                for user, (siret, _) in ORGS.items()
            }

            def deposits(server: Server) -> None:
                users = {name: Browser(server.base) for name in ORGS}
                for name, user in users.items():
                    user.login(name)
                sent: list[tuple[str, str, str, int]] = []
                deposit_times, confirm_times = [], []
                for k in range(args.deposits):
                    name = list(ORGS)[k % 2]
                    user, content = users[name], variants[name][k % 4]
                    user.get("/depots/")
                    start = time.perf_counter()
                    url, body = user.post("/depots/nouveau", {}, (f"depot-{k}.xlsx", content))
                    body = user.follow(url, body)
                    action = re.search(r'action="(/verification/[\w-]+/deposer)"', body)
                    assert action, body[:2000]
                    confirm = time.perf_counter()
                    receipt_url, _ = user.post(action.group(1), {})
                    confirm_times.append(time.perf_counter() - confirm)
                    deposit_times.append(time.perf_counter() - start)
                    sessions = args.deposit_sessions - (k % 4) % 3
                    sent.append((receipt_url, name, hashlib.sha256(content).hexdigest(), sessions))
                staff = Browser(server.base)
                staff.login("agent")
                receipts = set()
                for receipt_url, name, digest, sessions in sent:
                    _, page = staff.get(urllib.parse.urlparse(receipt_url).path)
                    assert ORGS[name][0] in page, f"{receipt_url}: wrong organisation"
                    assert digest in page, f"{receipt_url}: not the workbook sent"
                    assert f"<dd>{sessions} (" in page, f"{receipt_url}: wrong session count"
                    receipts.add(re.search(r"SOFI-\d{8}-\d{6}", page).group(0))
                assert len(receipts) == args.deposits, "a deposit is missing or shared"
                lines.append(
                    row(
                        f"dépôt complet de {args.deposit_sessions - 2} à {args.deposit_sessions} "
                        "sessions (envoi, contrôle, JSON, LHEO, confirmation)",
                        deposit_times,
                    )
                )
                lines.append(row("confirmation du dépôt seule (écriture en base)", confirm_times))
                notes.append(f"{args.deposits} dépôts à la suite : aucun perdu, aucun mélangé.")

            serve(2, deposits)

    when = dt.datetime.now().strftime("%d/%m/%Y")
    base = "PostgreSQL" if args.base else "SQLite"
    print()
    print(
        f"Mesuré le {when} sur {machine()}, base {base} ; charge moyenne de la machine "
        f"(1/5/15 min) : {started_load} au début, {load()} à la fin."
    )
    print()
    print("| mesure | nombre | p50 | p95 | max |")
    print("|---|---:|---:|---:|---:|")
    for line in lines:
        print(line)
    if others:
        print()
        print("| mesure | résultat |")
        print("|---|---|")
        for line in others:
            print(line)
    if notes:
        print()
        print(" ".join(notes))


if __name__ == "__main__":
    main()
