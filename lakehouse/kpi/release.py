"""KPI SBOM + signature coverage: build the release artifacts into reports/, sign, verify, judge.

Signatures are made over the copies kept under reports/ (after redaction), so a reviewer can
verify exactly the bytes the evidence points at with the public key written next to them.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from lakehouse.evidence import ArtifactStore
from lakehouse.kpi.sbom import build_wheel, generate_sbom, installed_distributions, judge_release, sbom_coverage
from lakehouse.kpi.signing import make_signer, verify_all
from lakehouse.outcome import Outcome


@dataclass
class Release:
    """The judged release and every file it wrote under reports/ (artifacts, signatures, public key)."""

    result: Outcome
    artifacts: list[str] = field(default_factory=list)


def build_signed_release(root: Path, store: ArtifactStore, release_dir: str, plan_name: str) -> Release:
    """SBOM of this Python environment and the project's wheel, plus the plan JSON already in reports/."""
    python = Path(sys.executable)
    written: list[str] = []
    with tempfile.TemporaryDirectory(prefix="lakehouse-release-") as tmp:
        work = Path(tmp)
        sbom_name = store.copy(
            generate_sbom(python, root / "pyproject.toml", work / "sbom.cdx.json"), f"{release_dir}/sbom.cdx.json"
        )
        wheel = build_wheel(root, work / "dist")
        wheel_name = store.copy(wheel, f"{release_dir}/{wheel.name}")
        paths = [store.root / n for n in (sbom_name, wheel_name, plan_name)]
        signer = make_signer(work / "keys")
        written += [str(signer.sign(path).relative_to(store.root)) for path in paths]
        written += [
            sbom_name,
            wheel_name,
            store.write_text(f"{release_dir}/signing-key.pub.pem", signer.public_key_pem()),
        ]
        checks = verify_all(signer, paths, store.root)
    sbom = json.loads((store.root / sbom_name).read_text(encoding="utf-8"))
    coverage, missing = sbom_coverage(sbom, installed_distributions(python))
    result = judge_release(checks, coverage, missing, signer.name, len(sbom.get("components") or []))
    return Release(result, written)
