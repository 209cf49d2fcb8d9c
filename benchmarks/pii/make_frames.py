"""Seeded generator of labelled DataFrames for the PII benchmark.

Every frame comes with its truth: for each column, the set of presidio entity types it holds
(empty for columns without personal data). The frames are meant to look like what notebooks
really hold:

* ``customers_us`` / ``customers_eu`` - people in several locales (en_US, en_GB, de_DE, fr_FR,
  es_ES, it_IT, en_IN): names, e-mails, phone numbers valid for their country in the formats people
  type (E.164, international, national, bare digits), SSNs with and without dashes, card numbers
  of every scheme including Mastercard 2-series and Amex (grouped and not), IBANs, IPv4 / IPv6,
  street addresses, cities, birth dates (as dates or as ``dd.mm.yyyy`` strings), free-text notes
  that carry a few e-mails and phone numbers, plus decoys next to them;
* ``decoys`` - UUIDs, hashes (one column called ``email``), version strings, SKU codes, 16-digit
  order numbers that fail Luhn, ISO event timestamps, epoch seconds, 9-digit account ids, URLs,
  user agents, JSON without PII, and an ``id`` column that holds e-mail addresses;
* ``messy_dtypes`` - datetime64, ``datetime.date`` objects, lists, dicts, bytes, categoricals,
  nullable ``Int64`` SSNs, card numbers stored as int64, phone numbers stored as ints, all-null
  and mixed object columns, JSON strings;
* ``sparse`` - a comment column where 0.5 % of rows hold an e-mail, and a description column where
  one stray number looks like an SSN;
* :func:`big_frame` - 1,000,000 x 12 realistic rows (sampled from pools of generated values) for
  the speed measurements.

Faker generates names, addresses, IBANs and card numbers; phone numbers are drawn at random and
kept only when libphonenumber calls them valid for the region (real data holds real numbers).
The city and name lexicons nbsec uses come from other sources (US Census, GeoNames), so Faker's
many invented or small-town names are a fair test of the model-free approach.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

SEED = 4242
LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "en_IN")
REGION_OF = {
    "en_US": "US",
    "en_GB": "GB",
    "de_DE": "DE",
    "fr_FR": "FR",
    "es_ES": "ES",
    "it_IT": "IT",
    "en_IN": "IN",
}
CARD_TYPES = ("visa16", "mastercard", "amex", "discover", "jcb", "diners", "maestro", "visa13")


@dataclass
class LabelledFrame:
    name: str
    frame: pd.DataFrame
    truth: dict[str, set[str]] = field(default_factory=dict)


# -- value factories ----------------------------------------------------------------------------


class Values:
    """Seeded factories of realistic values."""

    def __init__(self, seed: int = SEED) -> None:
        from faker import Faker

        self.rng = random.Random(seed)
        self.np = np.random.default_rng(seed)
        Faker.seed(seed)
        self.fakers = {loc: Faker(loc) for loc in LOCALES}
        for i, f in enumerate(self.fakers.values()):
            f.seed_instance(seed + i)

    def faker(self, locale: str | None = None) -> Any:
        return self.fakers[locale or self.rng.choice(LOCALES)]

    def phone(self, region: str) -> str:
        import phonenumbers as pn

        example = pn.example_number_for_type(region, pn.PhoneNumberType.MOBILE)
        national = str(example.national_number)
        while True:
            digits = national[:2] + "".join(
                str(self.rng.randint(0, 9)) for _ in range(len(national) - 2)
            )
            if self.rng.random() < 0.5:  # fixed lines too
                fixed = pn.example_number_for_type(region, pn.PhoneNumberType.FIXED_LINE)
                base = str(fixed.national_number)
                digits = base[:3] + "".join(
                    str(self.rng.randint(0, 9)) for _ in range(len(base) - 3)
                )
            number = pn.parse(digits, region)
            if pn.is_valid_number(number):
                break
        style = self.rng.random()
        if style < 0.3:
            return pn.format_number(number, pn.PhoneNumberFormat.E164)
        if style < 0.6:
            return pn.format_number(number, pn.PhoneNumberFormat.INTERNATIONAL)
        if style < 0.9:
            return pn.format_number(number, pn.PhoneNumberFormat.NATIONAL)
        return "".join(
            ch for ch in pn.format_number(number, pn.PhoneNumberFormat.NATIONAL) if ch.isdigit()
        )

    def card(self) -> str:
        f = self.faker("en_US")
        kind = self.rng.choice(CARD_TYPES)
        number = str(f.credit_card_number(kind))
        if self.rng.random() < 0.4:
            if len(number) == 15:
                number = f"{number[:4]} {number[4:10]} {number[10:]}"
            else:
                sep = self.rng.choice((" ", "-"))
                number = sep.join(number[i : i + 4] for i in range(0, len(number), 4))
        return number

    def luhn_failing_number(self, length: int = 16) -> str:
        from nbsec.pii.validators import luhn_ok

        while True:
            digits = str(self.rng.choice((4, 5, 3, 6))) + "".join(
                str(self.rng.randint(0, 9)) for _ in range(length - 1)
            )
            if not luhn_ok(digits):
                return digits

    def ssn(self, dashed: bool = True) -> str:
        text = str(self.faker("en_US").ssn())
        return text if dashed else text.replace("-", "")

    def iban(self, locale: str | None = None) -> str:
        locale = locale or self.rng.choice(("en_GB", "de_DE", "fr_FR", "es_ES", "it_IT"))
        text = str(self.faker(locale).iban())
        if self.rng.random() < 0.3:
            text = " ".join(text[i : i + 4] for i in range(0, len(text), 4))
        return text

    def ip(self) -> str:
        f = self.faker("en_US")
        r = self.rng.random()
        if r < 0.15:
            return str(f.ipv6())
        if r < 0.4:
            return str(f.ipv4_private())
        return str(f.ipv4_public())

    def birth_date(self) -> dt.date:
        return dt.date(1940, 1, 1) + dt.timedelta(days=self.rng.randint(0, 365 * 65))

    def event_time(self) -> dt.datetime:
        start = dt.datetime(2023, 1, 1)
        return start + dt.timedelta(seconds=self.rng.randint(0, 86400 * 700))

    def note(
        self, with_email: bool = False, with_phone: bool = False, locale: str = "en_US"
    ) -> str:
        f = self.faker("en_US")
        parts = [str(f.sentence(nb_words=self.rng.randint(6, 14)))]
        if with_email:
            parts.append(f"Reach me at {self.faker(locale).email()} after 5pm.")
        if with_phone:
            parts.append(f"Call {self.phone(REGION_OF[locale])} if urgent.")
        if self.rng.random() < 0.3:
            parts.append(
                f"Order #{self.rng.randint(10000, 99999)} shipped in {self.rng.randint(2, 9)} days."
            )
        self.rng.shuffle(parts)
        return " ".join(parts)


# -- frames -------------------------------------------------------------------------------------


def customers_us(v: Values, rows: int) -> LabelledFrame:
    f = v.faker("en_US")
    data = {
        "customer_id": np.arange(100000, 100000 + rows),
        "full_name": [f.name() for _ in range(rows)],
        "email": [f.email() for _ in range(rows)],
        "phone": [v.phone("US") for _ in range(rows)],
        "ssn": [v.ssn(dashed=v.rng.random() < 0.7) for _ in range(rows)],
        "dob": [v.birth_date() for _ in range(rows)],
        "signup_at": [v.event_time() for _ in range(rows)],
        "street": [f.street_address() for _ in range(rows)],
        "city": [f.city() for _ in range(rows)],
        "state": [f.state_abbr() for _ in range(rows)],
        "card": [v.card() for _ in range(rows)],
        "last_login_ip": [v.ip() for _ in range(rows)],
        "order_number": [v.luhn_failing_number() for _ in range(rows)],
        "notes": [
            v.note(with_email=v.rng.random() < 0.02, with_phone=v.rng.random() < 0.02)
            for _ in range(rows)
        ],
        "amount": np.round(v.np.gamma(2.0, 40.0, rows), 2),
        "status": v.np.choice(["active", "churned", "trial", "paused"], rows),
    }
    truth = {
        "full_name": {"PERSON"},
        "email": {"EMAIL_ADDRESS"},
        "phone": {"PHONE_NUMBER"},
        "ssn": {"US_SSN"},
        "dob": {"DATE_TIME"},
        "street": {"LOCATION"},
        "city": {"LOCATION"},
        # the customer's state, as personal as the city beside it (the real tables' convention:
        # a senator's or a member of Congress's state is LOCATION)
        "state": {"LOCATION"},
        "card": {"CREDIT_CARD"},
        "last_login_ip": {"IP_ADDRESS"},
        "notes": {"EMAIL_ADDRESS", "PHONE_NUMBER"},
    }
    return LabelledFrame("customers_us", pd.DataFrame(data), _complete(truth, data))


def customers_eu(v: Values, rows: int) -> LabelledFrame:
    eu = ("en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "en_IN")
    locales = [v.rng.choice(eu) for _ in range(rows)]
    data = {
        "Kunde": [v.faker(loc).name() for loc in locales],
        "contact": [v.faker(loc).email() for loc in locales],
        "telefon": [v.phone(REGION_OF[loc]) for loc in locales],
        "iban": [v.iban(loc if loc != "en_IN" else "en_GB") for loc in locales],
        "address": [v.faker(loc).street_address() for loc in locales],
        "ville": [v.faker(loc).city() for loc in locales],
        "postcode": [v.faker(loc).postcode() for loc in locales],
        "geburtsdatum": [v.birth_date().strftime("%d.%m.%Y") for _ in locales],
        "member_since": [v.event_time().date().isoformat() for _ in locales],
        "comment": [
            v.note(with_email=v.rng.random() < 0.01, locale=loc if loc != "en_IN" else "en_GB")
            for loc in locales
        ],
        "basket_eur": np.round(v.np.gamma(2.0, 30.0, rows), 2).astype(str),
        "segment": v.np.choice(["A", "B", "C"], rows),
    }
    truth = {
        "Kunde": {"PERSON"},
        "contact": {"EMAIL_ADDRESS"},
        "telefon": {"PHONE_NUMBER"},
        "iban": {"IBAN_CODE"},
        "address": {"LOCATION"},
        "ville": {"LOCATION"},
        "geburtsdatum": {"DATE_TIME"},
        "comment": {"EMAIL_ADDRESS"},
    }
    return LabelledFrame("customers_eu", pd.DataFrame(data), _complete(truth, data))


def decoys(v: Values, rows: int) -> LabelledFrame:
    f = v.faker("en_US")
    data = {
        "request_id": [str(uuid.UUID(int=v.rng.getrandbits(128), version=4)) for _ in range(rows)],
        "email": [hashlib.sha256(str(i).encode()).hexdigest() for i in range(rows)],
        "user_hash": [hashlib.md5(str(i * 7).encode()).hexdigest() for i in range(rows)],
        "version": [
            f"{v.rng.randint(0, 4)}.{v.rng.randint(0, 30)}.{v.rng.randint(0, 200)}"
            for _ in range(rows)
        ],
        "sku": [
            f"SKU-{v.rng.randint(10000, 99999)}-{v.rng.choice(['XS', 'S', 'M', 'L', 'XL'])}"
            for _ in range(rows)
        ],
        "card_ref": [v.luhn_failing_number() for _ in range(rows)],
        "created_at": [v.event_time().isoformat(sep=" ") for _ in range(rows)],
        "epoch": [int(v.event_time().timestamp()) for _ in range(rows)],
        "account_id": [v.rng.randint(100_000_000, 899_999_999) for _ in range(rows)],
        "url": [f.url() + f.uri_path() for _ in range(rows)],
        "user_agent": [f.user_agent() for _ in range(rows)],
        "meta": [
            json.dumps({"page": v.rng.randint(1, 50), "ok": v.rng.random() < 0.9})
            for _ in range(rows)
        ],
        "commit": [f"{v.rng.getrandbits(28):07x}" for _ in range(rows)],
        "isbn": [f.isbn13() for _ in range(rows)],
        "id": [f.email() for _ in range(rows)],
        "latency_ms": v.np.integers(3, 5000, rows),
        "product": [f.catch_phrase() for _ in range(rows)],
        "color": v.np.choice(["Brown", "White", "Green", "Black", "Gray", "Rose", "Olive"], rows),
    }
    truth = {"id": {"EMAIL_ADDRESS"}}
    return LabelledFrame("decoys", pd.DataFrame(data), _complete(truth, data))


def messy_dtypes(v: Values, rows: int) -> LabelledFrame:
    f = v.faker("en_US")
    names = [f.name() for _ in range(min(rows, 600))]
    dob = [v.birth_date() for _ in range(rows)]
    visa = [int(str(f.credit_card_number("visa16"))) for _ in range(rows)]
    ssn_ints = [int(v.ssn(dashed=False)) for _ in range(rows)]
    frame = pd.DataFrame(
        {
            "dob_dt": pd.to_datetime(dob),
            "dob_date": dob,
            "event_dt": pd.to_datetime([v.event_time() for _ in range(rows)]),
            "emails_list": [[f.email() for _ in range(v.rng.randint(1, 3))] for _ in range(rows)],
            "contact_dict": [{"email": f.email(), "phone": v.phone("US")} for _ in range(rows)],
            "email_bytes": [f.email().encode() for _ in range(rows)],
            "name_cat": pd.Categorical([v.rng.choice(names) for _ in range(rows)]),
            "ssn": pd.array(
                [s if v.rng.random() > 0.05 else None for s in ssn_ints], dtype="Int64"
            ),
            "payment_ref": np.array(visa, dtype=np.int64),
            "phone": [int(_digits(v.phone("US"))[-10:]) for _ in range(rows)],
            "all_null": [None] * rows,
            "mixed": [v.rng.choice([1, 2.5, "x", None, "yes", 42]) for _ in range(rows)],
            "json_profile": [
                json.dumps({"user": {"mail": f.email(), "age": v.rng.randint(18, 90)}})
                for _ in range(rows)
            ],
            "tags": [[v.rng.choice(["a", "b", "vip", "new"])] for _ in range(rows)],
            "flag": [v.rng.random() < 0.5 for _ in range(rows)],
            "blob": [bytes(v.rng.getrandbits(8) for _ in range(8)) for _ in range(rows)],
            "ip_cat": pd.Categorical([v.ip() for _ in range(rows)]),
            "score": v.np.random(rows),
        }
    )
    truth = {
        "dob_dt": {"DATE_TIME"},
        "dob_date": {"DATE_TIME"},
        "emails_list": {"EMAIL_ADDRESS"},
        "contact_dict": {"EMAIL_ADDRESS", "PHONE_NUMBER"},
        "email_bytes": {"EMAIL_ADDRESS"},
        "name_cat": {"PERSON"},
        "ssn": {"US_SSN"},
        "payment_ref": {"CREDIT_CARD"},
        "phone": {"PHONE_NUMBER"},
        "json_profile": {"EMAIL_ADDRESS"},
        "ip_cat": {"IP_ADDRESS"},
    }
    return LabelledFrame("messy_dtypes", frame, _complete(truth, frame))


def sparse(v: Values, rows: int) -> LabelledFrame:
    f = v.faker("en_US")
    emails = set(v.rng.sample(range(rows), max(1, rows // 200)))
    stray = v.rng.randrange(rows)
    data = {
        "ticket": np.arange(rows),
        "comment": [
            v.note(with_email=i in emails) if v.rng.random() < 0.8 else "" for i in range(rows)
        ],
        "description": [
            (
                f"Batch {v.rng.randint(100_000_000, 899_999_999)} re-run"
                if i == stray
                else str(f.sentence())
            )
            for i in range(rows)
        ],
        "log_line": [
            f"{v.event_time().isoformat()} INFO worker={uuid.UUID(int=v.rng.getrandbits(128))} "
            f"took {v.rng.randint(1, 900)}ms "
            f"v{v.rng.randint(1, 3)}.{v.rng.randint(0, 9)}.{v.rng.randint(0, 9)}"
            for _ in range(rows)
        ],
    }
    truth = {"comment": {"EMAIL_ADDRESS"}}
    return LabelledFrame("sparse", pd.DataFrame(data), _complete(truth, data))


def hard_cases(v: Values, rows: int) -> LabelledFrame:
    """Formats and look-alikes the engine was not tuned on: names upper-cased or as
    ``Last, First``, phones with extensions, multi-line postal addresses, names inside sentences,
    a contact column mixing e-mails and phones, and company names built from surnames."""
    f = v.faker("en_US")
    names = [f.name() for _ in range(rows)]
    data = {
        "NAME_UPPER": [n.upper() for n in names],
        "name_last_first": [f"{f.last_name()}, {f.first_name()}" for _ in range(rows)],
        "phone_ext": [str(f.phone_number()) for _ in range(rows)],
        "postal_address": [str(f.address()) for _ in range(rows)],
        "call_log": [
            f"Spoke with {f.first_name()} {f.last_name()} about the {f.word()} renewal."
            for _ in range(rows)
        ],
        "contact": [f.email() if v.rng.random() < 0.5 else v.phone("US") for _ in range(rows)],
        "mobile": [_digits(v.phone("IN"))[-10:] for _ in range(rows)],
        "country": [f.country() for _ in range(rows)],
        "company": [f.company() for _ in range(rows)],
        "job": [f.job() for _ in range(rows)],
        "zip": [f.zipcode() for _ in range(rows)],
        "lat": [float(f.latitude()) for _ in range(rows)],
    }
    truth = {
        "NAME_UPPER": {"PERSON"},
        "name_last_first": {"PERSON"},
        "phone_ext": {"PHONE_NUMBER"},
        "postal_address": {"LOCATION"},
        "call_log": {"PERSON"},
        "contact": {"EMAIL_ADDRESS", "PHONE_NUMBER"},
        "mobile": {"PHONE_NUMBER"},
        "country": {"LOCATION"},
    }
    return LabelledFrame("hard_cases", pd.DataFrame(data), _complete(truth, data))


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _complete(truth: dict[str, set[str]], data: Any) -> dict[str, set[str]]:
    return {str(c): set(truth.get(str(c), set())) for c in data}


def labelled_frames(rows: int = 2000, seed: int = SEED) -> list[LabelledFrame]:
    v = Values(seed)
    return [
        customers_us(v, rows),
        customers_eu(v, rows),
        decoys(v, rows),
        messy_dtypes(v, rows),
        sparse(v, max(rows, 2000)),
        hard_cases(v, rows),
    ]


# -- the big frame ------------------------------------------------------------------------------

BIG_TRUTH = {
    "id": set(),
    "name": {"PERSON"},
    "email": {"EMAIL_ADDRESS"},
    "phone": {"PHONE_NUMBER"},
    "city": {"LOCATION"},
    "street": {"LOCATION"},
    "dob": {"DATE_TIME"},
    "created_at": set(),
    "amount": set(),
    "status": set(),
    "card": {"CREDIT_CARD"},
    "notes": {"EMAIL_ADDRESS"},
}


def big_frame(rows: int = 1_000_000, seed: int = SEED, pool: int = 20_000) -> pd.DataFrame:
    """``rows`` x 12 realistic columns drawn from pools of ``pool`` generated values each."""
    v = Values(seed)
    rng = np.random.default_rng(seed)

    def draw(values: list[Any]) -> np.ndarray:
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
        return arr[rng.integers(0, len(values), rows)]

    locales = [v.rng.choice(LOCALES) for _ in range(pool)]
    notes = [v.note(with_email=v.rng.random() < 0.01) for _ in range(pool // 4)]
    births = pd.to_datetime([v.birth_date() for _ in range(pool)])
    return pd.DataFrame(
        {
            "id": np.arange(rows, dtype=np.int64),
            "name": draw([v.faker(loc).name() for loc in locales]),
            "email": draw([v.faker(loc).email() for loc in locales]),
            "phone": draw([v.phone(REGION_OF[loc]) for loc in locales[: pool // 4]]),
            "city": draw([v.faker(loc).city() for loc in locales]),
            "street": draw([v.faker(loc).street_address() for loc in locales]),
            "dob": births[rng.integers(0, pool, rows)],
            "created_at": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 86400 * 600, rows), unit="s"),
            "amount": np.round(rng.gamma(2.0, 40.0, rows), 2),
            "status": pd.Categorical(rng.choice(["active", "churned", "trial"], rows)),
            "card": draw([v.card() for _ in range(pool // 4)]),
            "notes": draw(notes),
        }
    )


if __name__ == "__main__":
    for lf in labelled_frames(300):
        print(lf.name, lf.frame.shape, {k: sorted(s) for k, s in lf.truth.items() if s})


# -- one customer frame per locale, with that country's national id ----------------------------

# locale -> (phone region, entity nbsec reports for Faker's ``ssn()`` in that locale)
LOCALE_IDS: dict[str, tuple[str, str]] = {
    "en_US": ("US", "US_SSN"),
    "en_CA": ("CA", "CA_SIN"),
    "pl_PL": ("PL", "PL_PESEL"),
    "pt_BR": ("BR", "BR_CPF"),
    "nl_NL": ("NL", "NL_BSN"),
    "sv_SE": ("SE", "SE_PERSONNUMMER"),
    "tr_TR": ("TR", "TR_NATIONAL_ID"),
    "it_IT": ("IT", "IT_FISCAL_CODE"),
    "fr_FR": ("FR", "FR_NIR"),
    "el_GR": ("GR", "GR_AMKA"),
    "fi_FI": ("FI", "FI_PERSONAL_IDENTITY_CODE"),
    "no_NO": ("NO", "NO_FODSELSNUMMER"),
    "ro_RO": ("RO", "RO_CNP"),
    "hr_HR": ("HR", "HR_OIB"),
    "et_EE": ("EE", "EE_ISIKUKOOD"),
    "de_AT": ("AT", "AT_SVNR"),
    "de_CH": ("CH", "CH_AHV"),
    "he_IL": ("IL", "IL_ID"),
    "uk_UA": ("UA", "UA_RNTRC"),
    "th_TH": ("TH", "TH_TNIN"),
    "lv_LV": ("LV", "LV_PERSONAL_CODE"),
    "es_AR": ("AR", "AR_CUIT"),
    "cs_CZ": ("CZ", ""),
    "ru_RU": ("RU", ""),
    "es_ES": ("ES", ""),
    "de_DE": ("DE", ""),
}


def locale_frame(locale: str, rows: int, seed: int = SEED) -> LabelledFrame:
    """People of one locale: names in its script, e-mails, phones valid for its country, street
    addresses, cities, birth dates and (where Faker makes valid ones) the national id under a
    generic column name, so the id is recognised by its checksum alone."""
    from faker import Faker

    v = Values(seed)
    f = Faker(locale)
    f.seed_instance(seed)
    region, id_entity = LOCALE_IDS[locale]
    data: dict[str, Any] = {
        "name": [f.name() for _ in range(rows)],
        "email": [f.email() for _ in range(rows)],
        "phone": [v.phone(region) for _ in range(rows)],
        "address": [f.street_address() for _ in range(rows)],
        "city": [f.city() for _ in range(rows)],
        "birth_date": [v.birth_date() for _ in range(rows)],
        "order_total": np.round(v.np.gamma(2.0, 30.0, rows), 2),
        "plan": [v.rng.choice(["basic", "plus", "pro"]) for _ in range(rows)],
    }
    truth: dict[str, set[str]] = {
        "name": {"PERSON"},
        "email": {"EMAIL_ADDRESS"},
        "phone": {"PHONE_NUMBER"},
        "address": {"LOCATION"},
        "city": {"LOCATION"},
        "birth_date": {"DATE_TIME"},
        "order_total": set(),
        "plan": set(),
    }
    if id_entity:
        data["national_id"] = [str(f.ssn()) for _ in range(rows)]
        truth["national_id"] = {id_entity}
    return LabelledFrame(f"faker_{locale}", pd.DataFrame(data), truth)


def locale_frames(rows: int = 500, seed: int = SEED) -> list[LabelledFrame]:
    return [locale_frame(loc, rows, seed + i) for i, loc in enumerate(LOCALE_IDS)]
