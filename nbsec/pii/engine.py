"""The presidio engine: built once per configuration, reused, never touching the network.

presidio's default ``AnalyzerEngine()`` downloads a spaCy model; nbsec never lets it. The engine is
built with ``NoOpNlpEngine`` (pattern recognizers only) unless ``policy.pii.spacy_model`` names an
installed spaCy package or a model directory, in which case that model's NER serves PERSON and
LOCATION in free-text columns. ``tldextract`` (used by presidio's e-mail recognizer) is pinned to
its bundled suffix list so it never fetches one.

The recognizers themselves (presidio's predefined ones in bulk, stdnum's national ids, nbsec's
own) are built in :mod:`nbsec.pii.recognizers`; this engine serves the NER path.
"""

from __future__ import annotations

import importlib.util
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from nbsec.errors import PolicyError

# entities nbsec recognises itself; anything else a policy names goes to presidio's registry
OWN_ENTITIES = frozenset(
    (
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "US_SSN",
        "CREDIT_CARD",
        "IBAN_CODE",
        "IP_ADDRESS",
        "PERSON",
        "LOCATION",
        "DATE_TIME",
    )
)
_LOCK = threading.Lock()


def keep_offline() -> None:
    """Make presidio's tldextract use its bundled suffix list, never the network."""
    try:
        import tldextract
    except ImportError:  # pragma: no cover - presidio depends on it
        return
    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    tldextract.tldextract.TLD_EXTRACTOR = offline
    try:
        import presidio_analyzer.predefined_recognizers.generic.email_recognizer as email_mod

        if hasattr(email_mod, "tldextract"):
            email_mod.tldextract.extract = offline
    except ImportError:  # pragma: no cover - layout differs between presidio versions
        pass


def spacy_model_available(name: str) -> bool:
    """Is ``name`` an installed spaCy package or an existing model directory?"""
    if not name:
        return False
    if Path(name).is_dir():
        return True
    return importlib.util.find_spec(name.replace("-", "_")) is not None


@lru_cache(maxsize=4)
def analyzer(spacy_model: str = "") -> Any:
    """The shared ``AnalyzerEngine`` for a model ('' for the model-free engine)."""
    with _LOCK:
        keep_offline()
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NoOpNlpEngine

        if not spacy_model:
            return AnalyzerEngine(
                nlp_engine=NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}]),
                supported_languages=["en"],
            )
        if not spacy_model_available(spacy_model):
            raise PolicyError(
                f"pii.spacy_model: {spacy_model!r} is neither an installed spaCy package nor a "
                "model directory (nbsec never downloads models)"
            )
        from presidio_analyzer.nlp_engine import SpacyNlpEngine

        nlp = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": spacy_model}])
        return AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])


def ner_function(spacy_model: str) -> Any:
    """A function mapping texts to the NER entity types presidio finds in each."""
    engine = analyzer(spacy_model)

    def run(texts: list[str]) -> list[set[str]]:
        out = []
        for text in texts:
            results = engine.analyze(text=text, language="en", entities=["PERSON", "LOCATION"])
            out.append({r.entity_type for r in results if r.score >= 0.6})
        return out

    return run


def presidio_entities(texts: list[str], entities: list[str]) -> list[set[str]]:
    """The long-tail entities presidio's pattern recognizers find in each text."""
    engine = analyzer("")
    out = []
    for text in texts:
        results = engine.analyze(text=text, language="en", entities=entities)
        out.append({r.entity_type for r in results if r.score >= 0.5})
    return out
