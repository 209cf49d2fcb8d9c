"""Fake but well-formed credentials, assembled at run time so that no token-shaped literal is
committed in the test sources (golden notebooks hold theirs on purpose)."""

from __future__ import annotations

import base64
import random
import string

_RNG = random.Random(20261122)
ALNUM = string.ascii_letters + string.digits


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


def b64url(data: str) -> str:
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


AWS_KEY_ID = "AKIA" + rand(16, string.ascii_uppercase + "234567")
AWS_SECRET = rand(40, ALNUM + "/+")
GOOGLE_API = "AIza" + rand(35, ALNUM + "_-")
AZURE_KEY = rand(86, ALNUM + "+/") + "=="
GITHUB = "ghp" + "_" + rand(36)
GITHUB_FINE = "github" + "_pat_" + rand(22) + "_" + rand(59)
GITLAB = "glpat" + "-" + rand(20)
SLACK = "xoxb" + "-" + rand(11, string.digits) + "-" + rand(12, string.digits) + "-" + rand(24)
SLACK_HOOK = (
    "https://hooks.slack.com/services/T"
    + rand(8, string.ascii_uppercase + string.digits)
    + "/B"
    + rand(8, string.ascii_uppercase + string.digits)
    + "/"
    + rand(24)
)
STRIPE = "sk" + "_live_" + rand(24)
OPENAI = "sk-proj-" + rand(20) + "T3BlbkFJ" + rand(20)
ANTHROPIC = "sk-ant-" + "api03-" + rand(93, ALNUM + "_-") + "AA"
HUGGINGFACE = "hf" + "_" + rand(34, string.ascii_letters)
TWILIO = "SK" + rand(32, "0123456789abcdef")
SENDGRID = "SG." + rand(22, ALNUM + "_-") + "." + rand(43, ALNUM + "_-")
NPM = "npm" + "_" + rand(36)
PYPI = "pypi-AgEIcHlwaS5vcmc" + rand(60, ALNUM + "_-")
JWT = (
    b64url('{"alg":"HS256","typ":"JWT"}')
    + "."
    + b64url('{"sub":"1234567890","name":"x"}')
    + "."
    + rand(43, ALNUM + "_-")
)
PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    + rand(64, ALNUM + "+/")
    + "\n"
    + rand(64, ALNUM + "+/")
    + "\n-----END RSA PRIVATE KEY-----"
)
DB_PASSWORD = "Tr0ub4dor-" + rand(8)
GENERIC_TOKEN = rand(32, ALNUM)

ALL_SECRETS = [
    AWS_KEY_ID,
    AWS_SECRET,
    GOOGLE_API,
    AZURE_KEY,
    GITHUB,
    GITHUB_FINE,
    GITLAB,
    SLACK,
    SLACK_HOOK,
    STRIPE,
    OPENAI,
    ANTHROPIC,
    HUGGINGFACE,
    TWILIO,
    SENDGRID,
    NPM,
    PYPI,
    JWT,
    DB_PASSWORD,
    GENERIC_TOKEN,
]
