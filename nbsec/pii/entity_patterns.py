"""The data behind the PII engine: candidate patterns, issuer ranges, context words, thresholds.

Rules are data: the engine (:mod:`nbsec.pii.recognizers`, :mod:`nbsec.pii.evidence`) only
interprets these tables. A candidate pattern is deliberately loose (cheap, run over every
value at C speed); the validator named beside it decides. Each entity also has a *strength*:
``strong`` matches (a validated card, a formatted SSN, an e-mail) label a column from a few
percent of its values, ``weak`` ones (bare digit runs that happen to validate) need the column's
name as context and a high prevalence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# -- candidate patterns (multiline: values are joined with "\n" and scanned in one pass) ---------

EMAIL = re.compile(
    r"(?<![\w.%+@'-])[A-Za-z0-9][A-Za-z0-9._%+'-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
    r"\.[A-Za-z]{2,24}(?![\w@-])"
)
# 13-19 digits, optionally grouped by single spaces or dashes
CARD = re.compile(r"(?<![\w.+/-])\d{4}(?:[ -]?\d){9,15}(?![\w/]|[.-]\d)")
IBAN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![\w])")
SSN = re.compile(r"(?<![\w.+/-])\d{3}([- ]?)\d{2}\1\d{4}(?![\w/]|[.-]\d)")
# phone: optional +CC / 00CC, digits with the separators people type; 7-15 digits overall
PHONE = re.compile(r"(?<![\w.+/:-])(?:\+|00)?(?:\(\d{1,4}\)|\d)[\d .()/-]{5,20}\d(?![\w]|[.:/-]\d)")
IPV4 = re.compile(r"(?<![\w.:-])(?:\d{1,3}\.){3}\d{1,3}(?![\w.-]|:\d)")
IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:.])")
# street addresses: "221B Baker Street", "88368 Farley Ports", "12 rue de la Paix",
# "Hauptstraße 5", "Calle Mayor 3". Suffixes: the USPS street suffix list (Publication 28, C1).
_USPS_SUFFIXES = (
    "alley|allee|aly|annex|arcade|avenue|ave|av|bayou|beach|bend|bluffs?|bottom|boulevard|blvd|"
    "branch|bridge|brooks?|burgs?|bypass|camp|canyon|cape|causeway|centers?|circles?|cir|"
    "cliffs?|club|commons?|corners?|course|courts?|ct|coves?|creek|crescent|crest|crossing|"
    "crossroad|curve|dale|dam|divide|drives?|dr|estates?|expressway|extensions?|falls?|ferry|"
    "fields?|flats?|fords?|forest|forges?|forks?|fort|freeway|gardens?|gateway|glens?|greens?|"
    "groves?|harbors?|haven|heights|highway|hwy|hills?|hollow|inlet|islands?|isle|junctions?|"
    "keys?|knolls?|lakes?|land|landing|lane|ln|lights?|loaf|locks?|lodge|loop|mall|manors?|"
    "meadows?|mews|mills?|mission|motorway|mount|mountains?|neck|orchard|oval|overpass|parks?|"
    "parkways?|pkwy|pass|passage|path|pike|pines?|place|pl|plains?|plaza|points?|ports?|"
    "prairie|radial|ramp|ranch|rapids?|rest|ridges?|river|roads?|rd|route|row|run|shoals?|"
    "shores?|skyway|springs?|spurs?|squares?|sq|station|stravenue|stream|streets?|st|summit|"
    "terrace|ter|throughway|trace|track|trafficway|trail|trl|tunnel|turnpike|underpass|unions?|"
    "valleys?|viaduct|views?|villages?|ville|vista|walks?|wall|ways?|wells?|close|gate|green"
)
# street types that come before the street's name ("Calle Mayor 3", "ul. Długa 5", "улица
# Ленина, 10", "12 rue de la Paix") and after it ("Hauptstraße 5", "Kerkstraat 12", "Storgatan 3")
_PREFIX_TYPES = (
    "rue|avenue|av|ave|boulevard|bd|blvd|place|pl|chemin|impasse|allée|allee|quai|route|cours|"
    "via|viale|piazza|piazzale|corso|vicolo|largo|strada|stretto|rotonda|borgo|incrocio|canale|"
    "lungomare|contrada|calle|callejón|callejon|"
    "avenida|avda|paseo|plaza|glorieta|ronda|camino|carretera|travesía|travesia|rua|travessa|"
    "praça|praca|alameda|estrada|rodovia|carrer|passeig|ul|ulica|aleja|al|os|osiedle|plac|"
    "bulevardul|strada|sokak|sk|cadde|cd|mahallesi|mah|улица|ул|проспект|пр|переулок|пер|"
    "шоссе|площадь|пл|вулиця|вул|οδός|οδος|λεωφόρος|odos|h\\.?\\s?no|house\\s+no|flat|apt|"
    "suite|unit"
)
_SUFFIX_TYPES = (
    "stra(?:ß|ss)e|str|weg|gasse|platz|allee|ring|damm|ufer|steig|pfad|chaussee|straat|laan|"
    "gracht|plein|kade|singel|dijk|vej|gade|gatan|gata|vägen|väg|katu|tie|polku|veien|vei|gate|"
    "utca|út|tér|soka\\u011f\\u0131|caddesi|marg|chowk|nagar|ulice|náměstí|namesti|cesta|straße"
)
STREET = re.compile(
    r"(?<!\w)(?:\d{1,5}[A-Za-z]?,?\s+(?:[A-Z\u00C0-\u024F][\w'-]*\.?\s+){1,4}"
    r"(?i:" + _USPS_SUFFIXES + r")\.?(?!\w)"
    r"|\d{1,5}[a-zA-Z]?(?:/\d+)?[,\s]+(?i:" + _PREFIX_TYPES + r")\.?\s+[\w'\u00C0-\u024F]"
    r"|[\w\u00C0-\u024F-]*(?i:" + _SUFFIX_TYPES + r")\.?\s+\d{1,5}[a-z]?(?:/\d+)?(?!\w)"
    r"|(?i:" + _PREFIX_TYPES + r")\.?\s+[\w'\u00C0-\u024F. -]{2,40}?,?\s+\d{1,5}[a-zA-Z]?(?!\w)"
    r"|(?i:h\.?\s?no|house\s+no)\.?\s*\d{1,5})"
)

# the general shape of an address in many countries: a name and a house number ("Golubovac 748",
# "Průjezdná 825", "Вишневая, д. 19", "הפרדס 91"), or a number and a name ("82 หมู่ 59"). Too
# general to decide alone: it counts only for a column whose name says address or street.
ADDRESS_SHAPE = re.compile(
    r"^[ \t]*(?:[^\W\d_][\w'\u2019.\- ]{1,50}?,?[ \t]+(?:(?i:д|дом|буд|no|nr|n°|č|c)\.?[ \t]*)?"
    r"\d{1,5}[a-zA-Z]?(?:[/-]\d{1,4}[a-zA-Z]?)?(?:[ \t,][^\n]{0,40})?"
    r"|\d{1,5}[a-zA-Z]?(?:/\d{1,4})?,?[ \t]+[^\W\d_][\w'\u2019.\- ]{1,50}[^\n]{0,30})[ \t]*$",
    re.MULTILINE,
)

# lines that are obviously not personal data even though digits match (versions, hashes, uuids)
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
ISO_DATE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")


@dataclass(frozen=True)
class EntitySpec:
    """How one entity is recognised and when it labels a column."""

    entity: str
    recognizer: str
    base_score: float
    # share of scanned values a strong match needs to label a column (besides min_hits)
    min_fraction: float
    # distinct values that must hold it (one stray match never labels)
    min_hits: int
    # column-name tokens that raise the score of a match (context, never proof)
    context: tuple[str, ...]


SPECS: dict[str, EntitySpec] = {
    s.entity: s
    for s in (
        EntitySpec(
            "EMAIL_ADDRESS",
            "email-pattern",
            0.9,
            0.002,
            3,
            ("email", "mail", "courriel", "correo", "e_mail", "emailaddress"),
        ),
        EntitySpec(
            "CREDIT_CARD",
            "luhn+iin",
            0.95,
            0.002,
            2,
            ("card", "cc", "pan", "credit", "ccnum", "cardnumber", "kreditkarte"),
        ),
        EntitySpec("IBAN_CODE", "iban-mod97", 0.95, 0.002, 2, ("iban", "account", "bank", "konto")),
        EntitySpec(
            "US_SSN", "ssn-rules", 0.85, 0.005, 3, ("ssn", "social", "security", "sozial", "tin")
        ),
        EntitySpec(
            "PHONE_NUMBER",
            "phonenumbers",
            0.75,
            0.005,
            3,
            (
                "phone",
                "tel",
                "telephone",
                "mobile",
                "cell",
                "fax",
                "msisdn",
                "telefon",
                "handy",
                "contact",
                "whatsapp",
            ),
        ),
        EntitySpec(
            "IP_ADDRESS",
            "ipaddress",
            0.85,
            0.005,
            3,
            ("ip", "ipv4", "ipv6", "addr", "remote", "client", "host", "src", "dst"),
        ),
        EntitySpec(
            "PERSON",
            "name-lexicon",
            0.7,
            0.3,
            3,
            (
                "name",
                "names",
                "first",
                "last",
                "surname",
                "given",
                "fullname",
                "customer",
                "patient",
                "author",
                "employee",
                "person",
                "contact",
                "owner",
                "nom",
                "nombre",
                "vorname",
                "nachname",
            ),
        ),
        EntitySpec(
            "LOCATION",
            "address-pattern",
            0.7,
            0.3,
            3,
            (
                "address",
                "addr",
                "street",
                "city",
                "town",
                "location",
                "residence",
                "adresse",
                "strasse",
                "ort",
                "ciudad",
                "ville",
                "country",
                "state",
                "home",
            ),
        ),
        EntitySpec(
            "DATE_TIME",
            "birthdate-range",
            0.6,
            0.5,
            3,
            ("dob", "birth", "birthday", "birthdate", "born", "geburtsdatum", "naissance"),
        ),
    )
}

# Strength of a column label, by how the matches arose (see the module docstring).
WEAK_MIN_FRACTION = 0.6  # bare digit runs: most values must validate, and the name must agree
FREE_TEXT_MIN_HITS = 2  # entities embedded in longer text

# -- issuer ranges: (brand, ((low, high) prefix ranges...), allowed lengths) ---------------------
CARD_RANGES: tuple[tuple[str, tuple[tuple[int, int], ...], frozenset[int]], ...] = (
    ("visa", ((4, 4),), frozenset((13, 16, 19))),
    ("mastercard", ((51, 55), (2221, 2720)), frozenset((16,))),
    ("amex", ((34, 34), (37, 37)), frozenset((15,))),
    (
        "discover",
        ((6011, 6011), (644, 649), (65, 65), (622126, 622925)),
        frozenset(range(16, 20)),
    ),
    ("jcb", ((3528, 3589),), frozenset(range(16, 20))),
    ("diners", ((300, 305), (36, 36), (38, 39)), frozenset(range(14, 20))),
    ("unionpay", ((62, 62), (81, 81)), frozenset(range(16, 20))),
    ("mir", ((2200, 2204),), frozenset(range(16, 20))),
    ("maestro", ((50, 50), (56, 58), (6304, 6304), (67, 67)), frozenset(range(12, 20))),
    ("rupay", ((60, 60), (508, 508), (652, 653)), frozenset((16,))),
    ("troy", ((9792, 9792),), frozenset((16,))),
)

# ISO 13616 registry: country code -> IBAN length
_IBAN_REGISTRY = (
    "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 "
    "DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 "
    "IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 "
    "MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 QA29 RO24 RS22 RU33 SA24 SC31 SD18 "
    "SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30"
)
IBAN_LENGTHS: dict[str, int] = {item[:2]: int(item[2:]) for item in _IBAN_REGISTRY.split()}

# numbers the SSA never issued although they pass the rules (advertising / examples)
SSN_KNOWN_FAKE = frozenset(("078051120", "219099999", "123456789", "111111111", "457555462"))
