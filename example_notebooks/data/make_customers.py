"""Writes data/customers.csv: 200 invented customers (seeded, reproducible, no real person).

python example_notebooks/data/make_customers.py
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

FIRST = [
    "Ann",
    "Bob",
    "Cara",
    "Dev",
    "Eva",
    "Femi",
    "Gus",
    "Hana",
    "Ivan",
    "Jia",
    "Kofi",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
    "Uma",
    "Vik",
    "Wen",
    "Yara",
    "Zoe",
]
LAST = [
    "Smith",
    "Jones",
    "Diaz",
    "Patel",
    "Novak",
    "Okafor",
    "Berg",
    "Sato",
    "Petrov",
    "Chen",
    "Mensah",
    "Vogel",
    "Rossi",
    "Khan",
    "Silva",
    "Murphy",
    "Larsen",
    "Haddad",
    "Kim",
    "Moreau",
]
DOMAINS = ["example.com", "example.org", "mail.example.net", "corp.example"]
PLANS = [("basic", 19.0), ("plus", 39.0), ("pro", 79.0)]


def rows(n: int = 200, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    out: list[dict[str, object]] = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        plan, price = rng.choice(PLANS)
        domain = rng.choice(DOMAINS)
        tenure = rng.randint(1, 60)
        tickets = rng.choices(range(8), weights=[30, 25, 15, 10, 8, 6, 4, 2])[0]
        risk = 0.15 + 0.08 * tickets - 0.004 * tenure + (0.1 if plan == "basic" else 0.0)
        out.append(
            {
                "customer_id": 10_000 + i,
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@{domain}",
                "phone": f"({rng.randint(201, 989)}) 555-{rng.randint(100, 199):04d}",
                "signup_date": (
                    date(2021, 1, 1) + timedelta(days=rng.randint(0, 1400))
                ).isoformat(),
                "plan": plan,
                "monthly_spend": round(price * rng.uniform(0.9, 1.3), 2),
                "tenure_months": tenure,
                "support_tickets": tickets,
                "churned": int(rng.random() < max(0.02, min(0.9, risk))),
            }
        )
    return out


def main() -> None:
    target = Path(__file__).parent / "customers.csv"
    data = rows()
    with target.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(data[0]))
        writer.writeheader()
        writer.writerows(data)


if __name__ == "__main__":
    main()
