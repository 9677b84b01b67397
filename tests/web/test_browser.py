"""The service in a real browser: Debian's Chromium, driven by Selenium, against a real
``sofi-bulk serveur`` (waitress, SQLite in a fresh data folder, accounts made with
``sofi-bulk serveur compte``). Chromium and chromedriver are required: without them
these tests fail, they are never skipped (CI installs them).

``SOFI_UPDATE_DOCS=1`` saves the report page's screenshot to docs/rapport-web.png.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import openpyxl
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from sofi_bulk.core.plan import ERRORS_HEADERS
from sofi_bulk.lheo.xsd import validate_lheo
from tests.conftest import ROOT
from tests.web.conftest import PASSWORD, SIRET_A, SIRET_B, break_it, sample_for

CHROMIUM = os.environ.get("SOFI_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SOFI_CHROMEDRIVER", "/usr/bin/chromedriver")
SOFI = str(Path(sys.executable).with_name("sofi-bulk"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(data: Path, *args: str) -> None:
    env = {**os.environ, "SOFI_BULK_MOT_DE_PASSE": PASSWORD}
    env.pop("SOFI_WEB_DATABASE_URL", None)
    done = subprocess.run(
        [SOFI, "serveur", "--donnees", str(data), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def readme_trial() -> list[list[str]]:
    """The commands of the README's trial of the web service, as a user types them."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Le service web « Déposer son offre »", 1)[1]
    block = section.split("```", 2)[1]
    return [shlex.split(line) for line in block.strip().splitlines()]


@pytest.fixture(scope="module")
def mails(tmp_path_factory) -> Path:
    """Where the server's e-mails go (Django's file backend), one file per sending."""
    return tmp_path_factory.mktemp("courriels")


@pytest.fixture(scope="module")
def trial_data(tmp_path_factory) -> Path:
    """The server's data folder (its SQLite database)."""
    return tmp_path_factory.mktemp("donnees")


@pytest.fixture(scope="module")
def server(trial_data, mails):
    """The README's trial, command for command: its accounts made with ``sofi-bulk serveur
    compte``, then ``sofi-bulk serveur --referentiel exemple`` (SQLite in its data folder),
    its e-mails written as files."""
    data = trial_data
    *accounts, start = readme_trial()
    assert [c[:4] for c in accounts] == [
        ["sofi-bulk", "serveur", "compte", "organisme"],
        ["sofi-bulk", "serveur", "compte", "personnel"],
    ]
    assert accounts[0][4:] == ["ilf", "--siret", SIRET_A, "--nom", "Institut Ligérien de Formation"]
    assert start == ["sofi-bulk", "serveur", "--referentiel", "exemple"]
    for command in accounts:
        run(data, *command[2:])
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOFI_WEB_")}
    env["SOFI_WEB_EMAIL_DIR"] = str(mails)
    process = subprocess.Popen(
        [SOFI, "serveur", "--donnees", str(data), "--port", str(port), *start[2:]],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=2)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"sofi-bulk serveur did not start: {process.stdout.read()}")
            time.sleep(0.3)
    assert (data / "sofi-bulk.sqlite3").is_file()
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("telechargements")


@pytest.fixture(scope="module")
def browser(tmp_path_factory, downloads):
    for program in (CHROMIUM, CHROMEDRIVER):
        assert Path(program).is_file(), (
            f"{program} is missing: apt-get install chromium chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1000",
        "--lang=fr-FR",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    yield driver
    driver.quit()


def wait_for(driver, text: str, timeout: float = 60) -> None:
    """Until the page's <main> shows ``text``. While a new page loads, Chromium may answer
    about the old one's nodes ("does not belong to the document"): asked again, not failed."""
    WebDriverWait(
        driver, timeout, ignored_exceptions=(StaleElementReferenceException, WebDriverException)
    ).until(EC.text_to_be_present_in_element((By.TAG_NAME, "main"), text))


def main_text(driver) -> str:
    """The page's <main> text; "" while a new page replaces the old one."""
    try:
        return driver.find_element(By.TAG_NAME, "main").text
    except (StaleElementReferenceException, WebDriverException):
        return ""


def downloaded(folder: Path, suffix: str, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.suffix == suffix]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} file downloaded: {list(folder.iterdir())}")


def choose(driver, path: Path, button: str) -> None:
    driver.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(path))
    driver.find_element(By.XPATH, f"//button[normalize-space()='{button}']").click()


def test_check_the_example_then_a_faulty_workbook(server, browser, downloads, tmp_path):
    browser.get(server + "/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    not_a_workbook = tmp_path / "offre.xlsx"
    not_a_workbook.write_text("titre;date\nS001;10/02/2025\n", encoding="utf-8")
    choose(browser, not_a_workbook, "Contrôler le classeur")
    wait_for(browser, "Fichier refusé")
    assert "pas un classeur .xlsx" in browser.find_element(By.TAG_NAME, "main").text

    browser.get(server + "/")  # the server goes on
    choose(browser, ROOT / "examples" / "saisie-exemple.xlsx", "Contrôler le classeur")
    wait_for(browser, "Aucune erreur, aucun avertissement")
    assert "6 sessions" in browser.find_element(By.TAG_NAME, "main").text

    faulty = tmp_path / "saisie-a-corriger.xlsx"
    faulty.write_bytes(sample_for(SIRET_A, 3, break_it))
    browser.get(server + "/")
    choose(browser, faulty, "Contrôler le classeur")
    wait_for(browser, "3 erreurs, 0 avertissement")
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Sessions!" in main and "n'existe pas dans le calendrier" in main
    rows = browser.find_elements(By.CSS_SELECTOR, "table.problemes tbody tr")
    assert len(rows) == 3
    shot = browser.get_screenshot_as_png()
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("SOFI_UPDATE_DOCS"):
        browser.set_window_size(1100, 1500)
        (ROOT / "docs" / "rapport-web.png").write_bytes(browser.get_screenshot_as_png())

    for old in downloads.iterdir():
        old.unlink()
    browser.find_element(By.PARTIAL_LINK_TEXT, "Télécharger la copie annotée").click()
    copy = downloaded(downloads, ".xlsx")
    assert copy.name == "saisie-a-corriger-annotee.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(copy.read_bytes()))
    code = ERRORS_HEADERS.index("Code")
    codes = [r[code] for r in book["Erreurs"].iter_rows(min_row=4, values_only=True)]
    assert len(codes) == 3 and "date-impossible" in codes


def test_a_5000_session_workbook_shows_progress(server, browser, big_workbook):
    browser.get(server + "/")
    choose(browser, big_workbook, "Contrôler le classeur")
    wait_for(browser, "Contrôle en cours", timeout=30)
    bar = browser.find_element(By.TAG_NAME, "progress")
    assert int(bar.get_attribute("max")) == 2
    steps = set()
    deadline = time.monotonic() + 240
    while "Rapport de contrôle" not in main_text(browser):
        assert time.monotonic() < deadline, "the report never came"
        try:
            label = browser.find_elements(By.CSS_SELECTOR, "[data-label]")
            if label:
                steps.add(label[0].text.split(" :")[0])
        except (StaleElementReferenceException, WebDriverException):
            pass  # the page was being replaced by the next step's (as in wait_for)
        time.sleep(0.5)
    assert steps, "no step was shown"
    assert "5000 sessions" in browser.find_element(By.TAG_NAME, "main").text


def test_log_in_deposit_twice_and_see_the_difference(server, browser, tmp_path):
    browser.get(server + "/connexion/")
    browser.find_element(By.ID, "id_username").send_keys("ilf")
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD + Keys.ENTER)  # keyboard only
    wait_for(browser, "Dépôts de l'Institut Ligérien")

    first = tmp_path / "saisie.xlsx"
    first.write_bytes(sample_for(SIRET_A, 3))
    choose(browser, first, "Contrôler avant dépôt")
    wait_for(browser, "peut être déposé")
    browser.find_element(By.XPATH, "//button[normalize-space()='Déposer ce classeur']").click()
    wait_for(browser, "Premier dépôt")
    receipt = browser.find_element(By.TAG_NAME, "h1").text.split()[-1]
    assert receipt.startswith("SOFI-")

    def more_places(sample):
        from sofi_bulk.core.fields import SESSIONS_SHEET

        sample.set(SESSIONS_SHEET, "places", 0, 11)

    second = tmp_path / "saisie-v2.xlsx"
    second.write_bytes(sample_for(SIRET_A, 4, more_places))
    browser.get(server + "/depots/")
    choose(browser, second, "Contrôler avant dépôt")
    wait_for(browser, "peut être déposé")
    browser.find_element(By.XPATH, "//button[normalize-space()='Déposer ce classeur']").click()
    wait_for(browser, "Différences avec le dépôt précédent")
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "1 session ajoutée" in main and "S004" in main and receipt in main
    table = browser.find_element(By.CSS_SELECTOR, "table.modification").text
    assert "Nb places dispositif 8 11" in table
    browser.get(server + "/depots/")
    assert len(browser.find_elements(By.CSS_SELECTOR, "main table tbody tr")) == 2
    browser.find_element(
        By.XPATH, "//button[starts-with(normalize-space(), 'Se déconnecter')]"
    ).click()
    WebDriverWait(browser, 30).until(
        EC.presence_of_element_located((By.LINK_TEXT, "Se connecter pour déposer"))
    )


def test_staff_download_the_merged_lheo(server, browser, downloads):
    browser.get(server + "/connexion/")
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.ID, "id_username")))
    browser.find_element(By.ID, "id_username").send_keys("agent")
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD + Keys.ENTER)
    wait_for(browser, "Tous les dépôts")
    assert "1 organisme ayant déposé" in browser.find_element(By.TAG_NAME, "main").text
    for old in downloads.iterdir():
        old.unlink()
    browser.find_element(By.PARTIAL_LINK_TEXT, "offre LHEO fusionnée").click()
    merged = downloaded(downloads, ".xml")
    xml = merged.read_bytes()
    assert validate_lheo(xml) == []
    assert xml.count(b'<extra info="reference">') == 4  # the latest deposit's sessions


def log_out(browser) -> None:
    browser.find_element(
        By.XPATH, "//button[starts-with(normalize-space(), 'Se déconnecter')]"
    ).click()
    WebDriverWait(browser, 30).until(
        EC.presence_of_element_located((By.LINK_TEXT, "Se connecter pour déposer"))
    )


def test_the_readme_example_checked_before_login_is_deposited_after_it(server, browser):
    """The README's trial: its example workbook checked anonymously, then the trial's account
    logs in from the report, finds it there and deposits it without sending it again."""
    browser.delete_all_cookies()
    browser.get(server + "/")
    choose(browser, ROOT / "examples" / "depot-exemple.xlsx", "Contrôler le classeur")
    wait_for(browser, "Aucune erreur, aucun avertissement")
    report_url = browser.current_url
    browser.find_element(By.LINK_TEXT, "connectez-vous").click()
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.ID, "id_username")))
    browser.find_element(By.ID, "id_username").send_keys("ilf")
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD + Keys.ENTER)
    wait_for(browser, "Préparer le dépôt de ce classeur")
    assert browser.current_url == report_url  # the same check, kept across the login
    browser.find_element(
        By.XPATH, "//button[normalize-space()='Préparer le dépôt de ce classeur']"
    ).click()
    wait_for(browser, "peut être déposé")
    assert "PAS2025_1" in main_text(browser) and "PAS2025_2" in main_text(browser)
    browser.find_element(By.XPATH, "//button[normalize-space()='Déposer ce classeur']").click()
    wait_for(browser, "Numéro de récépissé")
    assert browser.find_element(By.TAG_NAME, "h1").text.split()[-1].startswith("SOFI-")
    log_out(browser)


def last_link(mails: Path, to: str, kind: str) -> str:
    """The link of the latest e-mail the server wrote for ``to`` (one file per sending)."""
    found = ""
    for path in sorted(mails.iterdir(), key=lambda p: p.stat().st_mtime):
        for message in path.read_text(encoding="utf-8").split("-" * 79):
            if f"To: {to}" in message:
                links = re.findall(rf"https?://\S+/{kind}/\S+/", message)
                found = links[-1] if links else found
    assert found, f"no {kind} e-mail for {to} in {list(mails.iterdir())}"
    return found


def choose_password(browser, password: str, title: str) -> None:
    wait_for(browser, title)
    browser.find_element(By.ID, "id_new_password1").send_keys(password)
    browser.find_element(By.ID, "id_new_password2").send_keys(password + Keys.ENTER)
    wait_for(browser, "Mot de passe enregistré")
    browser.find_element(By.LINK_TEXT, "Se connecter").click()


def log_in(browser, username: str, password: str, expect: str) -> None:
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.ID, "id_username")))
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(password + Keys.ENTER)
    wait_for(browser, expect)


def test_invitation_then_password_reset_by_e_mail(server, browser, trial_data, mails):
    """An organisation invited from the command line chooses its password from the e-mail's
    link, logs in; later it forgets it, asks for a link on the login page, and chooses
    another: the old one no longer opens the account."""
    port = server.rsplit(":", 1)[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOFI_WEB_")}
    env |= {"SOFI_WEB_EMAIL_DIR": str(mails), "SOFI_WEB_SITE": server}
    done = subprocess.run(
        [SOFI, "serveur", "--donnees", str(trial_data), "compte", "organisme", "horizons"]
        + ["--siret", SIRET_B, "--nom", "Horizons Compétences"]
        + ["--courriel", "accueil@horizons.fr", "--inviter"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "invitation envoyée à accueil@horizons.fr" in done.stdout
    invitation = last_link(mails, "accueil@horizons.fr", "invitation")
    assert invitation.startswith(f"http://127.0.0.1:{port}/invitation/")

    browser.delete_all_cookies()
    browser.get(invitation)
    first = "Premier-Choix-2026!"
    choose_password(browser, first, "Bienvenue : choisissez votre mot de passe")
    log_in(browser, "horizons", first, "Dépôts d'Horizons Compétences")
    log_out(browser)
    browser.get(invitation)  # spent: the password changed
    wait_for(browser, "Lien expiré ou déjà utilisé")

    browser.get(server + "/connexion/")
    browser.find_element(By.LINK_TEXT, "Mot de passe oublié ?").click()
    WebDriverWait(browser, 30).until(EC.presence_of_element_located((By.ID, "id_email")))
    browser.find_element(By.ID, "id_email").send_keys("accueil@horizons.fr" + Keys.ENTER)
    wait_for(browser, "Regardez vos e-mails")
    reset = last_link(mails, "accueil@horizons.fr", "mot-de-passe")
    assert reset.startswith(f"http://127.0.0.1:{port}/mot-de-passe/")
    browser.get(reset)
    second = "Second-Choix-2026!"
    choose_password(browser, second, "Choisir un nouveau mot de passe")
    log_in(browser, "horizons", first, "mot de passe valides")  # the old one: refused
    browser.get(server + "/connexion/")
    log_in(browser, "horizons", second, "Dépôts d'Horizons Compétences")
    log_out(browser)
