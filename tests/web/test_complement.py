"""« Contrôler dans Excel »: the page a user follows, the two texts it gives (naming this
service's address as its users reach it), and the wheel they name, readable from xlwings
Lite's origin on its two addresses and on nothing else of the service."""

from __future__ import annotations

import hashlib
import html
import io
import re
import zipfile

import pytest
from django.test import override_settings

from sofi_bulk import __version__, api
from sofi_bulk.web import complement
from tests.conftest import ROOT

WHEEL = f"/complement/sofi_bulk-{__version__}-py3-none-any.whl"
LITE = "https://addin.xlwings.org"  # the origin of xlwings Lite's task pane


@pytest.fixture(autouse=True)
def hosts(settings):
    """The service's names: the machine's own, and its public name (``--nom-public`` adds it)."""
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver", "depot.exemple.fr"]


def textarea(page: str, name: str) -> str:
    found = re.search(rf'<textarea id="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, name
    return html.unescape(found.group(1))


def test_the_page_gives_the_texts_to_paste_and_the_steps(client, db):
    response = client.get("/complement/", HTTP_HOST="127.0.0.1:8001")
    assert response.status_code == 200
    page = response.content.decode()
    assert textarea(page, "requirements") == (
        f"xlwings>=0.37.8,<0.38\nhttp://127.0.0.1:8001{WHEEL}\n"
    )
    main_py = textarea(page, "main-py")
    assert main_py == api.addin_main() == (ROOT / "addin" / "main.py").read_text(encoding="utf-8")
    for said in (
        "Ajouter",  # 1. xlwings Lite from the Office store
        "onglet <strong>requirements.txt</strong>",  # 2. paste
        "Onglet <strong>main.py</strong>",
        "cliquez sur <strong>Contrôler</strong>",  # 3. click
        "depuis PyPI et le dépôt de Pyodide",  # where the dependencies come from
        f"sofi-bulk {__version__}",
    ):
        assert said in page, said
    assert "sans chiffrement" not in page  # the loopback may be fetched from an https page
    assert "Access-Control-Allow-Origin" not in response


def test_an_unencrypted_address_elsewhere_is_said_to_fail(client, db):
    page = client.get("/complement/", HTTP_HOST="depot.exemple.fr").content.decode()
    assert "http://depot.exemple.fr/complement/" in textarea(page, "requirements")
    assert "Ce service est servi sans chiffrement" in page
    secure = client.get("/complement/", HTTP_HOST="depot.exemple.fr", secure=True).content.decode()
    assert "https://depot.exemple.fr/complement/" in textarea(secure, "requirements")
    assert "sans chiffrement" not in secure


@override_settings(PUBLIC_NAMES=["depot.exemple.fr"], HTTPS=True)
def test_a_visit_on_the_machine_itself_names_the_public_address(client, db):
    """``--nom-public``: what users paste must name the service as they reach it."""
    for host in ("127.0.0.1:8001", "localhost"):
        page = client.get("/complement/", HTTP_HOST=host).content.decode()
        assert textarea(page, "requirements").splitlines()[1] == f"https://depot.exemple.fr{WHEEL}"
    page = client.get("/complement/", HTTP_HOST="depot.exemple.fr", secure=True).content.decode()
    assert textarea(page, "requirements").splitlines()[1] == f"https://depot.exemple.fr{WHEEL}"


def through_wsgi(peer: str, proxies: list[str], path: str = "/complement/") -> str:
    """The page served by the WSGI stack of ``sofi-bulk serveur`` (trusted proxies first)."""
    from django.core.wsgi import get_wsgi_application

    from sofi_bulk.service.http import behind_proxies

    environ = {
        "REMOTE_ADDR": peer,
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8001",
        "HTTP_HOST": "127.0.0.1:8001",
        "HTTP_X_FORWARDED_FOR": "203.0.113.9",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_HOST": "depot.exemple.fr",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
    }
    status = []
    body = b"".join(
        behind_proxies(get_wsgi_application(), proxies)(environ, lambda s, h, *a: status.append(s))
    )
    assert status[0].startswith("200"), (status, body[:500])
    return body.decode()


def test_behind_a_trusted_proxy_the_forwarded_scheme_and_host_are_named(db):
    page = through_wsgi("10.0.0.5", ["10.0.0.0/24"])
    assert textarea(page, "requirements").splitlines()[1] == f"https://depot.exemple.fr{WHEEL}"
    # the same headers from anyone else are dropped: the request's own address is named
    page = through_wsgi("192.0.2.50", ["10.0.0.0/24"])
    assert textarea(page, "requirements").splitlines()[1] == f"http://127.0.0.1:8001{WHEEL}"


# --- the wheel ----------------------------------------------------------------------------------
def test_the_wheel_is_the_running_version_readable_from_xlwings_lite(client, db):
    response = client.get(WHEEL, HTTP_ORIGIN=LITE)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response["Access-Control-Allow-Methods"]
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    data = response.content
    assert response["ETag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    with zipfile.ZipFile(io.BytesIO(data)) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(f"sofi_bulk-{__version__}.dist-info/METADATA").decode()
        shipped_main = wheel.read("sofi_bulk/_bundled/addin/main.py").decode()
    assert "Name: sofi-bulk" in metadata and f"Version: {__version__}" in metadata
    assert "sofi_bulk/lite/scripts.py" in names and shipped_main == api.addin_main()
    # unchanged: answered 304, still readable cross-origin
    again = client.get(WHEEL, HTTP_ORIGIN=LITE, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again["Access-Control-Allow-Origin"] == "*"
    head = client.head(WHEEL, HTTP_ORIGIN=LITE)
    assert head.status_code == 200 and head["Access-Control-Allow-Origin"] == "*"


def test_a_preflight_is_answered_on_the_wheel_and_the_stable_address(client, db):
    for path in (WHEEL, "/complement/derniere"):
        response = client.options(path, HTTP_ORIGIN=LITE, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
        assert response.status_code == 204, path
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "GET" in response["Access-Control-Allow-Methods"]


def test_the_stable_address_leads_to_the_current_wheel(client, db):
    response = client.get("/complement/derniere", HTTP_ORIGIN=LITE, HTTP_HOST="127.0.0.1:8001")
    assert response.status_code == 302
    assert response["Location"] == f"http://127.0.0.1:8001{WHEEL}"
    assert response["Access-Control-Allow-Origin"] == "*"  # a browser checks each hop
    followed = client.get("/complement/derniere", follow=True, HTTP_HOST="127.0.0.1:8001")
    assert followed.content == client.get(WHEEL).content


def test_another_version_says_where_the_current_one_is(client, db):
    response = client.get(
        "/complement/sofi_bulk-0.0.1-py3-none-any.whl", HTTP_ORIGIN=LITE, HTTP_HOST="127.0.0.1"
    )
    assert response.status_code == 404
    assert response["Access-Control-Allow-Origin"] == "*"  # so that the installer can read it
    text = response.content.decode()
    assert text.startswith("sofi-bulk 0.0.1 n'est plus servi ici : ce service fait tourner")
    assert "http://127.0.0.1/complement/" in text


@pytest.mark.parametrize(
    "path", ["/", "/complement/", "/modele/", "/sante", "/connexion/", "/static/web/style.css"]
)
def test_no_other_address_is_readable_cross_origin(client, db, path):
    response = client.get(path, HTTP_ORIGIN=LITE)
    assert response.status_code in (200, 503), path
    assert "Access-Control-Allow-Origin" not in response, path
    options = client.options(path, HTTP_ORIGIN=LITE, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert "Access-Control-Allow-Origin" not in options, path


def test_the_wheel_is_built_once_per_process(client, db, monkeypatch):
    built = []

    def counted() -> bytes:
        built.append(1)
        return b"PK-stand-in"

    monkeypatch.setattr(complement, "_wheel", {})
    monkeypatch.setattr(complement.api, "addin_wheel", counted)
    for _ in range(3):
        assert client.get(WHEEL).content == b"PK-stand-in"
    assert client.get("/complement/").status_code == 200
    assert built == [1]
