"""Is a value one of the passwords people really use? (``iloveyou``, ``P@ssw0rd``, ``1qaz2wsx``)

The judge is zxcvbn's (MIT licence, Dropbox's password-strength estimator; the Python package
``zxcvbn`` is a dependency of nbsec). Only its *passwords* frequency list is used — the 30,000
most common passwords of Mark Burnett's 10 million password set, as zxcvbn ranks them — not its
English words, names or film titles, so a plain word under a secret name (``"required"``) is not
called a password because it is a word. On top of the list, zxcvbn's matchers undo l33t
spellings (``P@ssw0rd``, ``s3cr3t``), find keyboard walks on QWERTY, Dvorak and keypad layouts
(``1qaz2wsx``, ``zxcvbnm``, ``asdfghjkl;``), repeats, sequences and dates, and estimate the
guesses an attacker needs. A value guessed in under a million tries is a common password.

zxcvbn (about 50 ms to import) is imported on the first question, which only a value in a
password- or secret-named field asks; the answer is cached per value.
"""

from __future__ import annotations

from functools import cache
from typing import Any

# under 10^6 guesses: zxcvbn's scores 0 and 1 ("too guessable", "very guessable")
WEAK_GUESSES_LOG10 = 6.0
# zxcvbn refuses longer values; no common password is that long
_MAX_LENGTH = 64


@cache
def _dictionaries() -> dict[str, Any] | None:
    try:
        from zxcvbn import matching
    except ImportError:  # pragma: no cover - a dependency of nbsec
        return None
    return {"passwords": matching.RANKED_DICTIONARIES["passwords"]}


@cache
def is_common_password(value: str) -> bool:
    """Would an attacker's password list find ``value`` within a million guesses?"""
    if not value or len(value) > _MAX_LENGTH or value.isspace():
        return False
    dictionaries = _dictionaries()
    if dictionaries is None:  # pragma: no cover
        return False
    from zxcvbn import matching, scoring

    try:
        matches = matching.omnimatch(value, dictionaries)
        result = scoring.most_guessable_match_sequence(value, matches)
    except Exception:  # an estimator failure is "not known to be weak"
        return False
    return float(result["guesses_log10"]) < WEAK_GUESSES_LOG10
