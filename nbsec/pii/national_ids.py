"""National identifiers of people, validated by ``python-stdnum``: the table (data) and its use.

Each row names an entity in presidio's style (country code + the id's own name), the stdnum
module whose ``is_valid`` decides, a candidate pattern (loose, cheap: it only finds what to
validate), the column-name context words of that country's language, and ``check``
(``nbsec:<name>`` names one of nbsec's own checks, for the few identifiers stdnum lacks: the
JMBG outside Slovenia, Hungary's personal number, Taiwan's national id):

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
    NationalId("SI_EMSO", "SI", "nbsec:emso_si", r"[0-3]\d[01]\d{10}", _ctx("emso|emšo")),
    # the same 13-digit scheme in the other former Yugoslav states (the region digits differ)
    NationalId(
        "RS_BA_ME_MK_JMBG",
        "RS BA ME MK",
        "nbsec:jmbg",
        r"[0-3]\d[01]\d{10}",
        _ctx("jmbg|embg|jmb|матичен|матични|maticni|matični|ličnog"),
    ),
    NationalId(
        "HU_PERSONAL_ID",
        "HU",
        "nbsec:hu_personal_id",
        r"[1-8]\d{10}",
        _ctx("személyi|szemelyi|személyazonosító|szemelyazonosito|azonosító|azonosito|szig"),
    ),
    NationalId(
        "TW_NATIONAL_ID",
        "TW",
        "nbsec:tw_national_id",
        r"[A-Za-z][12]\d{8}",
        _ctx("身分證|身份證|身分證字號|統一編號|national|id"),
    ),
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


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _emso_region(text: str) -> int | None:
    """The region digits of a valid 13-digit JMBG / EMŠO, else ``None``."""
    digits = _digits(text)
    if len(digits) != 13 or not validator("si.emso")(digits):
        return None
    return int(digits[7:9])


def emso_si(text: str) -> bool:
    """Slovenia's EMŠO: the JMBG check, with a Slovenian region (50-59)."""
    region = _emso_region(text)
    return region is not None and 50 <= region <= 59


def jmbg(text: str) -> bool:
    """The JMBG of Serbia, Bosnia and Herzegovina, Montenegro and North Macedonia: stdnum's
    EMŠO check (the same algorithm and birth date), a region outside Slovenia's."""
    region = _emso_region(text)
    return region is not None and not 50 <= region <= 59


_HU_CENTURY = {"1": 1900, "2": 1900, "3": 1800, "4": 1800, "5": 2000, "6": 2000, "7": 1800}


def hu_personal_id(text: str) -> bool:
    """Hungary's personal identification number (személyi azonosító): sex and century, birth
    date, serial, and a mod-11 check weighted 1..10 (born before 1997) or 10..1 (after)."""
    import datetime as dt

    digits = _digits(text)
    if len(digits) != 11 or digits[0] not in "12345678":
        return False
    century = _HU_CENTURY.get(digits[0], 1800)
    try:
        born = dt.date(century + int(digits[1:3]), int(digits[3:5]), int(digits[5:7]))
    except ValueError:
        return False
    weights = range(1, 11) if born < dt.date(1997, 1, 1) else range(10, 0, -1)
    total = sum(int(d) * w for d, w in zip(digits[:10], weights, strict=True)) % 11
    return total != 10 and total == int(digits[10])


_TW_LETTERS = {c: n for n, c in enumerate("ABCDEFGHJKLMNPQRSTUVXYWZIO", start=10)}


def tw_national_id(text: str) -> bool:
    """Taiwan's national identification number: a region letter, the sex digit (1 or 2), seven
    digits and a check digit (weighted sum mod 10)."""
    value = text.strip().upper()
    if len(value) != 10 or value[0] not in _TW_LETTERS or value[1] not in "12":
        return False
    if not value[1:].isdigit():
        return False
    n = _TW_LETTERS[value[0]]
    digits = [int(d) for d in value[1:]]
    total = n // 10 + (n % 10) * 9 + digits[8]
    total += sum(d * w for d, w in zip(digits[:8], range(8, 0, -1), strict=True))
    return total % 10 == 0


_OWN: dict[str, Callable[[str], bool]] = {
    "emso_si": emso_si,
    "jmbg": jmbg,
    "hu_personal_id": hu_personal_id,
    "tw_national_id": tw_national_id,
}


@cache
def validator(module: str) -> Callable[[str], bool]:
    """``stdnum.<module>.is_valid``, or nbsec's own check for ``nbsec:<name>`` (identifiers
    stdnum does not validate); stdnum imports nothing heavy."""
    if module.startswith("nbsec:"):
        return _OWN[module.removeprefix("nbsec:")]
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
