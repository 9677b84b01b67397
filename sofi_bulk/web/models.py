"""What the service keeps: organisations and their accounts, deposits and their files, and
the checks in progress with the worker processes that run them.

A deposit's files (workbook, JSON, LHEO) are stored in the database itself, in the same
transaction as the deposit's row: a deposit is there whole or not at all, even after a
crash, and backing up the database backs up everything. A check (``Job``) lives there too,
with its uploaded bytes and its report, so that any web process answers for it and a restart
loses nothing; it is deleted 30 minutes after it ends.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


def validate_siret(value: str) -> None:
    from sofi_bulk import api

    if not (len(value) == 14 and value.isascii() and value.isdigit() and api.siret_is_valid(value)):
        raise ValidationError(f"SIRET « {value} » invalide (14 chiffres, clé de contrôle).")


class Organisation(models.Model):
    """A training organisation's establishment: one per SIRET."""

    siret = models.CharField("SIRET", max_length=14, unique=True, validators=[validate_siret])
    name = models.CharField("nom", max_length=200)
    created_at = models.DateTimeField("créé le", default=timezone.now)

    class Meta:
        verbose_name = "organisme"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.siret})"


class Account(models.Model):
    """Links a login to the organisation it deposits for (staff accounts have none)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="accounts", verbose_name="organisme"
    )

    class Meta:
        verbose_name = "compte d'organisme"
        verbose_name_plural = "comptes d'organisme"

    def __str__(self) -> str:
        return f"{self.user} → {self.organisation}"


class RegionReferentiel(models.Model):
    """A référentiel of the Région loaded into the service (by the staff's page, or by
    ``--referentiel`` at startup): the authority every deposit is checked against. None is
    ever deleted; the one in service is the latest put in service (``in_service_since``), and
    one loaded but not yet put in service waits for the staff to read its report."""

    name = models.CharField("fichier", max_length=255)
    original = models.BinaryField("fichier d'origine", blank=True, default=b"")
    content = models.TextField("contenu")  # Referentiel.to_json(): what the workers load
    fingerprint = models.CharField("empreinte", max_length=64, db_index=True)
    summary = models.CharField("résumé", max_length=500)
    report = models.JSONField("rapport de vérification", default=list)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="chargé par",
    )
    loaded_at = models.DateTimeField("chargé le", default=timezone.now)
    in_service_since = models.DateTimeField("en service depuis", null=True, blank=True)

    class Meta:
        verbose_name = "référentiel de la Région"
        verbose_name_plural = "référentiels de la Région"
        ordering = ["-loaded_at", "-id"]
        indexes = [models.Index(fields=["in_service_since"], name="referentiel_in_service")]

    def __str__(self) -> str:
        return f"{self.name} ({self.fingerprint})"


class Deposit(models.Model):
    """One workbook deposited by an organisation, with what it contained and what changed."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="deposits", verbose_name="organisme"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="deposits",
        verbose_name="compte",
    )
    username = models.CharField("identifiant du déposant", max_length=150)
    # deposited by the Carif-Oref's staff for the organisation: said wherever it is shown
    by_staff = models.BooleanField("déposé par le Carif-Oref", default=False)
    receipt = models.CharField("numéro de récépissé", max_length=40, unique=True)
    created_at = models.DateTimeField("déposé le", default=timezone.now, db_index=True)
    workbook_name = models.CharField("classeur", max_length=255)
    sha256 = models.CharField("empreinte SHA-256 du classeur", max_length=64)
    tool_version = models.CharField("version de sofi-bulk", max_length=40)
    template_version = models.CharField("version du modèle", max_length=40)
    programme = models.CharField("programme", max_length=100)
    referentiel_fingerprint = models.CharField("empreinte du référentiel", max_length=64)
    referentiel_source = models.CharField("référentiel", max_length=255)
    referentiel = models.ForeignKey(  # the server's, the deposit was checked against
        RegionReferentiel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deposits",
        verbose_name="contrôlé avec le référentiel",
    )
    session_count = models.PositiveIntegerField("sessions")
    warning_count = models.PositiveIntegerField("avertissements", default=0)
    lots = models.JSONField("lots", default=list)
    previous = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    diff = models.JSONField("différences avec le dépôt précédent", null=True, blank=True)

    class Meta:
        verbose_name = "dépôt"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.receipt


class DepositLot(models.Model):
    """A lot a deposit covers, with its session count: staff browse deposits by lot."""

    deposit = models.ForeignKey(Deposit, on_delete=models.CASCADE, related_name="lot_rows")
    lot = models.CharField("lot", max_length=40, db_index=True)
    session_count = models.PositiveIntegerField("sessions")

    class Meta:
        verbose_name = "lot d'un dépôt"
        constraints = [models.UniqueConstraint(fields=["deposit", "lot"], name="one_row_per_lot")]


class DepositFile(models.Model):
    """A file of a deposit, kept in the database with its checksum."""

    WORKBOOK, JSON, LHEO = "classeur", "json", "lheo"
    KINDS = [(WORKBOOK, "Classeur"), (JSON, "Soumission JSON"), (LHEO, "LHEO 2.3")]

    deposit = models.ForeignKey(Deposit, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField("type", max_length=10, choices=KINDS)
    name = models.CharField("nom", max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField("taille")
    sha256 = models.CharField("empreinte SHA-256", max_length=64)
    data = models.BinaryField()

    class Meta:
        verbose_name = "fichier d'un dépôt"
        constraints = [
            models.UniqueConstraint(fields=["deposit", "kind"], name="one_file_per_kind")
        ]


class Job(models.Model):
    """A workbook checked in the background, for anyone (a check) or for an organisation that
    means to deposit it. Its state, step, report and files are here, never in one process's
    memory; the engine's task (``django_tasks_db``) only says which worker runs it."""

    CHECK, DEPOSIT = "verification", "depot"
    WAITING, RUNNING, DONE, REFUSED, FAILED = "attente", "en-cours", "termine", "refuse", "echec"
    ENDED = (DONE, REFUSED, FAILED)

    token = models.CharField(max_length=64, unique=True)
    owner = models.CharField(max_length=64)  # a secret kept in the browser's session
    # who sent it, for the limits per client (sofi_bulk.web.limits): « compte:ID » or
    # « adresse:IP »
    client = models.CharField(max_length=80, blank=True, db_index=True)
    purpose = models.CharField(max_length=12, choices=[(CHECK, "contrôle"), (DEPOSIT, "dépôt")])
    file_name = models.CharField(max_length=255)
    siret = models.CharField(max_length=14, blank=True)  # the depositing organisation
    size = models.PositiveIntegerField()
    priority = models.SmallIntegerField(default=0)
    state = models.CharField(max_length=10, default=WAITING, db_index=True)
    step = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    restarted = models.BooleanField(default=False)  # taken over after its worker stopped
    report = models.JSONField(null=True, blank=True)
    message = models.TextField(blank=True)  # refused or failed: why, in French
    can_retry = models.BooleanField(default=False)
    refusal = models.TextField(blank=True)  # a clean workbook this organisation cannot deposit
    # the server's référentiel it was checked against; None: the workbook's own copy, which
    # nothing vouches for (a check only: deposits need the server's)
    referentiel = models.ForeignKey(
        RegionReferentiel, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lots = models.JSONField(null=True, blank=True)  # deposit: lot -> sessions
    copy_state = models.CharField(max_length=10, blank=True)  # the annotated copy, on demand
    copy_task_id = models.CharField(max_length=64, blank=True)
    deposit = models.ForeignKey(
        Deposit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "contrôle en cours"
        verbose_name_plural = "contrôles en cours"

    def __str__(self) -> str:
        return f"{self.file_name} ({self.state})"

    @property
    def over(self) -> bool:
        return self.state in self.ENDED


class JobFile(models.Model):
    """A file of a job: the upload, its annotated copy, a deposit's JSON and LHEO. Apart from
    the job's row, so that following a job never loads them."""

    UPLOAD, COPY, JSON, LHEO = "classeur", "copie", "json", "lheo"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=10)
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "kind"], name="one_job_file_per_kind")
        ]


class WorkerProcess(models.Model):
    """A worker process, seen alive at ``seen_at``: the other workers take over the jobs of
    one that stopped beating, and ``/sante`` counts the living."""

    ident = models.CharField(max_length=32, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)
    peak_kib = models.PositiveIntegerField(default=0)  # peak resident memory

    class Meta:
        verbose_name = "processus de contrôle"
        verbose_name_plural = "processus de contrôle"

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"


class ResetRequest(models.Model):
    """A « Mot de passe oublié ? » request, kept for the limits on the e-mails it may send
    (``sofi_bulk.web.limits``): counted in the database, so that every web process sees the
    same counts. The address asked for is kept only as a keyed hash; the row is forgotten
    once it counts no more (an hour, or the interval between two e-mails if longer)."""

    # the requesting client, « adresse:IP » (the real one behind the trusted proxy)
    client = models.CharField(max_length=80)
    target = models.CharField(max_length=64)  # HMAC of the normalised e-mail address asked for
    sent = models.BooleanField(default=False)  # whether an e-mail left
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "demande de mot de passe oublié"
        verbose_name_plural = "demandes de mot de passe oublié"
        indexes = [
            models.Index(fields=["client", "created_at"], name="reset_by_client"),
            models.Index(fields=["target", "created_at"], name="reset_by_target"),
        ]

    WINDOW = dt.timedelta(hours=1)  # the limits' hour

    def __str__(self) -> str:
        return f"{self.client} {self.created_at:%Y-%m-%d %H:%M}"

    @classmethod
    def kept_for(cls) -> dt.timedelta:
        """How long a request counts for the limits: after that, its row is forgotten (by the
        workers' housekeeping)."""
        return max(cls.WINDOW, dt.timedelta(minutes=settings.RESET_INTERVAL_MINUTES))
