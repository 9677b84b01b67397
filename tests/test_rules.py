"""Each rule of the procedure, with a passing and a failing case, on plain rows of values.

The core never sees a file here: rows of the sample workbook are mutated in memory and
validated, which is exactly what the CLI and the Excel add-in feed it.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import replace

import pytest

from sofi_bulk.core.fields import INFOS_SHEET, PERIODES_SHEET, SESSIONS_SHEET
from sofi_bulk.core.issues import ISSUE_TYPES, Severity
from sofi_bulk.core.layout import FIRST_DATA_ROW, HEADER_ROW, column_of
from sofi_bulk.core.validate import validate_book
from tests.conftest import TODAY, run_validation


def put(book, sheet: str, key: str, index: int, value, part: int = 0) -> str:
    """Set a cell of data row ``index`` (0-based) by field key; return its A1 reference."""
    col = column_of(sheet, key, part)
    rows = book.sheets[sheet]
    r = FIRST_DATA_ROW - 1 + index
    while len(rows) <= r:
        rows.append([])
    row = rows[r]
    while len(row) < col.index:
        row.append(None)
    row[col.index - 1] = value
    return f"{col.letter}{r + 1}"


def found(result) -> set[tuple[str, str | None]]:
    return {(i.code, i.cell) for i in result.issues}


def assert_only(result, code: str, cell: str | None, severity: Severity = Severity.ERROR):
    assert found(result) == {(code, cell)}, [(i.code, i.cell, i.message) for i in result.issues]
    issue = result.issues[0]
    assert issue.severity is severity
    assert issue.message and "{" not in issue.message


def test_the_sample_is_clean(book):
    result = run_validation(book)
    assert result.issues == [] and len(result.sessions) == 6 and len(result.infos) == 6


CELL_CASES = [
    # (rule, key, value, expected code); each row of the sample is otherwise valid
    ("obligatoire", "places", None, "champ-obligatoire"),
    ("obligatoire (espaces)", "start_date", "   ", "champ-obligatoire"),
    ("valeur imposée", "title", "PREPA Avenir", "valeur-imposee"),
    ("valeur imposée effacée", "dispositif", None, "valeur-imposee"),
    ("liste", "rhythm", "mi-temps", "code-inconnu"),
    ("liste du programme", "pathway_type", "1 - en groupe (non personnalisable)", "code-non-admis"),
    ("longueur", "highlight", "x" * 251, "texte-trop-long"),
    ("date réelle", "end_date", "31/04/2025", "date-impossible"),
    ("date lisible", "end_date", "fin mai", "date-invalide"),
    ("campagne", "start_date", "10/02/2026", "date-hors-campagne"),
    ("avant la campagne", "start_date", "31/12/2024", "date-hors-campagne"),
    ("fin après début", "end_date", "01/01/2025", "dates-inversees"),
    ("places > 0", "places", 0, "nombre-hors-limites"),
    ("entier", "places", "12,5", "entier-attendu"),
    ("nombre", "centre_hours", "deux cents", "nombre-invalide"),
    (
        "organisme = mandataire",
        "responsible_org",
        "49281345600018 - Horizons Compétences",
        "organisme-responsable",
    ),
    ("SIRET", "responsible_org", "44198765800017", "siret-invalide"),
    ("URL", "action_url", "www.ilf-formation.fr", "url-invalide"),
    ("URL vidéo", "video_url", "https://vimeo.com/12345", "url-video-invalide"),
    ("e-mail", "liaison_email", "sessions@ilf", "email-invalide"),
    ("e-mail trop long", "liaison_email", "a" * 150 + "@ilf-formation.fr", "email-invalide"),
    ("site connu", "site", "99999", "site-inconnu"),
    ("site du lot", "site", "41210 - Horizons Angers - Principal", "site-hors-lot"),
    ("site dispensateur du lot", "delivery_site", "41233", "site-hors-lot"),
    ("contact connu", "pmr_contact", "9999", "contact-inconnu"),
    ("contact du lot", "mobility_contact", "2210 - Sophie Bernard", "contact-hors-lot"),
    ("lot connu", "lot", "PAS2099_1", "lot-inconnu"),
    ("lot hors du classeur", "lot", "UEF2025_7", "lot-inconnu"),
    ("code externe", "cr_action_id", "9999", "code-externe"),
    ("code FAS", "fas_code", "19482/89393", "code-fas-invalide"),
    ("places restantes", "places_remaining", 40, "places-restantes"),
    ("effectif ≤ capacité", "min_headcount", 30, "effectif-capacite"),
    ("frais TTC", "fee_incl_tax", "3 850,00", "frais-ttc"),
    ("Certifinfo", "certifinfo_code", "12345", "certifinfo-incoherent"),
    ("ESP du programme", "entry_exit_mode", "Entrees/sorties permanentes", "code-non-admis"),
    ("niveau d'entrée imposé", "entry_level", "1 - sans niveau spécifique", "valeur-imposee"),
    ("code FAS à quatre parties", "fas_code", "19482-89393-143842-1", "code-fas-invalide"),
    ("code FAS S sans A", "fas_code", "19482--143842", "code-fas-invalide"),
    ("modalités pédagogiques codées", "teaching_methods", "au choix", "code-inconnu"),
    (
        "à distance hors établissement",  # « en établissement de formation » is the default
        "delivery_mode",
        "2 - formation entièrement à distance",
        "enseignement-distance-etablissement",
    ),
]


@pytest.mark.parametrize("rule, key, value, code", CELL_CASES, ids=[c[0] for c in CELL_CASES])
def test_rule_fails_on_its_cell(book, rule, key, value, code):
    if key == "start_date" and value.strip():
        put(book, SESSIONS_SHEET, "end_date", 0, "30/06/2026")
    cell = put(book, SESSIONS_SHEET, key, 0, value)
    assert_only(run_validation(book), code, cell)


PASSING = [
    ("places", "12"),
    ("places", 12.0),
    ("end_date", dt.datetime(2025, 6, 30)),
    ("highlight", "x" * 250),
    ("video_url", "https://cdn.ilf-formation.fr/presentation.MP4"),
    ("video_url", "https://youtu.be/dQw4w9WgXcQ"),
    ("liaison_email", "Sessions.Nantes@ilf-formation.fr"),
    ("responsible_org", 44198765800016),
    ("responsible_org", "441 987 658 00016"),
    ("site", "36371 - ILF Nantes - Île de Nantes"),
    ("cr_action_id", None),
    ("cr_action_id", "2868"),
    ("fee_incl_tax", "3840"),
    ("vat_rate", 0.2),
    ("pathway_type", "individualisé"),
    ("rhythm", "TEMPS PARTIEL"),
    ("entry_exit_mode", "Entrées/sorties séquencées"),
    ("entry_exit_mode", "entrées/sorties cadencées"),
    ("fas_code", "19482-89393"),  # a new session in an existing action
    ("fas_code", "19482"),  # a new action in an existing formation
    ("fas_code", 19482),  # typed as a number
    ("fas_code", "19482 – 89393"),  # spaces and a dash as autocorrect writes it
    ("teaching_methods", "en établissement de formation et FOAD"),
    ("realisation_site", "36371 - ILF Nantes - Île de Nantes"),
    ("places_remaining", 0),
    ("delivery_mode", "formation mixte"),
]


@pytest.mark.parametrize("key, value", PASSING)
def test_rule_passes_on_valid_values(book, key, value):
    put(book, SESSIONS_SHEET, key, 0, value)
    result = run_validation(book)
    assert result.issues == [], [(i.code, i.cell, i.message) for i in result.issues]


def test_campaign_year_comes_from_the_lot(book, referentiel, profile):
    lot = replace(referentiel.lots["PAS2025_1"], annee=2026)
    ref = type(referentiel)(
        **{**referentiel.__dict__, "lots": {**referentiel.lots, "PAS2025_1": lot}}
    )
    cell = put(book, SESSIONS_SHEET, "start_date", 0, "10/02/2026")
    put(book, SESSIONS_SHEET, "end_date", 0, "10/05/2026")
    result = validate_book(book, profile, ref, today=TODAY)
    # row 0 now starts in 2026 as its lot says; row 5, same lot, still starts in 2025
    other = f"{column_of(SESSIONS_SHEET, 'start_date').letter}{FIRST_DATA_ROW + 5}"
    assert {(i.code, i.cell) for i in result.issues if i.code == "date-hors-campagne"} == {
        ("date-hors-campagne", other)
    }
    assert "2026" in result.issues[0].message
    put(book, SESSIONS_SHEET, "start_date", 0, "10/02/2025")
    put(book, SESSIONS_SHEET, "end_date", 0, "10/05/2025")
    assert ("date-hors-campagne", cell) in found(validate_book(book, profile, ref, today=TODAY))


def test_a_lot_of_a_campaign_that_is_over_is_warned_once_per_lot(region_book):
    """On 7 December 2026 the lots of a Région's référentiel of campaign 2025 are left from a
    past campaign: one warning per lot, on its first row; the sessions stay refused outside
    2025."""
    from sofi_bulk.api import check

    book = region_book
    result = check(book, today=dt.date(2026, 12, 7))
    lot = column_of(SESSIONS_SHEET, "lot").letter
    # rows 0 to 4: the first row of each of the five lots (row 5 is PAS2025_1's second)
    assert found(result) == {
        ("campagne-a-verifier", f"{lot}{FIRST_DATA_ROW + i}") for i in range(5)
    }
    assert result.ok and {i.severity for i in result.issues} == {Severity.WARNING}
    assert result.issues[0].message == (
        "« Numéro lot CR » : le lot PAS2025_1 est de la campagne 2025 ; au 07/12/2026 (date du "
        "contrôle), la campagne attendue est 2026 ou 2027. Vérifiez que le modèle a été généré "
        "avec le référentiel de la campagne en cours."
    )
    # this year's campaign, or next year's (entered from the autumn on): nothing to say
    for today in (dt.date(2024, 9, 2), dt.date(2025, 12, 31)):
        assert check(book, today=today).issues == []
    assert {i.code for i in check(book, today=dt.date(2023, 12, 31)).issues} == {
        "campagne-a-verifier"  # two years ahead
    }
    put(book, SESSIONS_SHEET, "start_date", 0, "05/01/2026")  # this year, outside the campaign
    cell = f"{column_of(SESSIONS_SHEET, 'start_date').letter}{FIRST_DATA_ROW}"
    assert ("date-hors-campagne", cell) in found(check(book, today=dt.date(2026, 1, 2)))


def test_the_bundled_example_s_lots_are_never_of_a_campaign_that_is_over(book):
    """The example référentiel's lots are fictitious, of the campaign the procedure's text
    names (2025): whatever the day, no warning; a session outside 2025 is still refused."""
    from sofi_bulk.api import check

    for today in (dt.date(2026, 12, 7), dt.date(2031, 6, 1), dt.date(2023, 12, 31)):
        result = check(book, today=today)
        assert result.issues == [], [(i.code, i.cell) for i in result.issues]
        assert result.referentiel.example
    cell = put(book, SESSIONS_SHEET, "start_date", 0, "05/01/2026")
    for today in (dt.date(2026, 1, 2), dt.date(2026, 12, 7)):
        issues = found(check(book, today=today))  # (and the end, now before the start)
        assert ("date-hors-campagne", cell) in issues
        assert "campagne-a-verifier" not in {code for code, _ in issues}


def test_the_core_spares_only_a_referentiel_said_to_be_the_example(book, referentiel, profile):
    """The core is told, never guesses: the same lots warned until the référentiel says it is
    the bundled example (a fact kept out of its data and fingerprint)."""
    ref = validate_book(copy.deepcopy(book), profile, referentiel, today=TODAY).referentiel
    assert not ref.example  # read from the example's file: the core's data alone
    later = dt.date(2026, 12, 7)
    warned = validate_book(copy.deepcopy(book), profile, referentiel, today=later)
    assert {i.code for i in warned.issues} == {"campagne-a-verifier"} and len(warned.issues) == 5
    example = replace(referentiel, example=True)
    assert example == referentiel and example.fingerprint() == referentiel.fingerprint()
    assert example.to_json() == referentiel.to_json() and example.subset([]).example
    assert validate_book(copy.deepcopy(book), profile, example, today=later).issues == []


def test_a_lot_without_a_year_takes_the_programme_s_campaign(book, referentiel, profile):
    lot = replace(referentiel.lots["PAS2025_1"], annee=None)
    ref = type(referentiel)(
        **{**referentiel.__dict__, "lots": {**referentiel.lots, "PAS2025_1": lot}}
    )
    assert validate_book(book, profile, ref, today=TODAY).issues == []  # the programme: 2025
    result = validate_book(book, profile, ref, today=dt.date(2027, 3, 1))
    first = f"{column_of(SESSIONS_SHEET, 'lot').letter}{FIRST_DATA_ROW}"
    message = next(i.message for i in result.issues if i.cell == first)
    assert "campagne 2025 (celle du programme : le lot n'en donne pas)" in message
    assert "la campagne attendue est 2027 ou 2028" in message


def test_lot_of_another_programme_with_the_full_referentiel(book, referentiel, profile):
    cell = put(book, SESSIONS_SHEET, "lot", 0, "UEF2025_7")
    result = validate_book(book, profile, referentiel, today=TODAY)
    assert_only(result, "lot-autre-programme", cell)
    assert "1 emploi = 1 formation" in result.issues[0].message


def test_information_collective_is_required_per_session(book):
    for index, row in enumerate(book.sheets[INFOS_SHEET][FIRST_DATA_ROW - 1 :]):
        if row and row[column_of(INFOS_SHEET, "ic_session").index - 1] == "S002":
            book.sheets[INFOS_SHEET][FIRST_DATA_ROW - 1 + index] = [None] * len(row)
    result = run_validation(book)
    assert_only(
        result, "info-collective-manquante", f"{column_of(SESSIONS_SHEET, 'session_ref').letter}4"
    )
    assert "S002" in result.issues[0].message and "Kairos" in result.issues[0].message


def test_child_rows_must_point_at_a_session(book):
    cell = put(book, INFOS_SHEET, "ic_session", 6, "S999")
    put(book, INFOS_SHEET, "ic_date", 6, "01/01/2025")
    put(book, INFOS_SHEET, "ic_site", 6, "36364")
    assert_only(run_validation(book), "session-inconnue", cell)
    put(book, INFOS_SHEET, "ic_session", 6, "s001")  # the reference is matched without case
    assert run_validation(book).issues == []


def test_child_dates_before_the_session_starts(book):
    cell = put(book, INFOS_SHEET, "ic_date", 0, "31/12/2025")
    assert_only(run_validation(book), "date-apres-debut-session", cell)
    book2 = book
    put(book2, INFOS_SHEET, "ic_date", 0, "01/01/2025")
    cell = put(book2, PERIODES_SHEET, "pi_start", 0, "31/12/2025")
    put(book2, PERIODES_SHEET, "pi_end", 0, None)
    assert_only(run_validation(book2), "date-apres-debut-session", cell)


def test_period_end_after_its_start(book):
    cell = put(book, PERIODES_SHEET, "pi_end", 0, "01/01/2024")
    assert_only(run_validation(book), "dates-inversees", cell)


def test_information_collective_site_and_hours(book):
    cell = put(book, INFOS_SHEET, "ic_site", 0, "41210")  # a site of another lot's organisme
    assert_only(run_validation(book), "site-hors-lot", cell)
    put(book, INFOS_SHEET, "ic_site", 0, "36364")
    put(book, INFOS_SHEET, "ic_start_time", 0, "14h00")
    cell = put(book, INFOS_SHEET, "ic_end_time", 0, "11:30")
    assert_only(run_validation(book), "heures-inversees", cell)
    cell = put(book, INFOS_SHEET, "ic_end_time", 0, "25h")
    assert_only(run_validation(book), "heure-invalide", cell)


def test_same_session_twice_is_a_warning(book):
    source = book.sheets[SESSIONS_SHEET][FIRST_DATA_ROW - 1]
    book.sheets[SESSIONS_SHEET][FIRST_DATA_ROW - 1 + 6] = list(source)
    cell = put(book, SESSIONS_SHEET, "session_ref", 6, "S007")
    put(book, INFOS_SHEET, "ic_session", 6, "S007")
    put(book, INFOS_SHEET, "ic_date", 6, "01/01/2025")
    put(book, INFOS_SHEET, "ic_site", 6, "36364")
    result = run_validation(book)
    assert_only(result, "session-en-double", cell, Severity.WARNING)
    assert result.ok  # warnings do not block


def test_duplicate_session_reference_is_an_error(book):
    cell = put(book, SESSIONS_SHEET, "session_ref", 1, "s001")
    result = run_validation(book)
    assert ("reference-en-double", cell) in found(result)


def test_lot_places_against_the_order_is_a_warning(book):
    # lot PAS2025_1 holds rows 0 and 5; the Région ordered 48 places
    put(book, SESSIONS_SHEET, "places", 0, 40)
    put(book, SESSIONS_SHEET, "simultaneous_capacity", 0, 40)
    cell = put(book, SESSIONS_SHEET, "places", 5, 13)
    put(book, SESSIONS_SHEET, "places_remaining", 5, 0)
    result = run_validation(book)
    assert_only(result, "places-lot-depassees", cell, Severity.WARNING)
    assert "53" in result.issues[0].message and "48" in result.issues[0].message


def test_prerequisites_and_comment_fit_lheo_together(book):
    put(book, SESSIONS_SHEET, "prerequisites", 0, "p" * 1600)
    cell = put(book, SESSIONS_SHEET, "prerequisites_comment", 0, "c" * 1600)
    result = run_validation(book)
    assert_only(result, "prerequis-trop-longs", cell)
    assert "ensemble 3201 caractères" in result.issues[0].message


def test_columns_found_by_header_not_position(book):
    """Reordered, added and hidden columns, and blank rows between sessions."""
    rows = book.sheets[SESSIONS_SHEET]
    width = max(len(r) for r in rows)
    order = list(range(width))
    order[5], order[30] = order[30], order[5]
    order.reverse()
    book.sheets[SESSIONS_SHEET] = [
        [(r + [None] * width)[i] for i in order] + ["note libre"] for r in rows
    ]
    book.sheets[SESSIONS_SHEET].insert(
        FIRST_DATA_ROW, [None] * (width + 1)
    )  # a blank row after the first session
    result = run_validation(book)
    assert result.issues == [] and len(result.sessions) == 6
    assert result.maps[SESSIONS_SHEET].unknown[0][1] == "note libre"


def test_header_row_can_move(book):
    del book.sheets[SESSIONS_SHEET][0]  # the coloured band removed: headers on row 1
    result = run_validation(book)
    assert result.issues == [] and result.sessions[0].row == FIRST_DATA_ROW - 1


def test_missing_required_column_is_reported_once(book):
    col = column_of(SESSIONS_SHEET, "places").index - 1
    book.sheets[SESSIONS_SHEET][HEADER_ROW - 1][col] = "Colonne renommée"
    result = run_validation(book)
    missing = [i for i in result.issues if i.code == "colonne-manquante"]
    assert len(missing) == 1 and "Nb places dispositif" in missing[0].message
    assert not [i for i in result.issues if i.code == "champ-obligatoire"]


def test_missing_fixed_column_uses_the_programme_value(book):
    col = column_of(SESSIONS_SHEET, "title").index - 1
    for row in book.sheets[SESSIONS_SHEET]:
        if len(row) > col:
            row[col] = None
    result = run_validation(book)
    assert result.issues == [] and result.sessions[0].get("title") == "PREPA Avenir Sup"


def test_every_issue_code_has_a_french_template():
    for code, kind in ISSUE_TYPES.items():
        assert code == code.lower() and " " not in code
        assert any(word in kind.template for word in (" le ", " la ", " de ", " : ", " est ")), code


def test_incomplete_referentiel_is_warned_before_the_lheo_export(book, referentiel, profile):
    site = replace(referentiel.sites["36364"], adresse="")
    org = replace(referentiel.organismes["44198765800016"], numero_activite="")
    ref = type(referentiel)(
        **{
            **referentiel.__dict__,
            "sites": {**referentiel.sites, "36364": site},
            "organismes": {**referentiel.organismes, "44198765800016": org},
        }
    )
    result = validate_book(book, profile, ref, today=TODAY)
    warned = {(i.code, i.field) for i in result.issues}
    assert warned == {
        ("referentiel-incomplet", "site"),
        ("referentiel-incomplet", "responsible_org"),
    }
    assert result.ok and len(result.issues) == 2  # once per object, not once per row
    assert any("déclaration d'activité" in i.message for i in result.issues)


def test_invisible_control_characters_are_refused(book):
    cell = put(book, SESSIONS_SHEET, "highlight", 0, "Stages\x0b en entreprise")
    assert_only(run_validation(book), "caracteres-invalides", cell)


def test_site_and_contact_typed_by_name_are_understood(book):
    put(book, SESSIONS_SHEET, "site", 0, "ILF Nantes - Île de Nantes")
    put(book, SESSIONS_SHEET, "pmr_contact", 0, "Yann Le Goff")
    result = run_validation(book)
    assert result.issues == [], [i.message for i in result.issues]
    assert (
        result.sessions[0].get("site") == "36371"
        and result.sessions[0].get("pmr_contact") == "1907"
    )


def test_unknown_code_suggests_the_close_value(book):
    cell = put(book, SESSIONS_SHEET, "recruitment_methods", 0, "entretien", part=1)
    result = run_validation(book)
    assert_only(result, "code-inconnu", cell)
    assert "Vouliez-vous dire « 8 - entretien ou RDV individuel » ?" in result.issues[0].message
    assert (
        "9 - information collective." in result.issues[0].message
        and "…" not in result.issues[0].message
    )


def test_american_dates_get_a_hint(book):
    cell = put(book, SESSIONS_SHEET, "end_date", 0, "05/30/2025")
    result = run_validation(book)
    assert_only(result, "date-impossible", cell)
    assert "américain" in result.issues[0].message


def test_invisible_characters_in_a_session_reference(book):
    cell = put(book, SESSIONS_SHEET, "session_ref", 0, "S0\u200b01")
    assert ("caracteres-invalides", cell) in found(run_validation(book))


@pytest.mark.parametrize(
    "typed",
    [
        "441 987 658 00016",
        "441\u00a0987\u00a0658\u00a000016",
        44198765800016.0,
        "44198765800016 - Institut Ligérien de Formation",
        "44198765800016 \u2013 Institut Ligérien de Formation",
        "Institut Ligérien de Formation",
        "INSTITUT LIGERIEN DE FORMATION",
    ],
)
def test_organisme_responsable_as_users_type_it(book, typed):
    put(book, SESSIONS_SHEET, "responsible_org", 0, typed)
    result = run_validation(book)
    assert result.issues == [] and result.sessions[0].get("responsible_org") == "44198765800016"


@pytest.mark.parametrize(
    "typed, code",
    [
        ("44198765800017", "siret-invalide"),
        (4419876580001, "siret-invalide"),
        ("72312345100020", "organisme-inconnu"),
        ("Institut Inconnu", "organisme-inconnu"),
    ],
)
def test_unknown_organisme_responsable(book, typed, code):
    cell = put(book, SESSIONS_SHEET, "responsible_org", 0, typed)
    assert_only(run_validation(book), code, cell)


def test_unknown_code_lists_only_what_the_programme_admits(book):
    cell = put(book, SESSIONS_SHEET, "pathway_type", 0, "mixe")
    result = run_validation(book)
    assert_only(result, "code-inconnu", cell)
    message = result.issues[0].message
    assert "« 4 - mixte » ?" in message and message.endswith("2 - individualisé | 4 - mixte.")


# --- SOFI identity: FAS codes, formations, actions ---------------------------------------------
def codes_at(result, code: str) -> set[str | None]:
    return {i.cell for i in result.issues if i.code == code}


def test_a_complete_fas_code_is_a_modification_with_a_warning(book):
    cell = put(book, SESSIONS_SHEET, "fas_code", 0, "19482-89393-143842")
    result = run_validation(book)
    assert_only(result, "modification-accord-region", cell, Severity.WARNING)
    assert "accord préalable de la Région" in result.issues[0].message
    assert result.ok  # a warning: the export is allowed


def test_the_modification_warning_follows_the_profile(book, profile):
    cell = put(book, SESSIONS_SHEET, "fas_code", 0, "19482-89393-143842")
    severities = {**profile.severities, "modification-accord-region": "erreur"}
    strict = replace(profile, severities=severities)
    result = validate_book(book, strict, run_validation(book).referentiel, today=TODAY)
    assert_only(result, "modification-accord-region", cell, Severity.ERROR)


def test_distance_teaching_needs_the_foad(book):
    cell = put(book, SESSIONS_SHEET, "delivery_mode", 0, "formation entièrement à distance")
    result = run_validation(book)
    assert_only(result, "enseignement-distance-etablissement", cell)
    message = result.issues[0].message
    assert message.startswith(
        "« Modalités d'enseignement » : « formation entièrement à distance » ne va pas avec « en "
        "établissement de formation » (« Modalités pédagogiques »)"
    )
    assert "Choisissez « en établissement de formation et FOAD »" in message
    put(book, SESSIONS_SHEET, "teaching_methods", 0, "en établissement de formation et FOAD")
    assert run_validation(book).issues == []


def test_a_modified_session_that_has_ended_is_refused_as_of_the_check_date(book):
    """Row 0 runs from 06/01/2025 to 17/03/2025: modifiable until its last day included."""
    from sofi_bulk.api import check

    cell = put(book, SESSIONS_SHEET, "fas_code", 0, "19482-89393-143842")
    result = check(book, today=dt.date(2025, 3, 17))
    assert_only(result, "modification-accord-region", cell, Severity.WARNING)
    result = check(book, today=dt.date(2025, 3, 18))
    assert_only(result, "modification-session-terminee", cell)
    message = result.issues[0].message
    assert "terminée le 17/03/2025" in message and "au 18/03/2025 (date du contrôle)" in message
    put(book, SESSIONS_SHEET, "fas_code", 0, "19482-89393")  # a new session: no such limit
    assert check(book, today=dt.date(2025, 3, 18)).issues == []


def test_a_sofi_session_number_belongs_to_one_action(book):
    """Rows 0 and 5 (lot PAS2025_1): session 143842 under actions 89393 and 89400."""
    first = put(book, SESSIONS_SHEET, "fas_code", 0, "19482-89393-143842")
    cell = put(book, SESSIONS_SHEET, "fas_code", 5, "19482-89400-143842")
    result = run_validation(book)
    assert found(result) == {
        ("modification-accord-region", first),
        ("modification-accord-region", cell),
        ("session-autre-action", cell),
    }
    message = next(i.message for i in result.errors)
    assert "session SOFI 143842 est ici de l'action 89400, mais de l'action 89393 ligne 3" in (
        message
    )
    put(book, SESSIONS_SHEET, "fas_code", 5, "19482-89400-143843")
    assert result.ok is False and run_validation(book).ok


def test_a_sofi_action_number_belongs_to_one_formation(book):
    put(book, SESSIONS_SHEET, "fas_code", 0, "19482-89393")
    cell = put(book, SESSIONS_SHEET, "fas_code", 5, "19483-89393")
    result = run_validation(book)
    assert_only(result, "action-autre-formation", cell)
    assert "l'action SOFI 89393 est ici de la formation 19483, mais de la formation 19482" in (
        result.issues[0].message
    )
    put(book, SESSIONS_SHEET, "fas_code", 5, "19483-89394")  # another action: fine
    assert run_validation(book).issues == []


@pytest.mark.parametrize("code", [None, "19482", "19482-89393"])
def test_inactif_on_a_new_session_is_refused(book, code):
    if code:
        put(book, SESSIONS_SHEET, "fas_code", 0, code)
    cell = put(book, SESSIONS_SHEET, "session_state", 0, "Inactif")
    result = run_validation(book)
    assert_only(result, "etat-inactif-nouvelle-session", cell)
    assert "code FAS complet" in result.issues[0].message


def test_inactif_on_an_existing_session_deactivates_it(book):
    from sofi_bulk.api import plan, to_submission

    put(book, SESSIONS_SHEET, "fas_code", 0, "19482-89393-143842")
    put(book, SESSIONS_SHEET, "session_state", 0, "inactif")
    result = run_validation(book)
    assert {i.code for i in result.issues} == {"modification-accord-region"} and result.ok
    session = to_submission(result)["formations"][0]["actions"][0]["sessions"][0]
    assert (session["operation"], session["session_state"]) == ("desactivation", "inactif")
    notes = [s.note or "" for s in plan(result).statuses]
    assert sum("cette ligne désactive une session existante" in n for n in notes) == 1


def test_a_duplicate_fas_code_is_an_error_on_both_cells(book):
    first = put(book, SESSIONS_SHEET, "fas_code", 0, "19482-89393-143842")
    second = put(book, SESSIONS_SHEET, "fas_code", 5, "19482-89393-143842")
    put(book, SESSIONS_SHEET, "delivery_site", 5, "36364 - ILF Nantes - Principal")
    result = run_validation(book)
    assert codes_at(result, "code-fas-en-double") == {first, second}
    messages = [i.message for i in result.errors]
    assert any("aussi ligne 8" in m for m in messages) and any(
        "aussi ligne 3" in m for m in messages
    )
    put(book, SESSIONS_SHEET, "fas_code", 5, "19482-89393-143843")  # two sessions of one action
    result = run_validation(book)
    assert result.ok and codes_at(result, "code-fas-en-double") == set()


def test_sessions_of_one_action_code_agree_on_the_fiche_action(book):
    """Rows 0 and 5 (lot PAS2025_1) in action 19482-89393, at two sites dispensateurs."""
    put(book, SESSIONS_SHEET, "fas_code", 0, "19482-89393")
    cell = put(book, SESSIONS_SHEET, "fas_code", 5, "19482-89393")
    site = put(book, SESSIONS_SHEET, "delivery_site", 5, "36402 - ILF Saint-Nazaire")
    result = run_validation(book)
    assert_only(result, "action-incoherente", site)
    message = result.issues[0].message
    assert message.startswith("« Site dispensateur » : « 36402 - ILF Saint-Nazaire » ici")
    assert "ligne 3" in message and "code 19482-89393" in message
    put(book, SESSIONS_SHEET, "delivery_site", 5, "36364")  # the same site: one action
    assert run_validation(book).issues == [] and cell


def test_rows_of_one_formation_code_agree_on_the_lot(book):
    put(book, SESSIONS_SHEET, "fas_code", 0, "19482")
    put(book, SESSIONS_SHEET, "fas_code", 1, "19482")
    lot = f"{column_of(SESSIONS_SHEET, 'lot').letter}{FIRST_DATA_ROW + 1}"
    result = run_validation(book)
    assert_only(result, "formation-incoherente", lot)
    assert "PAS2025_2" in result.issues[0].message and "PAS2025_1" in result.issues[0].message
    put(book, SESSIONS_SHEET, "fas_code", 1, None)
    put(book, SESSIONS_SHEET, "fas_code", 5, "19482")  # same lot: two actions of one formation
    assert run_validation(book).issues == []


def test_a_formation_belongs_to_one_organisme(book):
    """Row 0 moves to lot PAS2025_2 at a site of its co-contractor; row 1 is ILF's, same F."""
    put(book, SESSIONS_SHEET, "lot", 0, "PAS2025_2")
    put(book, SESSIONS_SHEET, "delivery_site", 0, "52019 - Atelier Parcours Emploi - Saint-Nazaire")
    put(book, SESSIONS_SHEET, "site", 0, "52019")
    assert run_validation(book).issues == []
    put(book, SESSIONS_SHEET, "fas_code", 0, "19482")
    cell = f"{column_of(SESSIONS_SHEET, 'delivery_site').letter}{FIRST_DATA_ROW + 1}"
    put(book, SESSIONS_SHEET, "fas_code", 1, "19482")
    result = run_validation(book)
    assert_only(result, "formation-autre-organisme", cell)
    assert "Institut Ligérien" in result.issues[0].message
    assert "Atelier Parcours Emploi" in result.issues[0].message


def test_rows_of_one_action_reference_share_the_fiche_action(book):
    put(book, SESSIONS_SHEET, "action_ref", 0, "A-NANTES")
    put(book, SESSIONS_SHEET, "action_ref", 5, "a-nantes")  # the reference ignores case
    site = f"{column_of(SESSIONS_SHEET, 'delivery_site').letter}{FIRST_DATA_ROW + 5}"
    result = run_validation(book)
    assert_only(result, "action-incoherente", site)
    assert "Réf. action « A-NANTES »" in result.issues[0].message
    put(book, SESSIONS_SHEET, "delivery_site", 5, "36364")
    assert run_validation(book).issues == []


def test_an_action_reference_names_one_action_code(book):
    put(book, SESSIONS_SHEET, "action_ref", 0, "A-NANTES")
    put(book, SESSIONS_SHEET, "fas_code", 0, "19482-89393")
    cell = put(book, SESSIONS_SHEET, "action_ref", 5, "A-NANTES")
    put(book, SESSIONS_SHEET, "delivery_site", 5, "36364")
    result = run_validation(book)
    assert_only(result, "reference-action-incoherente", cell)
    assert "19482-89393" in result.issues[0].message and "vide" in result.issues[0].message
    put(book, SESSIONS_SHEET, "fas_code", 5, "19482-89393")  # a new session of that action
    assert run_validation(book).issues == []


def test_the_untouched_placeholder_is_refused(book, profile):
    default = profile.defaults["programme_complement"]
    cell = put(book, SESSIONS_SHEET, "programme_complement", 0, default)
    result = run_validation(book)
    assert_only(result, "texte-a-completer", cell)
    assert "« Modules optionnels à préciser. »" in result.issues[0].message
    put(book, SESSIONS_SHEET, "programme_complement", 0, default.replace("à préciser.", ": PIX."))
    assert run_validation(book).issues == []
    cells = {put(book, SESSIONS_SHEET, "programme_complement", i, default) for i in (1, 4)}
    result = run_validation(book)  # the same text on two rows: each one is marked
    assert found(result) == {("texte-a-completer", c) for c in cells}


@pytest.mark.parametrize(
    "rhythm, hours, flagged",
    [
        ("temps plein", "17,5", True),
        ("temps partiel", 35, True),
        ("temps partiel", "17,5", False),
        ("temps plein", 30, False),
    ],
)
def test_the_rythme_agrees_with_the_weekly_hours(book, rhythm, hours, flagged):
    put(book, SESSIONS_SHEET, "rhythm", 0, rhythm)
    cell = put(book, SESSIONS_SHEET, "weekly_hours", 0, hours)
    result = run_validation(book)
    if flagged:
        assert_only(result, "rythme-heures", cell, Severity.WARNING)
        assert "30 h par semaine" in result.issues[0].message
    else:
        assert result.issues == []


def test_an_information_collective_has_a_place_or_a_link(book):
    site = put(book, INFOS_SHEET, "ic_site", 0, None)
    result = run_validation(book)
    assert_only(result, "champ-obligatoire", site)
    assert "À distance" in result.issues[0].message
    put(book, INFOS_SHEET, "ic_remote", 0, "oui")
    link = f"{column_of(INFOS_SHEET, 'ic_url').letter}{FIRST_DATA_ROW}"
    result = run_validation(book)
    assert_only(result, "champ-obligatoire", link)
    put(book, INFOS_SHEET, "ic_url", 0, "https://visio.ilf-formation.fr/info")
    assert run_validation(book).issues == []
    put(book, INFOS_SHEET, "ic_url", 0, "visio.ilf-formation.fr")
    assert_only(run_validation(book), "url-invalide", link)


def test_equal_values_of_different_classes_are_judged_each_by_its_own(book):
    """1, 1.0 and True are one dictionary key, but not one input: a column parsed once per
    distinct value must not give True's verdict to 1, nor 1's to True."""
    cells = [
        put(book, SESSIONS_SHEET, "places", index, value)
        for index, value in enumerate([True, 1, 1.0, "1", 12, True])
    ]
    result = run_validation(book)
    invalid = {i.cell for i in result.issues if i.code == "nombre-invalide"}
    assert invalid == {cells[0], cells[5]}
    assert [s.values.get("places") for s in result.sessions] == [None, 1, 1, 1, 12, None]
    # two classes only, in either order: the column's distinct values hide one of them
    for column in ([1, True, 12, 12, 12, 12], [True, 1, 12, 12, 12, 12]):
        cells = [put(book, SESSIONS_SHEET, "places", i, v) for i, v in enumerate(column)]
        result = run_validation(book)
        booleans = [i for i, v in enumerate(column) if v is True]
        invalid = {i.cell for i in result.issues if i.code == "nombre-invalide"}
        assert invalid == {cells[i] for i in booleans}
        places = [s.values.get("places") for s in result.sessions]
        assert places == [None if i in booleans else v for i, v in enumerate(column)]


def test_a_reference_is_judged_per_lot_and_reported_on_every_row(book):
    """Sites and contacts are resolved once per typed text and lot: the same site is fine in
    its lot and outside another, and an unknown contact is flagged on each row using it."""
    outside = put(book, SESSIONS_SHEET, "site", 0, "41210")  # lot PAS2025_1: not its site
    unknown = {put(book, SESSIONS_SHEET, "mobility_contact", i, "9999 - Personne") for i in (1, 2)}
    result = run_validation(book)
    assert found(result) == {("site-hors-lot", outside)} | {
        ("contact-inconnu", cell) for cell in unknown
    }
    assert result.sessions[3].values["site"] == "41210"  # the site of lot PAS2025_4
    assert "site" in result.sessions[0].unusable and "site" not in result.sessions[3].unusable


@pytest.mark.parametrize(
    ("sheet", "key"),
    [
        (SESSIONS_SHEET, "highlight"),  # text
        (SESSIONS_SHEET, "prerequisites_comment"),  # long text
        (SESSIONS_SHEET, "lot"),
        (SESSIONS_SHEET, "session_ref"),
        (INFOS_SHEET, "ic_session"),
        (SESSIONS_SHEET, "rhythm"),  # a code
        (SESSIONS_SHEET, "end_date"),
    ],
)
def test_a_control_character_is_refused_in_every_kind_of_cell(book, sheet, key):
    cell = put(book, sheet, key, 0, "PAS\x01 2025")
    assert ("caracteres-invalides", cell) in found(run_validation(book))
