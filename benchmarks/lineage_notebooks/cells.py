"""The notebooks of ``bench_lineage.py``, as lists of cell sources (generated, so nothing large is
committed). Each notebook works in its own directory and makes its own data."""

from __future__ import annotations

REALISTIC: list[str] = [
    "import numpy as np\nimport pandas as pd",
    "rng = np.random.default_rng(7)\nN = 60_000",
    "customers = pd.DataFrame({'customer_id': np.arange(5_000),\n"
    "    'region': rng.choice(['north', 'south', 'east', 'west'], 5_000),\n"
    "    'segment': rng.choice(['retail', 'sme', 'corporate'], 5_000)})",
    "orders = pd.DataFrame({'order_id': np.arange(N), 'customer_id': rng.integers(0, 5_000, N),\n"
    "    'amount': rng.gamma(2.0, 40.0, N).round(2), 'n_items': rng.integers(1, 9, N),\n"
    "    'day': rng.integers(0, 365, N)})",
    "customers.to_csv('customers.csv', index=False)\norders.to_parquet('orders.parquet')",
    "del customers, orders",
    "customers = pd.read_csv('customers.csv')",
    "orders = pd.read_parquet('orders.parquet')",
    "orders.head()",
    "orders.describe()",
    "orders = orders[orders.amount > 1.0].copy()",
    "orders['unit_price'] = orders.amount / orders.n_items",
    "orders['month'] = (orders.day // 31).clip(upper=11)",
    "joined = orders.merge(customers, on='customer_id', how='left')",
    "by_region = joined.groupby('region').amount.agg(['sum', 'mean', 'count'])\nby_region",
    "by_month = joined.pivot_table(index='month', columns='segment', values='amount', "
    "aggfunc='sum')",
    "spend = joined.groupby('customer_id').amount.sum().rename('spend')",
    "freq = joined.groupby('customer_id').order_id.count().rename('orders')",
    "features = customers.set_index('customer_id').join([spend, freq]).fillna(0)",
    "features['big'] = (features.spend > features.spend.median()).astype(int)",
    "X = pd.get_dummies(features[['region', 'segment', 'orders']], dtype=float).to_numpy()\n"
    "y = features.big.to_numpy()",
    "from sklearn.model_selection import train_test_split\n"
    "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)",
    "from sklearn.linear_model import LogisticRegression\n"
    "model = LogisticRegression(max_iter=300).fit(X_train, y_train)",
    "accuracy = float((model.predict(X_test) == y_test).mean())\naccuracy",
    "coefficients = pd.Series(model.coef_[0])",
    "import pickle\nwith open('model.pkl', 'wb') as fh:\n    pickle.dump(model, fh)",
    "features.to_csv('features.csv')",
    "by_region.to_csv('by_region.csv')",
    "summary = {'rows': len(joined), 'accuracy': accuracy, 'regions': len(by_region)}\nsummary",
    "import json\nwith open('summary.json', 'w') as fh:\n    json.dump(summary, fh)",
]

LOOPS: list[str] = [
    "def collatz(n):\n    steps = 0\n    while n != 1:\n"
    "        n = 3 * n + 1 if n % 2 else n // 2\n        steps += 1\n    return steps",
    "longest = max(range(1, 60_000), key=collatz)",
    "total = 0\nfor i in range(1_500_000):\n    total += i * i % 7",
    "counts = {}\nfor i in range(600_000):\n    k = i % 1013\n    counts[k] = counts.get(k, 0) + 1",
    "grid = [[(i * j) % 10 for j in range(500)] for i in range(500)]",
    "acc = 0\nfor row in grid:\n    for v in row:\n        acc += v",
    "words = [str(i) * 3 for i in range(300_000)]\njoined_len = sum(len(w) for w in words)",
    "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\nf = fib(24)",
    "primes = [n for n in range(2, 60_000) if all(n % d for d in range(2, int(n ** 0.5) + 1))]",
    "s = sorted(words, key=lambda w: w[::-1])[:10]",
]


def namespace(n_vars: int, cells: int = 30) -> list[str]:
    """A first cell that binds ``n_vars`` variables, then ``cells`` small cells."""
    setup = f"for _i in range({n_vars}):\n    globals()[f'v{{_i}}'] = _i"
    small = [
        f"x{i} = v{i % max(n_vars, 1)} + {i}" if n_vars else f"x{i} = {i}" for i in range(cells)
    ]
    return [setup, *small]
