"""KPI-co2: usage no resource carries by name is not moved to a greener grid by empty resources planned there.

usage.yml says how much Athena scans and S3 stores, not in which workgroup or bucket; the estimate split it
evenly over the planned workgroups and buckets, each at its own region's grid. The broken stack: its one real
bucket and workgroup in ap-south-1 (a dirty grid), plus nine empty buckets and workgroups in eu-north-1 (80x
cleaner): nine tenths of the usage were counted at eu-north-1's grid. Now the usage of a type planned in several
regions is counted at the dirtiest of them, the evidence saying so; the healthy twin (one region) is unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lakehouse.kpi.carbon import COEFFICIENTS_FILE, CarbonEstimate, estimate_carbon, load_coefficients
from lakehouse.kpi.cost import PlannedResource, load_usage

GRIDS = {"eu-north-1": 0.0000088, "ap-south-1": 0.0007082}
TYPES = ("aws_athena_workgroup", "aws_s3_bucket")


def _table(tmp_path: Path) -> Path:
    text = COEFFICIENTS_FILE.read_text(encoding="utf-8")
    for region, value in GRIDS.items():
        text += f'  {region}:\n    value: {value}\n    source: "test table ({region})"\n'
    path = tmp_path / "carbon.yml"
    path.write_text(text, encoding="utf-8")
    return path


def _estimate(tmp_path: Path, padding: int) -> CarbonEstimate:
    plan: list[PlannedResource] = []
    for rtype in TYPES:
        plan.append(PlannedResource(f"{rtype}.real", rtype, "ap-south-1"))
        plan += [PlannedResource(f"{rtype}.pad[{i}]", rtype, "eu-north-1") for i in range(padding)]
    return estimate_carbon(load_usage(), load_coefficients(_table(tmp_path)), "ap-south-1", plan)


def _kg(estimate: CarbonEstimate) -> Any:
    return estimate.kg_co2e


def test_empty_resources_in_a_greener_region_do_not_lower_the_figure(tmp_path: Path) -> None:
    alone, padded = _estimate(tmp_path, 0), _estimate(tmp_path, 9)
    assert padded.total_kwh == pytest.approx(alone.total_kwh)  # the same usage, the same energy
    # main: about a tenth of it, nine tenths of the usage counted at eu-north-1's grid
    assert _kg(padded) == pytest.approx(_kg(alone)), f"{_kg(padded)} kg padded, {_kg(alone)} kg alone"
    assert set(padded.kg_by_region) == {"ap-south-1"}
    drawn = padded.inputs["drawn_by_region"]["ap-south-1"]
    assert any("aws_s3_bucket.pad[3]" in d and "dirtiest" in d for d in drawn), drawn


def test_the_healthy_twin_in_one_region_is_counted_there_as_before(tmp_path: Path) -> None:
    alone = _estimate(tmp_path, 0)
    assert set(alone.kg_by_region) == {"ap-south-1"}
    assert alone.inputs["drawn_by_region"]["ap-south-1"] == ["aws_athena_workgroup.real", "aws_s3_bucket.real"]
    assert _kg(alone) > 0
