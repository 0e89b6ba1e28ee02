"""KPI SBOM + signature coverage 100 %: a CycloneDX SBOM of the environment, every release artifact signed.

Release artifacts: the SBOM (``cyclonedx-py environment``), the project's wheel
(``pip wheel --no-deps`` of a copy of the sources, so the checkout gets no ``build/``) and
the stack's plan JSON. Each is signed (``lakehouse.kpi.signing``) and every signature is
verified; the KPI is the fraction with a valid signature, and the SBOM must list every
distribution installed in the environment it describes. SPDX is not produced.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from lakehouse.kpi.signing import SignatureCheck
from lakehouse.outcome import Outcome


class ReleaseBuildError(RuntimeError):
    """An artifact could not be built; the message carries the tool's last lines."""


def _tail(proc: subprocess.CompletedProcess[str]) -> str:
    return "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])


def normalise(name: str) -> str:
    """PEP 503 name normalisation, so ``PyYAML`` and ``pyyaml`` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def niced(argv: list[str], nice: int) -> list[str]:
    """``argv`` at a lower CPU priority (``nice -n``), so work overlapping a deploy yields the CPU to it."""
    tool = shutil.which("nice") if nice > 0 else None
    return [tool, "-n", str(nice), *argv] if tool else argv


def cyclonedx_cli() -> str | None:
    local = Path(sys.executable).parent / "cyclonedx-py"
    return str(local) if local.exists() else shutil.which("cyclonedx-py")


def generate_sbom(python: Path, pyproject: Path, out: Path, nice: int = 0) -> Path:
    """CycloneDX 1.6 JSON of the environment ``python`` runs in (as .github/workflows/sbom.yml does)."""
    cli = cyclonedx_cli()
    if cli is None:
        raise ReleaseBuildError("cyclonedx-py is not installed (pip package cyclonedx-bom)")
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = [
        cli,
        "environment",
        "--pyproject",
        str(pyproject),
        "--spec-version",
        "1.6",
        "--output-format",
        "JSON",
        "--output-file",
        str(out),
        str(python),
    ]
    proc = subprocess.run(niced(argv, nice), capture_output=True, text=True, timeout=300)
    if proc.returncode != 0 or not out.exists():
        raise ReleaseBuildError(f"cyclonedx-py environment exited with {proc.returncode}: {_tail(proc)}")
    return out


def installed_distributions(python: Path, nice: int = 0) -> list[str]:
    """Names of every distribution installed in that environment (asked of its own interpreter)."""
    code = (
        "import importlib.metadata as m, json; "
        "print(json.dumps(sorted({d.metadata['Name'] for d in m.distributions()})))"
    )
    proc = subprocess.run(niced([str(python), "-c", code], nice), capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise ReleaseBuildError(f"{python} could not list its distributions: {_tail(proc)}")
    return [str(n) for n in json.loads(proc.stdout)]


def sbom_coverage(sbom: dict[str, Any], installed: list[str]) -> tuple[float, list[str]]:
    """Fraction of installed distributions the SBOM lists (the described project counts as listed)."""
    listed = {normalise(str(c.get("name", ""))) for c in sbom.get("components") or []}
    root = (sbom.get("metadata") or {}).get("component") or {}
    if root.get("name"):
        listed.add(normalise(str(root["name"])))
    wanted = sorted({normalise(n) for n in installed})
    missing = [n for n in wanted if n not in listed]
    return (1.0 - len(missing) / len(wanted)) if wanted else 0.0, missing


def build_wheel(root: Path, out_dir: Path, nice: int = 0) -> Path:
    """The project's wheel, built from a copy of pyproject.toml, README.md and lakehouse/."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lakehouse-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(root / name, src / name)
        shutil.copytree(root / "lakehouse", src / "lakehouse", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        argv = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out_dir), str(src)]
        proc = subprocess.run(niced(argv, nice), capture_output=True, text=True, timeout=300)
    wheels = sorted(out_dir.glob("*.whl"))
    if proc.returncode != 0 or not wheels:
        raise ReleaseBuildError(f"pip wheel exited with {proc.returncode}: {_tail(proc)}")
    return wheels[-1]


def judge_release(
    signatures: list[SignatureCheck], coverage: float, missing: list[str], signer: str, sbom_components: int
) -> Outcome:
    """Pass when every artifact has a valid signature and the SBOM lists every installed package."""
    valid = sum(c.valid for c in signatures)
    fraction = valid / len(signatures) if signatures else 0.0
    details: dict[str, Any] = {
        "unit": "% of release artifacts with a valid signature",
        "signer": signer,
        "signatures": [vars(c) for c in signatures],
        "signature_coverage_pct": round(100 * fraction, 2),
        "sbom_format": "CycloneDX 1.6 JSON (SPDX not produced)",
        "sbom_components": sbom_components,
        "sbom_coverage_pct": round(100 * coverage, 2),
        "sbom_missing": missing,
    }
    problems = []
    if not signatures:
        problems.append("no release artifact was signed")
    for c in signatures:
        if not c.valid:
            problems.append(f"{c.artifact}: {c.why_not}")
    if missing:
        problems.append(f"the SBOM lacks {len(missing)} installed package(s): {', '.join(missing[:5])}")
    measured = round(100 * fraction, 2)
    reason = None
    if problems:
        reason = (
            f"signature coverage {measured:g} % ({valid}/{len(signatures)}), SBOM coverage {100 * coverage:.4g} %: "
            + "; ".join(problems)
        )
    return Outcome.judged(not problems, measured, 100.0, reason, details)
