# ruff: noqa: RUF001 - column-name words in Turkish, Cyrillic and Greek on purpose
"""Column names as context: which entities a column's name speaks of, in many languages.

A column name is context, never proof: it lifts a weak match (bare digits that validate) and
settles a tie, and it decides which low-scoring presidio patterns are worth running at all.
``customerEmail``, ``cc_num``, ``Nachname``, ``фамилия`` and ``ni number`` are split into tokens
(camel case, punctuation, underscores) and compared with each entity's context words: presidio's
own, stdnum ids', and nbsec's multilingual lists in :mod:`nbsec.pii.entity_patterns`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from nbsec.pii import entity_patterns as ep
from nbsec.pii.recognizers import Registry

_SPLIT = re.compile(r"[\W_]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

# column-name words too common to lift a pattern presidio itself scores below 0.3 ("account_id"
# is not a bank account number, "member_since" not an insurance id)
GENERIC_CONTEXT = frozenset(
    [
        "account",
        "id",
        "number",
        "no",
        "nr",
        "check",
        "save",
        "member",
        "policy",
        "claim",
        "billing",
        "tax",
        "us",
        "united",
        "states",
        "code",
        "card",
        "reference",
        "ref",
        "registration",
        "license",
        "licence",
        "document",
        "id_number",
        "identification",
        "auth",
        "approval",
        "provider",
        "specialty",
        "pharmacy",
        "medication",
        "vehicle",
        "plate",
        "permit",
        "individual",
        "payer",
    ]
)


@lru_cache(maxsize=4096)
def name_tokens(column: str) -> tuple[frozenset[str], str]:
    spaced = _CAMEL.sub("_", column).lower()
    tokens = frozenset(t for t in _SPLIT.split(spaced) if t)
    return tokens, "".join(sorted(tokens, key=spaced.find))


def name_context(column: str, registry: Registry | None = None) -> frozenset[str]:
    """Entities whose context words appear in a column name (``customerEmail``, ``cc_num``,
    ``Nachname``, ``фамилия``)."""
    tokens, joined = name_tokens(column)
    if not tokens:
        return frozenset()
    out = set()
    table: dict[str, frozenset[str]] = dict(registry.context) if registry else {}
    for spec in ep.SPECS.values():
        table[spec.entity] = table.get(spec.entity, frozenset()) | frozenset(spec.context)
    for entity, words in table.items():
        for word in words:
            parts = word.split()
            if len(parts) > 1:
                if all(p in tokens for p in parts):
                    out.add(entity)
                    break
            elif word in tokens or (len(word) >= 5 and word in joined):
                out.add(entity)
                break
    return frozenset(out)


def specific_context(column: str, entity: str, registry: Registry) -> bool:
    tokens, joined = name_tokens(column)
    for word in registry.context.get(entity, ()):
        parts = word.split()
        if len(parts) > 1 and all(p in tokens for p in parts):
            return True
        if (
            len(parts) == 1
            and word not in GENERIC_CONTEXT
            and (word in tokens or (len(word) >= 5 and word in joined))
        ):
            return True
    return False


# column-name words that say "a person's name" on their own (``name`` alone says it only when it
# is the whole column name: ``product_name`` and ``file_name`` are not people)
_PERSON_TEXT = (
    "fullname full_name firstname lastname surname forename givenname given familyname "
    "customer patient employee person author owner contact passenger student member client "
    "vorname nachname nom prénom prenom nombre apellido apellidos nome cognome sobrenome "
    "imię imie nazwisko naam achternaam voornaam efternamn förnamn fornavn etternavn sukunimi "
    "etunimi ad soyad soyadı adı имя фамилия отчество фио ім'я прізвище όνομα επώνυμο "
    "jméno příjmení player players athlete driver actor actress director artist singer writer "
    "senator candidate"
)
_PERSON_WORDS = frozenset(_PERSON_TEXT.split())


def strong_person_context(column: str) -> bool:
    tokens, joined = name_tokens(column)
    if joined in ("name", "names", "fullname", "firstname", "lastname", "middlename"):
        return True
    if "name" in tokens and tokens & {"first", "last", "full", "given", "family", "middle"}:
        return True
    return bool(tokens & _PERSON_WORDS)


# column-name words that say the values name things or places, not people: a column so named
# holds people's names only when it also says person ("team", "product_name", "airport",
# "Mannschaft", "empresa"; but "team_member")
_THING_TEXT = (
    "team teams club company companies firm employer organization organisation org business "
    "brand make model product products item items sku film movie title book song track album "
    "game app package dataset species breed ship vessel boat aircraft airline carrier airport "
    "station stadium venue hotel restaurant store shop school university college course "
    "hospital facility institution equipo mannschaft verein empresa unternehmen société "
    "societe entreprise azienda produit producto produkt prodotto película pelicula titel "
    "título titulo titre especie schiff navire aeropuerto flughafen aéroport escuela schule "
    "école ecole krankenhaus hôpital hopital ospedale marca marke marque modelo modell команда "
    "компания товар фильм"
)
_PLACE_TEXT = (
    "zone area metro metropolitan borough neighborhood neighbourhood district county region "
    "province state country "
    "city town village municipality suburb locality origin destination ciudad stadt ville città "
    "pais país land pays provincia bundesland город страна регион область"
)
_THING_WORDS = frozenset(_THING_TEXT.split())
_PLACE_WORDS = frozenset(_PLACE_TEXT.split())


def thing_context(column: str, places: bool = True) -> bool:
    """Does the column name say its values name things (or, with ``places``, places) rather
    than people?"""
    tokens, _ = name_tokens(column)
    words = _THING_WORDS | _PLACE_WORDS if places else _THING_WORDS
    return bool(tokens & words) and not strong_person_context(column)


# column-name words that say a date is when something happened, not someone's birth date
_EVENT_TEXT = (
    "hire hired start started end ended order ordered signup created updated modified login "
    "logout death died decease deceased visit admission admitted discharge discharged "
    "transaction purchase purchased payment paid ship shipped shipping delivery delivered join "
    "joined registration registered event release released publish published opened closed due "
    "expiry expires expiration issue issued incident flight match game sale sold booking "
    "booked eintritt austritt bestellung einstellung tod sterbedatum pedido alta baja ingreso "
    "muerte fallecimiento commande embauche décès deces"
)
_EVENT_WORDS = frozenset(_EVENT_TEXT.split())


def event_context(column: str) -> bool:
    """Does the column name say its dates are events (``hire_date``, ``order_date``)?"""
    tokens, _ = name_tokens(column)
    return bool(tokens & _EVENT_WORDS)


# column-name words that say a value numbers a record of a transaction or a thing: an "Invoice
# ID" shaped like an SSN, an "order number" shaped like a phone number are neither
_RECORD_TEXT = (
    "invoice order transaction receipt ticket booking reservation shipment tracking sku serial "
    "barcode isbn asin product item batch lot rechnung bestellung factura pedido facture "
    "commande fattura ordine счет заказ"
)
_RECORD_WORDS = frozenset(_RECORD_TEXT.split())


def record_context(column: str) -> bool:
    """Does the column name say its values number records of transactions or things?"""
    tokens, _ = name_tokens(column)
    return bool(tokens & _RECORD_WORDS) and not strong_person_context(column)
