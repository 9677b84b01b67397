"""Recording a deposit and reading deposits back: one transaction for the rows and the
files, the difference from the previous deposit, and the merged LHEO file of the latest
deposit of every organisation."""

from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import PurePath
from typing import Any

from django.db import transaction
from django.utils import timezone

from sofi_bulk import __version__
from sofi_bulk.web import diff
from sofi_bulk.web.jobs import LHEO_LOCK, file_of
from sofi_bulk.web.models import Deposit, DepositFile, DepositLot, Job, JobFile, Organisation
from sofi_bulk.web.report import Report

CONTENT_TYPES = {
    DepositFile.WORKBOOK: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    DepositFile.JSON: "application/json",
    DepositFile.LHEO: "application/xml",
}
SUFFIXES = {DepositFile.WORKBOOK: ".xlsx", DepositFile.JSON: ".json", DepositFile.LHEO: ".xml"}


def file_name(deposit: Deposit, kind: str) -> str:
    """« SOFI-20261127-000012-saisie.xlsx » (.json, .xml): the receipt, then the workbook's
    own name."""
    stem = PurePath(deposit.workbook_name).stem or "classeur"
    return f"{deposit.receipt}-{stem}{SUFFIXES[kind]}"


def create_deposit(
    job: Job, user: Any, organisation: Organisation, *, by_staff: bool = False
) -> Deposit:
    """Store the checked workbook, its JSON and LHEO (as the worker prepared them): all of it,
    or nothing. ``by_staff``: a Carif-Oref account deposits for the organisation (the
    deposit says so everywhere it is shown)."""
    workbook, json_bytes, lheo = (
        file_of(job, kind) for kind in (JobFile.UPLOAD, JobFile.JSON, JobFile.LHEO)
    )
    if workbook is None or json_bytes is None or lheo is None or not job.report or not job.lots:
        raise ValueError("nothing to deposit")
    if job.referentiel_id is None:  # checked against the workbook's own copy: never deposited
        raise ValueError("not checked against the server's référentiel")
    report = Report.from_json(job.report)
    submission = json.loads(json_bytes)
    header = submission["header"]
    with transaction.atomic():
        # one deposit at a time per organisation, so that each compares with the one before
        Organisation.objects.select_for_update().get(pk=organisation.pk)
        previous = (
            Deposit.objects.filter(organisation=organisation).order_by("-created_at", "-id").first()
        )
        before = None
        if previous is not None:
            stored = previous.files.filter(kind=DepositFile.JSON).first()
            before = json.loads(bytes(stored.data)) if stored is not None else None
        now = timezone.now()
        deposit = Deposit.objects.create(
            organisation=organisation,
            user=user,
            username=user.get_username(),
            by_staff=by_staff,
            receipt=f"en-cours-{secrets.token_hex(8)}",  # numbered once the row has its id
            created_at=now,
            workbook_name=job.file_name[:255],
            sha256=hashlib.sha256(workbook).hexdigest(),
            tool_version=__version__,
            template_version=str(header.get("template_version", "")),
            programme=str(header.get("programme_label") or header.get("programme", "")),
            referentiel=job.referentiel,
            referentiel_fingerprint=job.referentiel.fingerprint if job.referentiel else "",
            referentiel_source=job.referentiel.name if job.referentiel else "",
            session_count=int(header.get("session_count", 0)),
            warning_count=report.warning_count,
            lots=list(job.lots),
            previous=previous,
            diff=diff.compare(before, submission) if previous is not None else None,
        )
        deposit.receipt = f"SOFI-{timezone.localtime(now):%Y%m%d}-{deposit.pk:06d}"
        deposit.save(update_fields=["receipt"])
        DepositLot.objects.bulk_create(
            DepositLot(deposit=deposit, lot=lot, session_count=n) for lot, n in job.lots.items()
        )
        for kind, data in (
            (DepositFile.WORKBOOK, workbook),
            (DepositFile.JSON, json_bytes),
            (DepositFile.LHEO, lheo),
        ):
            DepositFile.objects.create(
                deposit=deposit,
                kind=kind,
                name=file_name(deposit, kind),
                content_type=CONTENT_TYPES[kind],
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                data=data,
            )
    return deposit


def latest_deposits() -> list[Deposit]:
    """The latest deposit of every organisation that has deposited, by organisation name."""
    latest = []
    for organisation in Organisation.objects.order_by("name"):
        deposit = organisation.deposits.order_by("-created_at", "-id").first()
        if deposit is not None:
            latest.append(deposit)
    return latest


def merged_lheo(deposits: list[Deposit]) -> bytes:
    """One LHEO 2.3 document holding the offers of every deposit given, checked by the XSD."""
    from sofi_bulk import api

    documents = [bytes(d.files.get(kind=DepositFile.LHEO).data) for d in deposits]
    with LHEO_LOCK:
        return api.merge_lheo(documents)
