"""National identifiers of people, validated by ``python-stdnum``: the table (data) and its use.

Each row names an entity in presidio's style (country code + the id's own name), the stdnum
module whose ``is_valid`` decides, a candidate pattern (loose, cheap: it only finds what to
validate), the column-name context words of that country's language, and ``check``:

* ``"checksum"`` - the number carries check digits (mod 11, Luhn, Verhoeff, ISO 7064...): random
  numbers of the right shape pass about 1 time in 10, a real column nearly always;
* ``"structure"`` - only an embedded birth date, region or serial structure is checked: random
  numbers pass more often, so the column judge asks for the column name as well.

presidio already has recognizers for some countries (PL_PESEL, TR_NATIONAL_ID, SE_PERSONNUMMER,
FI_PERSONAL_IDENTITY_CODE, IT_FISCAL_CODE, ES_NIF, ES_NIE, IN_AADHAAR, KR_RRN, TH_TNIN,
ZA_ID_NUMBER, DE_TAX_ID, AU_TFN, UK_NHS, CA_SIN...): those are used as presidio defines them, and
:data:`PRESIDIO_VALIDATORS` adds stdnum's check where presidio's recognizer has none. Only
identifiers of people are listed here (personal and social-security numbers, personal tax ids);
company and VAT numbers are not personal data.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class NationalId:
    entity: str
    country: str  # ISO 3166-1 alpha-2 (several for shared schemes, "CZ SK")
    module: str  # stdnum module, relative to ``stdnum.``
    pattern: str  # candidate regex (word boundaries are added)
    context: tuple[str, ...]
    check: str = "checksum"  # checksum | structure


def _ctx(text: str) -> tuple[str, ...]:
    return tuple(w for w in text.split("|") if w)


NATIONAL_IDS: tuple[NationalId, ...] = (
    NationalId("AR_CUIT", "AR", "ar.cuit", r"\d{2}-?\d{8}-?\d", _ctx("cuit|cuil|cuitcuil")),
    NationalId("AT_SVNR", "AT", "at.vnr", r"\d{4} ?\d{6}", _ctx("svnr|vsnr|versicherungsnummer")),
    NationalId(
        "BE_NATIONAL_NUMBER",
        "BE",
        "be.nn",
        r"\d{2}\.?\d{2}\.?\d{2}[- ]?\d{3}\.?\d{2}",
        _ctx("rijksregisternummer|rrn|niss|insz|registre|national|nn"),
    ),
    NationalId("BG_EGN", "BG", "bg.egn", r"\d{10}", _ctx("egn|егн")),
    NationalId("BR_CPF", "BR", "br.cpf", r"\d{3}\.?\d{3}\.?\d{3}-?\d{2}", _ctx("cpf")),
    NationalId(
        "CH_AHV", "CH", "ch.ssn", r"756\.?\d{4}\.?\d{4}\.?\d{2}", _ctx("ahv|avs|ssn|sozial")
    ),
    NationalId("CL_RUT", "CL", "cl.rut", r"\d{1,2}\.?\d{3}\.?\d{3}-?[\dkK]", _ctx("rut|run")),
    NationalId("CN_RIC", "CN", "cn.ric", r"\d{17}[\dXx]", _ctx("ric|身份证|shenfenzheng|resident")),
    NationalId(
        "CO_NIT", "CO", "co.nit", r"\d{3}\.?\d{3}\.?\d{3}-\d", _ctx("nit|cedula|cédula|nuip")
    ),
    NationalId(
        "CZ_SK_BIRTH_NUMBER",
        "CZ SK",
        "cz.rc",
        r"\d{6}/?\d{3,4}",
        _ctx("rc|rodne|rodné|birth|cislo|číslo"),
    ),
    NationalId("DK_CPR", "DK", "dk.cpr", r"\d{6}-?\d{4}", _ctx("cpr|personnummer"), "structure"),
    NationalId("DO_CEDULA", "DO", "do.cedula", r"\d{3}-?\d{7}-?\d", _ctx("cedula|cédula")),
    NationalId("EC_CI", "EC", "ec.ci", r"\d{10}", _ctx("ci|cedula|cédula|identidad")),
    NationalId("EE_ISIKUKOOD", "EE", "ee.ik", r"[1-6]\d{10}", _ctx("isikukood|ik")),
    NationalId(
        "FR_NIR",
        "FR",
        "fr.nir",
        r"[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}",
        _ctx("nir|insee|secu|sécu|securite|sécurité|sociale"),
    ),
    NationalId("GR_AMKA", "GR", "gr.amka", r"\d{11}", _ctx("amka|αμκα")),
    NationalId("HR_OIB", "HR", "hr.oib", r"\d{11}", _ctx("oib")),
    NationalId("IE_PPS", "IE", "ie.pps", r"\d{7}[A-W][A-IW]?", _ctx("pps|ppsn")),
    NationalId("IL_ID", "IL", "il.idnr", r"\d{8}-?\d", _ctx("zehut|teudat|זהות")),
    NationalId("IS_KENNITALA", "IS", "is_.kennitala", r"\d{6}-?\d{4}", _ctx("kennitala|kt")),
    NationalId("JP_MY_NUMBER", "JP", "jp.in_", r"\d{4} ?\d{4} ?\d{4}", _ctx("mynumber|個人番号")),
    NationalId("LT_ASMENS_KODAS", "LT", "lt.asmens", r"[1-6]\d{10}", _ctx("asmens|kodas")),
    NationalId(
        "LV_PERSONAL_CODE", "LV", "lv.pvn", r"[0-3]\d[01]\d{3}-?[0-2]\d{4}", _ctx("personas|kods")
    ),
    NationalId(
        "MX_CURP",
        "MX",
        "mx.curp",
        r"[A-Z][AEIOUX][A-Z]{2}\d{6}[HM][A-Z]{5}[0-9A-Z]\d",
        _ctx("curp"),
    ),
    NationalId(
        "MY_NRIC", "MY", "my.nric", r"\d{6}-?\d{2}-?\d{4}", _ctx("nric|mykad|ic"), "structure"
    ),
    NationalId("NL_BSN", "NL", "nl.bsn", r"\d{4}\.?\d{2}\.?\d{3}", _ctx("bsn|burgerservicenummer")),
    NationalId(
        "NO_FODSELSNUMMER",
        "NO",
        "no.fodselsnummer",
        r"\d{6} ?\d{5}",
        _ctx("fodselsnummer|fødselsnummer|personnummer|fnr"),
    ),
    NationalId("NZ_IRD", "NZ", "nz.ird", r"\d{2,3}-?\d{3}-?\d{3}", _ctx("ird")),
    NationalId("PT_CC", "PT", "pt.cc", r"\d{8} ?\d ?[A-Z]{2}\d", _ctx("cc|cartao|cartão|cidadao")),
    NationalId("RO_CNP", "RO", "ro.cnp", r"[1-9]\d{12}", _ctx("cnp")),
    NationalId("RU_INN", "RU", "ru.inn", r"\d{12}", _ctx("inn|инн")),
    NationalId("SI_EMSO", "SI", "si.emso", r"[0-3]\d[01]\d{10}", _ctx("emso|emšo")),
    NationalId("TH_TNIN", "TH", "th.pin", r"\d-\d{4}-\d{5}-\d{2}-\d", _ctx("tnin|pin")),
    NationalId("UA_RNTRC", "UA", "ua.rntrc", r"\d{10}", _ctx("rnokpp|rntrc|рнокпп|ipn|інн")),
    NationalId("BR_CPF_DIGITS", "BR", "br.cpf", r"\d{11}", _ctx("cpf")),
    NationalId("ID_NIK", "ID", "id.nik", r"\d{16}", _ctx("nik|ktp"), "structure"),
    NationalId("PK_CNIC", "PK", "pk.cnic", r"\d{5}-\d{7}-\d", _ctx("cnic|nic"), "structure"),
)

# presidio entities whose recognizer has no check of its own (or a weaker one): stdnum decides
PRESIDIO_VALIDATORS: dict[str, str] = {
    "CA_SIN": "ca.sin",
    "UK_NHS": "gb.nhs",
    "IN_PAN": "in_.pan",
    "IN_AADHAAR": "in_.aadhaar",
    "ES_NIF": "es.nif",
    "ES_NIE": "es.nie",
    "FI_PERSONAL_IDENTITY_CODE": "fi.hetu",
    "IT_FISCAL_CODE": "it.codicefiscale",
    "KR_RRN": "kr.rrn",
    "PL_PESEL": "pl.pesel",
    "SE_PERSONNUMMER": "se.personnummer",
    "TH_TNIN": "th.pin",
    "TR_NATIONAL_ID": "tr.tckimlik",
    "ZA_ID_NUMBER": "za.idnr",
    "DE_TAX_ID": "de.idnr",
    "AU_TFN": "au.tfn",
}

# the digit-only variant of an entity reports under the entity's own name
ENTITY_NAME = {"BR_CPF_DIGITS": "BR_CPF"}


@cache
def validator(module: str) -> Callable[[str], bool]:
    """``stdnum.<module>.is_valid``; stdnum imports nothing heavy."""
    mod = importlib.import_module(f"stdnum.{module}")
    check: Callable[[str], bool] = mod.is_valid
    return check


def is_valid(module: str, text: str) -> bool:
    try:
        return bool(validator(module)(text))
    except Exception:  # stdnum raises only its own errors, but a validator must never raise
        return False


def verified_countries() -> list[str]:
    """ISO codes of the countries whose personal ids nbsec verifies by checksum (stdnum or
    presidio's own ``validate_result``)."""
    countries = {c for nid in NATIONAL_IDS if nid.check == "checksum" for c in nid.country.split()}
    countries |= {
        "PL", "TR", "SE", "FI", "IT", "ES", "IN", "KR", "TH", "ZA", "DE", "AU", "GB", "CA"
    }  # fmt: skip
    return sorted(countries)
