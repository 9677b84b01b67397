"""What the service keeps: organisations and their accounts, deposits and their files.

A deposit's files (workbook, JSON, LHEO) are stored in the database itself, in the same
transaction as the deposit's row: a deposit is there whole or not at all, even after a
crash, and backing up the database backs up everything.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from sofi_bulk.core.values import siret_is_valid


def validate_siret(value: str) -> None:
    if not (len(value) == 14 and value.isdigit() and siret_is_valid(value)):
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
    receipt = models.CharField("numéro de récépissé", max_length=40, unique=True)
    created_at = models.DateTimeField("déposé le", default=timezone.now, db_index=True)
    workbook_name = models.CharField("classeur", max_length=255)
    sha256 = models.CharField("empreinte SHA-256 du classeur", max_length=64)
    tool_version = models.CharField("version de sofi-bulk", max_length=40)
    template_version = models.CharField("version du modèle", max_length=40)
    programme = models.CharField("programme", max_length=100)
    referentiel_fingerprint = models.CharField("empreinte du référentiel", max_length=64)
    referentiel_source = models.CharField("référentiel", max_length=255)
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
