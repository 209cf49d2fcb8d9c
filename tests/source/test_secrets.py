"""NBS-SEC detectors: provider formats, key blocks, connection strings, keyword rules, decoys."""

from __future__ import annotations

import json

import pytest

from nbsec.source.secret_scan import find_secrets
from tests.source import secret_samples as s

FLAGGED = [
    (f"key_id = '{s.AWS_KEY_ID}'", "NBS-SEC-001", "AWS access key id"),
    (f"aws_secret_access_key = '{s.AWS_SECRET}'", "NBS-SEC-001", "AWS secret access key"),
    (f"maps = Client(key='{s.GOOGLE_API}')", "NBS-SEC-001", "Google API key"),
    (
        f"conn = 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey={s.AZURE_KEY};'",
        "NBS-SEC-001",
        "Azure storage account key",
    ),
    (f"gh = Github('{s.GITHUB}')", "NBS-SEC-002", "GitHub token"),
    (f"GH = '{s.GITHUB_FINE}'", "NBS-SEC-002", "GitHub fine-grained token"),
    (f"gl = '{s.GITLAB}'", "NBS-SEC-002", "GitLab token"),
    (f"client = WebClient('{s.SLACK}')", "NBS-SEC-002", "Slack token"),
    (f"requests.post('{s.SLACK_HOOK}', json=m)", "NBS-SEC-002", "Slack webhook"),
    (f"stripe.api_key = '{s.STRIPE}'", "NBS-SEC-002", "Stripe live key"),
    (f"client = OpenAI(api_key='{s.OPENAI}')", "NBS-SEC-002", "OpenAI API key"),
    (f'Anthropic(api_key="{s.ANTHROPIC}")', "NBS-SEC-002", "Anthropic API key"),
    (f"login('{s.HUGGINGFACE}')", "NBS-SEC-002", "Hugging Face token"),
    (f"Client('{s.TWILIO}', secret)", "NBS-SEC-002", "Twilio API key"),
    (f"sg = SendGridAPIClient('{s.SENDGRID}')", "NBS-SEC-002", "SendGrid API key"),
    (f"//registry.npmjs.org/:_authToken={s.NPM}", "NBS-SEC-002", "npm token"),
    (f"!twine upload -p {s.PYPI} dist/*", "NBS-SEC-002", "PyPI token"),
    (f"headers = {{'Authorization': 'Bearer {s.JWT}'}}", "NBS-SEC-002", "JSON Web Token"),
    (f"key = '''{s.PRIVATE_KEY}'''", "NBS-SEC-003", "private key"),
    (
        f"engine = create_engine('postgresql://etl:{s.DB_PASSWORD}@db.internal:5432/prod')",
        "NBS-SEC-004",
        "connection string password",
    ),
    (
        f"mongo = 'mongodb+srv://app:{s.DB_PASSWORD}@cluster0.example.net/db'",
        "NBS-SEC-004",
        "connection string password",
    ),
    (f"password = '{s.DB_PASSWORD}'", "NBS-SEC-005", "hard-coded password"),
    (f"config = {{'db_password': \"{s.DB_PASSWORD}\"}}", "NBS-SEC-005", "hard-coded password"),
    (f"!mysql -u root --password={s.DB_PASSWORD} db", "NBS-SEC-005", "password on a command line"),
    (f"%env DB_PASSWORD={s.DB_PASSWORD}", "NBS-SEC-005", "password set in the environment"),
    (f"headers['X-Auth'] = call(auth='{s.GENERIC_TOKEN}')", "NBS-SEC-006", "high-entropy string"),
    # passwords and keys put into the environment
    ('os.environ["DB_PASSWORD"] = "hunter2"', "NBS-SEC-005", "password set in the environment"),
    (
        f"os.environ['OPENAI_API_KEY'] = '{s.GENERIC_TOKEN}'",
        "NBS-SEC-005",
        "secret set in the environment",
    ),
    ('os.putenv("SNOWFLAKE_PASSWORD", "qwerty")', "NBS-SEC-005", "password set in the environment"),
    (
        f'os.environ.setdefault("HF_API_TOKEN", "{s.GENERIC_TOKEN}")',
        "NBS-SEC-005",
        "secret set in the environment",
    ),
    (f"%env WANDB_API_KEY {s.GENERIC_TOKEN}", "NBS-SEC-005", "secret set in the environment"),
    (
        f"%set_env MLFLOW_TRACKING_PASSWORD={s.DB_PASSWORD}",
        "NBS-SEC-005",
        "password set in the environment",
    ),
    # weak real passwords are passwords
    ('password = "123456"', "NBS-SEC-005", "hard-coded password"),
    ('db_pass = "hunter2"', "NBS-SEC-005", "hard-coded password"),
    ("dbPassword = 'admin'", "NBS-SEC-005", "hard-coded password"),
    ("smtp_pass = 'Xy7#kq(2)'", "NBS-SEC-005", "hard-coded password"),
    # credentials in URLs, also as HTTP libraries print them in errors
    (
        f"r = requests.get('https://api.h.org/v1/q?format=json&api_key={s.GENERIC_TOKEN}')",
        "NBS-SEC-004",
        "credential in a URL",
    ),
    (
        "HTTPError: 401 Client Error: Unauthorized for url: "
        f"https://api.h.org/data?access_token={s.GENERIC_TOKEN}",
        "NBS-SEC-004",
        "credential in a URL",
    ),
    (
        "ConnectionError: HTTPSConnectionPool(host='api.h.org', port=443): Max retries exceeded "
        f"with url: /v1/items?apikey={s.GENERIC_TOKEN} (Caused by NewConnectionError(...))",
        "NBS-SEC-004",
        "credential in a URL",
    ),
    (
        f"    http://127.0.0.1:8888/lab?token={s.rand(48, '0123456789abcdef')}",
        "NBS-SEC-004",
        "credential in a URL",
    ),
    (
        "url = 'https://b.s3.amazonaws.com/m.pt?X-Amz-Expires=3600&X-Amz-Signature="
        f"{s.rand(64, '0123456789abcdef')}'",
        "NBS-SEC-004",
        "credential in a URL",
    ),
    # headers
    (
        f'headers = {{"Authorization": "Bearer {s.GENERIC_TOKEN}"}}',
        "NBS-SEC-005",
        "credential in an HTTP header",
    ),
    (
        "Authorization: Basic dXNlcjpodW50ZXIyLXJlYWw=",
        "NBS-SEC-005",
        "credential in an HTTP header",
    ),
    (f"X-Api-Key: {s.GENERIC_TOKEN}", "NBS-SEC-005", "credential in an HTTP header"),
    (f"Cookie: theme=dark; sessionid={s.GENERIC_TOKEN}", "NBS-SEC-005", "session cookie"),
    # printed settings
    ("Password: hunter2", "NBS-SEC-005", "password shown in the notebook"),
    ("password: Xy7#kq2)", "NBS-SEC-005", "password shown in the notebook"),
    (
        "403 Client Error: Forbidden for url: https://api.weather.example/v1/forecast?q=Paris&"
        f"appid={s.GENERIC_TOKEN}",
        "NBS-SEC-004",
        "credential in a URL",
    ),
    (f"  api_key = {s.GENERIC_TOKEN}", "NBS-SEC-005", "secret shown in the notebook"),
    # weak real passwords: common-list entries, l33t spellings, keyboard walks, low variety
    ('password = "iloveyou"', "NBS-SEC-005", "hard-coded password"),
    ('conn = connect(user="etl", password="P@ssw0rd")', "NBS-SEC-005", "hard-coded password"),
    ('db_pass = "1qaz2wsx"', "NBS-SEC-005", "hard-coded password"),
    ("Password: zxcvbnm", "NBS-SEC-005", "password shown in the notebook"),
    ('os.environ["DB_PASSWORD"] = "111111"', "NBS-SEC-005", "password set in the environment"),
    ('password = "s3cr3t"', "NBS-SEC-005", "hard-coded password"),
    ('db_pw = "dragon"', "NBS-SEC-005", "hard-coded password"),
    ("!PGPASSWORD=qwerty123 psql -h db -U etl", "NBS-SEC-005", "hard-coded password"),
    ('secret_key = "iloveyou"', "NBS-SEC-005", "hard-coded secret"),
    ('client_secret = "qwertyuiop"', "NBS-SEC-005", "hard-coded secret"),
    ('{"smtp_password": "letmein"}', "NBS-SEC-005", "hard-coded password"),
    # in a password field, test123 and 12345678 are weak passwords, not examples
    ('password = "test1234"', "NBS-SEC-005", "hard-coded password"),
    ('db_password = "12345678"', "NBS-SEC-005", "hard-coded password"),
]

DECOYS = [
    "api_key = os.environ['OPENAI_API_KEY']",
    "token = os.getenv('HF_TOKEN')",
    "password = getpass.getpass()",
    "API_KEY = 'YOUR_API_KEY'",
    "token = '<token>'",
    "password = 'changeme'",
    "secret = 'xxxxxxxxxxxxxxxx'",
    "api_key = '****************'",
    "gh = 'ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'",
    "password = ''",
    "password = 'password'",
    "url = 'postgresql://user:password@localhost/db'",
    "url = 'postgresql://user:<password>@localhost/db'",
    "url = f'postgresql://{user}:{password}@{host}/db'",
    "url = 'https://github.com/org/repo@v1.0'",
    "sha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'",
    "revision = '0123456789abcdef0123456789abcdef01234567'",
    "token_id = '550e8400-e29b-41d4-a716-446655440000'",
    "key = '550e8400-e29b-41d4-a716-446655440000'",
    "checksum_key = 'd41d8cd98f00b204e9800998ecf8427e'",
    '"id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"',
    "tokenizer = AutoTokenizer.from_pretrained('bert-base-uncased')",
    "max_tokens = 4096",
    "secret_name = 'prod/db/credentials'",
    "password_file = '/run/secrets/db_password'",
    "![img](data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==) key",
    "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY",
    "token = tokenizer('hello world')",
    "key_col = 'customer_identifier_column'",
    # NLP tokens, special tokens, template values
    "token = 'running'",
    "for token in doc:\n    print(token.text, token.pos_)",
    "pad_token = '[PAD]'\nsep_token = '[SEP]'",
    "tokenizer.pad_token = tokenizer.eos_token",
    "TOKEN: hello\nTOKEN: world",
    "password: ********",
    "Password:",
    "Enter password: ",
    "password_min_length: 12",
    "api_key = '[REDACTED]'",
    "Authorization: Bearer <token>",
    "Authorization: Bearer ${TOKEN}",
    'headers = {"Authorization": f"Bearer {token}"}',
    "https://api.h.org/v1?api_key=YOUR_API_KEY",
    "https://api.h.org/v1?page=2&sort_key=name&key=value",
    "https://api.h.org/v1?token={token}",
    "os.environ['DB_PASSWORD'] = getpass()",
    "os.environ['CUDA_VISIBLE_DEVICES'] = '0,1'",
    "os.environ['TOKENIZERS_PARALLELISM'] = 'false'",
    "%env PYTHONHASHSEED=0",
    "key: value",
    "git push https://github.com/org/repo.git",
    # real notebooks: JavaScript of matplotlib's nbagg, a credentials *file* name
    "    var pass_mouse_events = true;",
    'os.environ["GOOGLE_APPLICATION_CREDENTIALS"] = "my_service_account_private_key.json"',
    "https://h.org/?auth=true",
    "    sample_batch_size=2,\n    single_deterministic_pass=False)))",
    # documentation values and plain words under a secret name stay quiet
    'password = "<your-password>"',
    'password = "xxx"',
    'password = "${DB_PASSWORD}"',
    "password = os.environ['DB_PASSWORD']",
    'password = "your_password_here"',
    'password = "CHANGEME"',
    'client_secret = "required"',
    'SECRET_KEY = "development"',
    'token = "iloveyou"',
    'compass = "dragon"',
    "https://api.h.org/v1?token=s3cr3t",
    # real notebooks: hub ids on a tokenizer line, a variable copied, code, a Drive link
    'tokenizer = AutoTokenizer.from_pretrained("SomeOrgAI/xlm-clm-enfr-1024")',
    "    hf_token = hf_token_write",
    "  trained_token = list(loaded_learned_embeds.keys())[0]",
    "https://drive.google.com/file/d/0B7EVK8r0v71pY0NSMzRuSXJEVkk/view?usp=sharing&"
    "resourcekey=0-i4TGCi_51OtQ5K9FSp4EDg",
    # documentation values in the shape of real keys
    'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"',
    "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
    'stripe.api_key = "sk_live_EXAMPLE1234567890abcdefgh"',
    'gh = "ghp_' + "1234567890abcdef" * 2 + '1234"',
    'api_key = "1234567890abcdef"',
    'api_key = "a1b2c3d4e5f6g7h8i9j0"',
    'api_key = "abcdefghijklmnopqrstuvwxyz"',
    'api_key = "sample-api-key-123456"',
    'api_key = "fake-token-abc123xyz"',
    'openai.api_key = "sk-test1234567890abcdefTESTKEY"',
    "hf = 'hf_" + "testTEST" * 4 + "te'",
    "Authorization: Bearer EXAMPLE_TOKEN_1234567890",
    'client_secret = "GOCSPX-EXAMPLE_client_secret_value"',
]


@pytest.mark.parametrize(("text", "rule", "kind"), FLAGGED)
def test_flagged(text: str, rule: str, kind: str) -> None:
    found = find_secrets("x = 1\n" + text)
    assert [(h.rule, h.kind, h.line) for h in found] == [(rule, kind, 2)]


@pytest.mark.parametrize("text", DECOYS)
def test_decoys_stay_clean(text: str) -> None:
    assert find_secrets(text) == []


def test_documentation_values_never_silence_random_keys() -> None:
    """Random keys of every alphabet and length keys come in are never taken for examples."""
    from nbsec.source.secret_scan import is_documentation_value

    alphabets = [s.ALNUM, s.ALNUM + "+/", "0123456789abcdef", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"]
    values = [s.rand(n, a) for n in (16, 20, 32, 40, 64) for a in alphabets for _ in range(500)]
    assert [v for v in values if is_documentation_value(v)] == []
    assert [v for v in s.ALL_SECRETS if is_documentation_value(v)] == []


def test_secret_in_json_escaped_source_is_found_once_decoded() -> None:
    # the raw .ipynb has the token inside a JSON string with escapes around it
    raw = json.dumps({"source": [f'x = 1\nGH = "{s.GITHUB}"\n']})
    decoded = json.loads(raw)["source"][0]
    (hit,) = find_secrets(decoded)
    assert (hit.rule, hit.line, hit.secret) == ("NBS-SEC-002", 2, s.GITHUB)


def test_evidence_is_a_hash_never_the_secret() -> None:
    (hit,) = find_secrets(f"token = '{s.GITHUB}'")
    assert s.GITHUB not in hit.evidence
    assert s.GITHUB[4:20] not in hit.to_issue().message
    assert hit.evidence.startswith("GitHub token (sha256:")


def test_column_is_reported() -> None:
    (hit,) = find_secrets(f"a\n    tok = '{s.GITHUB}'")
    assert (hit.line, hit.column) == (2, 12)
