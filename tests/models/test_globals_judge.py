"""Allowlist judgement: allowed, denied (dangerous) or unknown (suspicious, never safe)."""

from __future__ import annotations

import pytest

from nbsec.models.globals_judge import FORMAT_PROFILES, GlobalsJudge, Judgement, global_lists
from nbsec.policy import PROFILES, Policy

A, D, U = Judgement.ALLOWED, Judgement.DENIED, Judgement.UNKNOWN


@pytest.mark.parametrize(
    ("module", "qualname", "expected"),
    [
        ("torch._utils", "_rebuild_tensor_v2", A),
        ("collections", "OrderedDict", A),
        ("numpy._core.multiarray", "_reconstruct", A),
        ("torch.nn.modules.linear", "Linear", A),
        ("copyreg", "__newobj__", A),
        ("posix", "system", D),
        ("os", "system", D),
        ("builtins", "eval", D),
        ("builtins", "getattr", D),
        ("pip._internal.cli.main", "main", D),
        ("runpy", "_run_code", D),
        ("_operator", "attrgetter", D),
        ("importlib", "import_module", D),
        ("torch.nn.modules.module", "os.system", D),  # attribute traversal out of a prefix
        ("numpy", "__builtins__", D),  # dunder gadget
        ("numpy", "prod.__globals__", D),
        ("mypackage.models", "MyNet", U),
        ("torch.nn.modules.module", "Module.helper", U),  # exact names only
        ("sklearn.linear_model._logistic", "LogisticRegression", A),  # reviewed by default
        ("pandas.core.frame", "DataFrame", A),  # pandas 2 name
        ("pandas", "DataFrame", A),  # pandas 3 name
        ("functools", "partial", A),  # what it wraps is judged on its own
        ("builtins", "len", A),
        ("re", "_compile", A),
        ("argparse", "Namespace", A),
        ("torch.storage", "_load_from_bytes", D),  # a loader is never allowed
        ("torch.nn.modules.module", "register_module_forward_hook", D),
        ("joblib.numpy_pickle_compat", "NDArrayWrapper", D),  # unpickles a side file
        ("mypackage.io", "Reader", U),  # "io" is denied only as a top-level module
    ],
)
def test_default_judgement(module: str, qualname: str, expected: Judgement) -> None:
    assert GlobalsJudge().judge(module, qualname) is expected


@pytest.mark.parametrize(
    ("policy", "module", "qualname", "expected"),
    [
        (Policy(allow_profiles=("sklearn",)), "sklearn.tree._tree", "Tree", A),
        (Policy(allow_globals=("mypackage.models.MyNet",)), "mypackage.models", "MyNet", A),
        (Policy(allow_globals=("mypackage.models.MyNet",)), "mypackage.models", "Other", U),
    ],
)  # fmt: skip
def test_policy_extends_the_allowlist(
    policy: Policy, module: str, qualname: str, expected: Judgement
) -> None:
    assert GlobalsJudge(policy).judge(module, qualname) is expected


def test_every_policy_profile_names_a_family() -> None:
    families = set(global_lists().profiles)
    assert {"scikit-learn", "pandas", "numpy", "torch-nn", "stdlib"} <= families
    assert set(PROFILES) - {"sklearn", "xgboost", "lightgbm", "transformers"} <= families


def test_torchscript_names_are_allowed_only_in_torchscript_archives() -> None:
    name = ("__torch__.torch.nn.modules.linear", "Linear")
    assert GlobalsJudge().judge(*name) is U
    assert GlobalsJudge(extra_profiles=("torchscript",)).judge(*name) is A


def test_every_exact_allowlist_entry_is_effective() -> None:
    """A reviewed exact name may sit in a denied module; each one must come out allowed."""
    lists = global_lists()
    judge = GlobalsJudge(extra_profiles=FORMAT_PROFILES)
    for names in [*lists.families.values(), *lists.format_exact.values()]:
        for name in names:
            module, _, qualname = name.rpartition(".")
            assert judge.judge(module, qualname) is Judgement.ALLOWED, name
