"""Checks of shell commands run from a notebook: ``!cmd``, ``%%bash`` bodies, ``%pip``,
``os.system("...")`` and ``subprocess`` calls with a literal command.

A command line is split into pipelines and simple commands (``|``, ``&&``, ``||``, ``;``) with
:mod:`shlex`; nothing is run. Reported:

* NBS-MDL-004 — ``wget`` / ``curl`` of a model or pickle file (by URL path or ``-O`` / ``-o`` name);
* NBS-MDL-005 — ``pip install`` (also ``%pip``, ``uv pip``, ``python -m pip``) of a URL or VCS
  requirement;
* NBS-MDL-002 — ``huggingface-cli download`` without ``--revision <40-hex>``;
* NBS-MDL-006 — a fetched model file or package URL whose host the policy does not trust;
* NBS-SRC-005 — a fetch piped into a shell or interpreter (``curl ... | bash``).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

from nbsec.policy import Policy
from nbsec.source.call_rules import CallRules, load_call_rules
from nbsec.source.issue import Issue
from nbsec.source.url_shape import has_model_extension, is_commit, is_url, shown, url_path

_SEPARATORS = {"&&", "||", ";", "&"}
_OUTPUT_FLAGS = {"-O", "-o", "--output", "--output-document", "--out"}


def _tokens(command: str) -> list[str]:
    text = command.replace("\\\n", " ")
    try:
        lexer = shlex.shlex(text, posix=True, punctuation_chars="|&;")
        lexer.whitespace_split = True
        return list(lexer)
    except ValueError:
        return text.split()


def pipelines(command: str) -> Iterator[list[list[str]]]:
    """Yield each pipeline as a list of simple commands (lists of words)."""
    pipeline: list[list[str]] = []
    current: list[str] = []
    for tok in _tokens(command):
        if tok == "|":
            pipeline.append(current)
            current = []
        elif tok in _SEPARATORS or set(tok) <= set("|&;"):
            pipeline.append(current)
            yield [c for c in pipeline if c]
            pipeline, current = [], []
        else:
            current.append(tok)
    pipeline.append(current)
    if any(pipeline):
        yield [c for c in pipeline if c]


_WRAPPERS = frozenset({"sudo", "env", "time", "nohup", "exec", "command", "xargs"})
_ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")


def _program(words: list[str]) -> tuple[str, list[str]]:
    """Skip ``sudo``, ``env``, ``X=1``, ``time``; unwrap ``python -m``; return (program, args)."""
    i = 0
    while i < len(words):
        word = words[i]
        base = word.rsplit("/", 1)[-1]
        if base in _WRAPPERS or _ENV_ASSIGNMENT.match(word):
            i += 1
            continue
        if base.startswith("python") and words[i + 1 : i + 2] == ["-m"] and i + 2 < len(words):
            return words[i + 2], words[i + 3 :]
        return base, words[i + 1 :]
    return "", []


def check_shell_command(
    command: str, line: int, policy: Policy, rules: CallRules | None = None
) -> list[Issue]:
    """Issues in one shell command line (see the module docstring)."""
    rules = rules or load_call_rules()
    issues: list[Issue] = []
    for pipeline in pipelines(command):
        fetched = False
        for position, words in enumerate(pipeline):
            program, args = _program(words)
            if program in rules.shell_fetchers:
                fetched = True
                issues.extend(_check_fetch(program, args, line, policy, rules))
            elif program in rules.shell_interpreters and fetched and position > 0:
                issues.append(
                    Issue(
                        "NBS-SRC-005",
                        f"output of a download is piped into {program}",
                        line,
                        key=f"pipe:{program}",
                    )
                )
            elif program in rules.pip_commands or program == "pip":
                issues.extend(_check_pip(args, line, policy, rules))
            elif program in ("huggingface-cli", "hf") and args[:1] == ["download"]:
                issues.extend(_check_hf_cli(args[1:], line, policy))
    return issues


def _check_fetch(
    program: str, args: list[str], line: int, policy: Policy, rules: CallRules
) -> list[Issue]:
    urls = [a for a in args if is_url(a)]
    outputs = [args[i + 1] for i, a in enumerate(args[:-1]) if a in _OUTPUT_FLAGS]
    outputs += [a.split("=", 1)[1] for a in args if a.startswith(("--output=", "-O=", "--out="))]
    issues: list[Issue] = []
    for url in urls:
        is_model = has_model_extension(url_path(url), rules.model_extensions) or any(
            has_model_extension(o, rules.model_extensions) for o in outputs
        )
        if not is_model:
            continue
        where = shown(url)
        issues.append(
            Issue("NBS-MDL-004", f"{program} downloads a model file from {where}", line, key=where)
        )
        if policy.trusted_sources and not policy.source_trusted(url):
            issues.append(
                Issue("NBS-MDL-006", f"model file from untrusted source {where}", line, key=where)
            )
    return issues


def _check_pip(args: list[str], line: int, policy: Policy, rules: CallRules) -> list[Issue]:
    if "pip" in args[:1]:  # uv pip install / conda run pip install
        args = args[1:]
    if not args or args[0] not in ("install", "add"):
        return []
    issues: list[Issue] = []
    for arg in args[1:]:
        requirement = arg
        if "@" in arg and not is_url(arg) and not arg.startswith(rules.vcs_prefixes):
            requirement = arg.split("@", 1)[1].strip()  # "name@git+https://..." (PEP 508)
        vcs = requirement.startswith(rules.vcs_prefixes)
        if not (vcs or is_url(requirement)):
            continue
        target = requirement
        for prefix in rules.vcs_prefixes:
            target = target.removeprefix(prefix)
        where = shown(target)
        issues.append(
            Issue(
                "NBS-MDL-005",
                f"package installed from {'a VCS URL' if vcs else 'a URL'}: {where}",
                line,
                key=where,
            )
        )
        if policy.trusted_sources and not policy.source_trusted(target):
            issues.append(
                Issue("NBS-MDL-006", f"package from untrusted source {where}", line, key=where)
            )
    return issues


def _check_hf_cli(args: list[str], line: int, policy: Policy) -> list[Issue]:
    positional = [a for a in args if not a.startswith("-")]
    if not positional:
        return []
    repo = positional[0]
    revision = None
    for i, arg in enumerate(args):
        if arg == "--revision" and i + 1 < len(args):
            revision = args[i + 1]
        elif arg.startswith("--revision="):
            revision = arg.split("=", 1)[1]
    issues: list[Issue] = []
    if not is_commit(revision):
        issues.append(
            Issue(
                "NBS-MDL-002",
                f"huggingface-cli download of {shown(repo)} without a pinned commit revision",
                line,
                key=f"hf-cli:{repo}",
            )
        )
    if policy.trusted_sources and not policy.source_trusted(repo):
        issues.append(
            Issue(
                "NBS-MDL-006",
                f"hub repository {shown(repo)} is not a trusted source",
                line,
                key=repo,
            )
        )
    return issues
