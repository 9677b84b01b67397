"""The field catalogue covers every field of the procedure, and profiles are data."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from sofi_bulk.core.codes import TABLES
from sofi_bulk.core.errors import UserError
from sofi_bulk.core.fields import BY_KEY, FIELDS, Kind, Level
from sofi_bulk.core.profile import (
    available_profiles,
    built,
    load_profile,
    load_profile_file,
    profile_problems,
    profiles_dir,
    validated,
)
from sofi_bulk.lheo.mapping import EXPORTED_FIELDS, NOT_EXPORTED

F, A, S, D = Level.FORMATION, Level.ACTION, Level.SESSION, Level.DISPOSITIF
IC, PI = Level.INFO_COLLECTIVE, Level.PERIODE_INSCRIPTION

# Every field the issue lists, by the procedure's name: (catalogue key, level).
PROCEDURE_FIELDS = {
    "intitulé": ("title", F),
    "objectif général": ("general_objective", F),
    "niveau de sortie": ("exit_level", F),
    "domaines de formation": ("formacodes", F),
    "domaine principal": ("main_formacode", F),
    "référence Certifinfo": ("certifinfo_reference", F),
    "code Certifinfo": ("certifinfo_code", F),
    "site dispensateur": ("delivery_site", A),
    "complément intitulé": ("title_complement", A),
    "complément programme": ("programme_complement", A),
    "objectifs": ("objectives", A),
    "résultats attendus": ("expected_results", A),
    "le « plus » formation": ("highlight", A),
    "URL vidéo": ("video_url", A),
    "URL PDF": ("pdf_url", A),
    "URL action": ("action_url", A),
    "type d'équipement": ("equipment_type", A),
    "coût indicatif": ("equipment_cost", A),
    "commentaire équipement": ("equipment_comment", A),
    "niveau d'entrée": ("entry_level", A),
    "pré-requis": ("prerequisites", A),
    "commentaire pré-requis": ("prerequisites_comment", A),
    "public visé": ("target_public", A),
    "site lieu": ("site", S),
    "date début": ("start_date", S),
    "date fin": ("end_date", S),
    "ESP": ("entry_exit_mode", S),
    "rythme": ("rhythm", S),
    "périodes de formation": ("training_periods", S),
    "type de parcours": ("pathway_type", S),
    "modalités pédagogiques": ("teaching_methods", S),
    "modalités d'enseignement": ("delivery_mode", S),
    "durée en centre": ("centre_hours", S),
    "durée en entreprise": ("company_hours", S),
    "commentaire durée": ("duration_comment", S),
    "durée hebdo": ("weekly_hours", S),
    "cycle de l'alternance": ("alternance_cycle", S),
    "unité entreprise": ("company_unit", S),
    "organisme responsable": ("responsible_org", S),
    "recrutement": ("recruitment_status", S),
    "modalités de recrutement": ("recruitment_methods", S),
    "information collective: code": ("ic_code", IC),
    "information collective: date": ("ic_date", IC),
    "information collective: heure début": ("ic_start_time", IC),
    "information collective: heure fin": ("ic_end_time", IC),
    "information collective: lieu": ("ic_site", IC),
    "information collective: commentaire": ("ic_comment", IC),
    "période d'inscription: code": ("pi_code", PI),
    "période d'inscription: type": ("pi_type", PI),
    "période d'inscription: début": ("pi_start", PI),
    "période d'inscription: fin": ("pi_end", PI),
    "référent PMR": ("pmr_contact", S),
    "référent PRF": ("prf_contact", S),
    "mail de liaison": ("liaison_email", S),
    "référent mobilité": ("mobility_contact", S),
    "dispositif": ("dispositif", D),
    "publics": ("publics", D),
    "ID action CR": ("cr_action_id", D),
    "OF mandataire CR": ("cr_mandataire_id", D),
    "nb places dispositif": ("places", D),
    "nb places restantes": ("places_remaining", D),
    "effectif minimal": ("min_headcount", D),
    "capacité simultanée": ("simultaneous_capacity", D),
    "frais HT": ("fee_excl_tax", D),
    "taux TVA": ("vat_rate", D),
    "frais TTC": ("fee_incl_tax", D),
    "frais additionnels": ("extra_fees", D),
    "frais de certification": ("certification_fees", D),
    "prise en charge": ("fees_covered", D),
}


@pytest.mark.parametrize("name", sorted(PROCEDURE_FIELDS))
def test_every_procedure_field_is_declared_once(name):
    key, level = PROCEDURE_FIELDS[name]
    fld = BY_KEY[key]
    assert fld.level is level, name
    assert fld.header and fld.help and len(fld.help) > 15
    assert (key in EXPORTED_FIELDS) != (key in NOT_EXPORTED), (
        f"{key}: an LHEO path or a reason, not both"
    )


def test_lot_number_is_declared_with_the_dispositif_codes_externes():
    assert BY_KEY["lot"].kind is Kind.LOT and BY_KEY["lot"].group == "dispositif"


def test_keys_and_headers_are_unique_per_sheet():
    assert len(BY_KEY) == len(FIELDS)
    for sheet in {f.sheet for f in FIELDS}:
        headers = [h for f in FIELDS if f.sheet == sheet for h in f.column_headers()]
        assert len(headers) == len(set(headers)), sheet


def test_coded_fields_name_an_existing_code_table_with_labels():
    for fld in FIELDS:
        if fld.kind is Kind.CODE:
            table = TABLES[fld.table]
            assert table.options and all(o.code and o.label for o in table.options)


def test_several_valued_fields():
    assert BY_KEY["recruitment_methods"].multi and BY_KEY["recruitment_methods"].columns >= 2
    assert BY_KEY["publics"].multi and BY_KEY["formacodes"].multi


def test_lheo_code_tables_match_the_definition():
    assert TABLES["ais"].option("9").label.startswith("(Re)mobilisation")
    assert TABLES["esp"].option("permanentes").lheo_code == "1"
    assert TABLES["esp"].option("cadencees").lheo_code == "0"
    assert TABLES["boolean"].option("oui").lheo_code == "1"
    assert {o.code for o in TABLES["type-parcours"].options} == {"1", "2", "3", "4"}


def test_code_lookup_accepts_code_label_and_display_in_any_case():
    table = TABLES["modalites-enseignement"]
    assert table.lookup("0") == "0"
    assert table.lookup("FORMATION ENTIEREMENT PRESENTIELLE") == "0"
    assert table.lookup("0 - formation entièrement présentielle") == "0"
    assert table.lookup("présentiel") is None


def test_profile_holds_the_seed_values_the_procedure_sets(profile):
    """The procedure's answers, as data: ESP among cadencées, séquencées, dates fixes; the
    entry level is « Niveau 4 validé »; the optional modules must be said; modalités
    pédagogiques are a coded choice; SOFI's starred cycle fields are relaxed with a reason."""
    assert profile.allowed["entry_exit_mode"] == ["cadencees", "sequencees", "dates-fixes"]
    assert profile.fixed["entry_level"] == "14" and "entry_level" not in profile.defaults
    assert profile.placeholders["programme_complement"] == ["Modules optionnels à préciser."]
    assert (
        profile.placeholders["programme_complement"][0] in profile.defaults["programme_complement"]
    )
    assert BY_KEY["teaching_methods"].kind is Kind.CODE
    assert profile.defaults["teaching_methods"] == "etablissement"
    for key in ("alternance_cycle", "company_unit"):
        assert BY_KEY[key].required and not profile.is_required(key)
        assert "alternance" in profile.required_reasons[key]
    assert profile.lheo.detail_conditions_prise_en_charge
    assert profile.rules.full_time_min_weekly_hours == 30
    for question in profile.open_questions:
        assert question.reglages or question.ailleurs
        assert all(profile.has_setting(path) for path in question.reglages)


def test_profile_holds_the_programme_values(profile):
    assert profile.fixed["title"] == "PREPA Avenir Sup"
    assert profile.fixed["general_objective"] == "9"
    assert (
        profile.fixed["formacodes"] == ["15061", "15084"]
        and profile.fixed["main_formacode"] == "15061"
    )
    assert profile.fixed["certifinfo_reference"] == "non"
    assert profile.fixed["dispositif"] == "PROGRAMME REGION - Prépa avenir sup"
    assert profile.fixed["publics"] == ["80006", "80008", "82038", "82044", "82055"]
    assert profile.fixed["fees_covered"] == "oui" and profile.fixed["certification_fees"] == "non"
    for key in (
        "programme_complement",
        "objectives",
        "expected_results",
        "prerequisites",
        "prerequisites_comment",
        "target_public",
    ):
        assert len(profile.defaults[key]) > 40, key
    assert profile.campaign_year == 2025
    assert "type de parcours inconnu" not in str(profile.allowed)


def _write(tmp_path, data):
    path = tmp_path / f"{data['id']}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_new_programme_is_a_new_profile_file(tmp_path, profile):
    data = asdict(profile)
    data.update(id="prepa-cles-avenir", label="PREPA Clés Avenir", campaign_year=2026)
    data["fixed"]["title"] = "PREPA Clés Avenir"
    other = load_profile_file(_write(tmp_path, data))
    assert other.campaign_year == 2026 and other.fixed["title"] == "PREPA Clés Avenir"


@pytest.mark.parametrize(
    "mutation, message",
    [
        (lambda d: d["fixed"].update(titre="x"), "champ inconnu"),
        (lambda d: d["fixed"].update(general_objective="99"), "absent de la table"),
        (lambda d: d["defaults"].update(highlight="x" * 300), "250 caractères"),
        (lambda d: d["allowed"].update(pathway_type=["0"]), "codes inconnus"),
        (lambda d: d.update(campaign_year="deux mille"), "campaign_year"),
        # a field SOFI stars, not required by the programme, needs its reason
        (lambda d: d["required_reasons"].pop("company_unit"), "required_reasons.company_unit"),
        (lambda d: d["placeholders"].update(inconnu=["x"]), "champ inconnu"),
        (lambda d: d["allowed"].update(entry_exit_mode=["toujours"]), "codes inconnus"),
        (
            lambda d: d["open_questions"][0].update(reglages=["lheo.formacode_reference"]),
            "réglage inconnu « lheo.formacode_reference »",
        ),
        (lambda d: d["lheo"].update(detail_conditions_prise_en_charge="x" * 601), "600"),
        (lambda d: d.update(id="Prépa Sup"), "minuscules, chiffres et tirets"),
        (lambda d: d.update(campaign_year=1999), "de 2000 à 2100"),
        (lambda d: d["rules"].update(min_info_sessions=-1), "positif ou nul"),
        (lambda d: d["rules"].update(full_time_min_weekly_hours=80), "70 heures"),
        (lambda d: d["rules"].update(severite="erreur"), "rules.severite"),  # unknown key
        (lambda d: d["severities"].update({"rythme-heures": "bloquant"}), "rythme-heures"),
        (lambda d: d["severities"].update({"code-inexistant": "erreur"}), "code inconnu"),
        (lambda d: d["severities"].update({"date-invalide": "avertissement"}), "non réglable"),
        (lambda d: d["placeholder_examples"].update(objectives="x"), "placeholders.objectives"),
        (lambda d: d["lheo"].update(niveau_entree_obligatoire=1), "niveau_entree_obligatoire"),
        (lambda d: d.update(fixed=["title"]), "fixed"),
        (lambda d: d["open_questions"][0].pop("choix"), "choix"),
    ],
)
def test_an_invalid_profile_is_refused_on_load(tmp_path, profile, mutation, message):
    data = asdict(profile)
    mutation(data)
    with pytest.raises(UserError, match=message):
        load_profile_file(_write(tmp_path, data))


def test_every_problem_of_a_profile_file_is_said_at_once(tmp_path, profile):
    data = asdict(profile)
    data.update(campaign_year=1999)
    data["fixed"]["titre"] = "x"
    data["defaults"]["highlight"] = "x" * 300
    with pytest.raises(UserError) as caught:
        load_profile_file(_write(tmp_path, data))
    lines = str(caught.value).splitlines()
    assert len(lines) == 2 and all(
        line.startswith("Profil de programme invalide") for line in lines
    )
    assert "2100" in lines[0] and "« titre »" in lines[1]


@pytest.mark.parametrize("name", available_profiles())
def test_a_bundled_profile_is_read_as_pydantic_validates_it(name):
    """A bundled profile is package data: it is built without pydantic when a workbook is
    checked, so its types are proved here, by the validation a user's profile file gets."""
    data = json.loads((profiles_dir() / f"{name}.json").read_text(encoding="utf-8"))
    checked = validated(data)
    assert load_profile(name) == built(data) == checked
    assert profile_problems(checked) == []


def test_a_profile_file_s_type_errors_are_said_in_french_one_line_each(tmp_path, profile):
    data = asdict(profile)
    data.update(campaign_year="deux mille")
    del data["label"]
    data["fixed"]["title"] = {"a": 1}
    data["rules"].update(severite="erreur")
    data["severities"]["info-collective-manquante"] = "bloquant"
    data["lheo"].update(emit_exit_level="peut-être")
    data["open_questions"].append(5)
    with pytest.raises(UserError) as caught:
        load_profile_file(_write(tmp_path, data))
    lines = [line.split(" : ", 2)[2] for line in str(caught.value).splitlines()]
    assert sorted(lines) == sorted(
        [
            "label : réglage obligatoire absent",
            "campaign_year : nombre entier attendu",
            "fixed.title : texte, nombre ou liste de textes attendu",
            "severities.info-collective-manquante : valeur admise : 'erreur' ou 'avertissement'",
            "rules.severite : réglage inconnu",
            "lheo.emit_exit_level : true ou false attendu",
            f"open_questions[{len(profile.open_questions)}] : objet JSON attendu ({{…}})",
        ]
    )


def test_a_setting_of_an_earlier_profile_names_the_one_that_replaced_it(tmp_path, profile):
    """The five severities of ``rules`` became ``severities``, keyed by issue code: a file
    written for an earlier version is refused with the new key, one line each."""
    data = asdict(profile)
    data["rules"].update(modification_severity="erreur", lot_places_severity="erreur")
    with pytest.raises(UserError) as caught:
        load_profile_file(_write(tmp_path, data))
    lines = sorted(line.split(" : ", 2)[2] for line in str(caught.value).splitlines())
    assert lines == [
        "rules.lot_places_severity : réglage remplacé par severities.places-lot-depassees "
        '(« "severities": {"places-lot-depassees": …} »)',
        "rules.modification_severity : réglage remplacé par "
        'severities.modification-accord-region (« "severities": '
        '{"modification-accord-region": …} »)',
    ]


def test_a_profile_sets_the_severity_of_an_adjustable_code_only(profile):
    """The programme decides the severity of the codes marked adjustable, each by its code."""
    from sofi_bulk.core.issues import ISSUE_TYPES

    adjustable = {code for code, kind in ISSUE_TYPES.items() if kind.adjustable}
    assert (
        set(profile.severities)
        == adjustable
        == {
            "info-collective-manquante",
            "places-lot-depassees",
            "session-en-double",
            "modification-accord-region",
            "rythme-heures",
        }
    )
    assert all(profile.severities[c] == ISSUE_TYPES[c].severity for c in adjustable)


def test_a_profile_file_nested_too_deep_is_refused_plainly(tmp_path):
    path = tmp_path / "profond.json"
    path.write_text('{"fixed": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    with pytest.raises(UserError, match="imbriqué trop profondément"):
        load_profile_file(path)


def test_unknown_programme_names_the_available_ones():
    with pytest.raises(UserError, match="prepa-avenir-sup"):
        load_profile("programme-inexistant")


def test_every_code_says_its_lheo_code_or_that_it_has_none():
    ais = TABLES["ais"]
    assert [o.code for o in ais.options if not o.code.isdigit()] == []  # no invented "2/3" code
    assert ais.lookup("2/3") == "2" and ais.lheo_of("2") == "2"
    assert TABLES["esp"].lheo_of("sequencees") == "0"
    assert TABLES["boolean"].lheo_of("non") == "0"
    assert TABLES["modalites-pedagogiques"].lheo_of("etablissement-foad") == "96129"
    assert TABLES["modalites-pedagogiques"].lheo_of("etablissement") is None
    assert TABLES["rythme"].lheo_of("temps-plein") is None  # a text in LHEO, not a code
    assert TABLES["taux-tva"].lheo_of("20") is None
