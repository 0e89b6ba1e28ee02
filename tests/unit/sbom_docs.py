"""Environment SBOMs for the KPI SBOM version tests, written as the release's tools write them, and their signature.

``environment_cyclonedx`` writes ``sbom-env.cdx.json`` as cyclonedx-py does (each distribution a library
component, its own bom-ref); ``signed`` is that file's one valid signature at the run-made key's trust.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from lakehouse.kpi.sbom import Distribution
from lakehouse.kpi.signing import SignatureCheck
from lakehouse.kpi.trust import RUN_MADE_KEY

#: The project whose environment the SBOM describes (its metadata component, not a library of it).
PROJECT = Distribution("lakehouse-code", "0.1.0")
#: The environment SBOM's file name.
SBOM_ENV = "sbom-env.cdx.json"


def environment_cyclonedx(tmp_path: Path, dists: Sequence[Distribution]) -> Path:
    """A CycloneDX 1.6 environment SBOM of ``dists`` (the project left out) in ``tmp_path``."""
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": {"component": {"type": "application", "name": PROJECT.name, "version": PROJECT.version}},
        "components": [
            {"type": "library", "name": d.name, "version": d.version, "bom-ref": d.purl, "purl": d.purl}
            for d in dists
            if d.key != PROJECT.key
        ],
    }
    path = tmp_path / SBOM_ENV
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def signed(artifact: str = SBOM_ENV) -> list[SignatureCheck]:
    """``artifact``'s valid signature, at the trust of a key the run made."""
    return [SignatureCheck(artifact, f"{SBOM_ENV}.sig", "0" * 64, 10, True, trust=RUN_MADE_KEY)]
