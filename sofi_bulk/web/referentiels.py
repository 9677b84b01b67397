"""The Région's référentiel the service holds: the authority for deposits.

It lives in the database (``RegionReferentiel``), so that every web process and every worker,
on every machine, checks against the same one, and a new one takes effect everywhere at once.
The staff load one from their page (its ``referentiel verifier`` report is shown before they
put it in service); ``--referentiel`` at startup puts a file in service once, if its content
was never in service before (a restart with the same file changes nothing, and does not undo
a newer one loaded by the staff). Every référentiel stays: each deposit names the one it was
checked against.

Without one, a check uses the copy of the référentiel the workbook carries (its page says that
nothing vouches for that copy: a user can edit it and recompute its fingerprint), and deposits
are refused (``NO_REFERENTIEL``). Each process keeps the référentiel it last read, and reads
the database again only when another one is in service.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from sofi_bulk.core.errors import UserError
from sofi_bulk.web.models import RegionReferentiel

if TYPE_CHECKING:
    from sofi_bulk.api import Referentiel

NO_REFERENTIEL = (
    "Ce service n'a pas de référentiel de la Région : les dépôts sont fermés, car la copie du "
    "référentiel que porte un classeur ne peut pas être vérifiée. Le personnel du Carif-Oref "
    "le charge dans la page « Référentiel » (menu du personnel), ou l'exploitant au démarrage "
    "du service : sofi-bulk serveur --referentiel extraction-region.xlsx."
)
CHANGED = (
    "Le référentiel de la Région a changé depuis ce contrôle : contrôlez à nouveau le classeur "
    "avant de le déposer."
)
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")

_lock = threading.Lock()
_cache: dict[Any, Referentiel] = {}


def in_service() -> RegionReferentiel | None:
    """The référentiel in service (its row, without its content), or None."""
    return (
        RegionReferentiel.objects.filter(in_service_since__isnull=False)
        .defer("content", "original", "report")
        .order_by("-in_service_since", "-id")
        .first()
    )


def server_referentiel() -> tuple[int | None, Referentiel | None]:
    """The référentiel in service and its id; (None, None) when the service has none."""
    row = in_service()
    if row is None:
        return None, None
    return row.pk, _load_row(row.pk, row.fingerprint)


def referentiel_of(pk: int) -> Referentiel:
    fingerprint = RegionReferentiel.objects.values_list("fingerprint", flat=True).get(pk=pk)
    return _load_row(pk, fingerprint)


def _load_row(pk: int, fingerprint: str) -> Referentiel:
    key = (pk, fingerprint)
    with _lock:
        if key not in _cache:
            from sofi_bulk import api

            row = RegionReferentiel.objects.only("name", "content").get(pk=pk)
            _cache.clear()  # one at a time: the previous one is let go
            _cache[key] = api.Referentiel.from_json(row.content, source=row.name)
        return _cache[key]


def template_referentiel() -> Referentiel:
    """The référentiel blank templates are made from: the one in service, or the bundled
    example."""
    _, ref = server_referentiel()
    if ref is not None:
        return ref
    with _lock:
        if "exemple" not in _cache:
            from sofi_bulk import api

            _cache["exemple"] = api.load_referentiel(None)
        return _cache["exemple"]


# --- loading a new one --------------------------------------------------------------------------
def load_upload(name: str, data: bytes, user: Any) -> RegionReferentiel:
    """A référentiel uploaded by the staff, read and verified, stored but not yet in service;
    ``UserError`` (French, naming sheet, row and column) for one that cannot be used."""
    name = PurePath(name or "referentiel.xlsx").name[:200]
    if not name.lower().endswith(SUFFIXES):
        raise UserError(
            f"{name} : un référentiel se charge ici en classeur (.xlsx, .xls ou .ods). Un "
            "dossier de fichiers CSV se donne au démarrage du service : sofi-bulk serveur "
            "--referentiel DOSSIER."
        )
    with tempfile.TemporaryDirectory(prefix="sofi-referentiel-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            ref = _read(path)
        except UserError as exc:  # the messages name the file as the staff know it
            raise UserError(str(exc).replace(str(path), name)) from exc
    ref.source = name
    return _store(ref, name, data, user)


def _read(path: Path) -> Referentiel:
    """Read and verify as ``sofi-bulk referentiel verifier`` does (a référentiel no template
    could be made from is refused)."""
    from sofi_bulk import api

    ref = api.load_referentiel(path)
    api.select_lots(ref, programme=api.load_profile())
    return ref


def _store(ref: Referentiel, name: str, original: bytes, user: Any) -> RegionReferentiel:
    from sofi_bulk import api

    lines = api.referentiel_report(ref)
    return RegionReferentiel.objects.create(
        name=name,
        original=original,
        content=ref.to_json(),
        fingerprint=ref.fingerprint(),
        summary=lines[0].text[:500],
        report=[
            {"level": line.level, "long": line.long, "segments": [list(s) for s in line.segments]}
            for line in lines
        ],
        loaded_by=user,
    )


def put_in_service(row: RegionReferentiel) -> None:
    RegionReferentiel.objects.filter(pk=row.pk).update(in_service_since=timezone.now())


def install_at_startup(path: str) -> str:
    """``--referentiel``: put the file in service if its content never was; a French line
    saying what the service uses. Called under the migrations' lock, so that processes
    starting together install it once."""
    ref = _read(Path(path))
    name = Path(path).name
    ref.source = name
    fingerprint = ref.fingerprint()
    current = in_service()
    if RegionReferentiel.objects.filter(
        fingerprint=fingerprint, in_service_since__isnull=False
    ).exists():
        if current is not None and current.fingerprint != fingerprint:
            return (
                f"Référentiel en service : {current.name} (chargé le "
                f"{timezone.localtime(current.loaded_at):%d/%m/%Y}) ; {name}, déjà mis en "
                "service auparavant, ne le remplace pas."
            )
        return f"Référentiel en service : {name}."
    original = Path(path).read_bytes() if Path(path).is_file() else b""
    with transaction.atomic():
        row = _store(ref, name, original, None)
        put_in_service(row)
    return f"Référentiel mis en service : {name} ({ref.fingerprint()})."
