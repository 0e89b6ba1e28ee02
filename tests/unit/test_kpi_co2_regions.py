"""KPI-co2 counts each planned resource's energy at the grid of its own provider region, as KPI-cost prices it.

The broken stack (``tests/unit/data/plans/co2regions``, a saved plan of a real root): the target is eu-north-1,
a clean grid, and the catalog fleet (25 App Runner instances of 4 vCPU / 12 GB, never paused) and the SageMaker
endpoint are planned in ap-south-1 through a constant provider alias. The estimate counted every kWh at the
target's grid: about 1 kg CO2e a month, a pass, where ap-south-1's grid makes it about 69 kg, over the 50 kg
threshold. A region the coefficient table has no grid factor for was never looked up, so it could not stop
the KPI either. The healthy twin: the same fleet and endpoint planned in the target region.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from lakehouse.kpi.carbon import COEFFICIENTS_FILE, CarbonEstimate, estimate_carbon, judge_carbon, load_coefficients
from lakehouse.kpi.cost import load_usage, planned_resources
from lakehouse.kpi.datafile import DataFileError
from lakehouse.outcome import Status

PLAN = Path(__file__).parent / "data" / "plans" / "co2regions" / "plan.json"
TARGET = "eu-north-1"
THRESHOLD_KG = 50.0
#: Grid factors (t CO2e / kWh) for this test's table only, of the order CCF gives these regions
#: (AWS_EMISSIONS_FACTORS_METRIC_TON_PER_KWH): a clean and a dirty grid, 80x apart.
GRIDS = {"eu-north-1": 0.0000088, "ap-south-1": 0.0007082}


def _plan() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(PLAN.read_text(encoding="utf-8"))
    return doc


def _table(tmp_path: Path, regions: tuple[str, ...] = tuple(GRIDS)) -> Path:
    """The committed coefficients plus grid factors for ``regions`` (appended under grid_tco2e_per_kwh)."""
    text = COEFFICIENTS_FILE.read_text(encoding="utf-8")
    assert text.rstrip().splitlines()[-1].startswith("    source:")  # grid_tco2e_per_kwh is the last section
    for region in regions:
        text += f'  {region}:\n    value: {GRIDS[region]}\n    source: "test table ({region})"\n'
    path = tmp_path / "carbon.yml"
    path.write_text(text, encoding="utf-8")
    return path


def _estimate(table: Path, names: tuple[str, ...], plan: dict[str, Any] | None = None) -> CarbonEstimate:
    """The shared workgroup and bucket, plus the fleet and endpoint resources named ``names`` (away, home)."""
    resources = [
        r
        for r in planned_resources(plan or _plan(), TARGET)
        if r.type in ("aws_athena_workgroup", "aws_s3_bucket") or r.address.rsplit(".", 1)[1] in names
    ]
    return estimate_carbon(load_usage(), load_coefficients(table), TARGET, resources)


def test_a_fleet_planned_in_a_dirtier_region_is_counted_at_its_grid_and_fails(tmp_path: Path) -> None:
    estimate = _estimate(_table(tmp_path), ("away",))
    outcome = judge_carbon(estimate, THRESHOLD_KG)
    # main: PASSED at about 0.9 kg, every kWh counted at eu-north-1's grid
    assert outcome.status is Status.FAILED, f"{outcome.status}: {outcome.measured} kg"
    assert "ap-south-1" in outcome.reason and "apprunner_memory in ap-south-1" in outcome.reason
    assert estimate.kg_by_region["ap-south-1"] > THRESHOLD_KG > estimate.kg_by_region[TARGET]
    assert "aws_apprunner_service.away" in estimate.inputs["drawn_by_region"]["ap-south-1"]
    assert outcome.details["estimate"]["regions"]["ap-south-1"]["kwh"]["apprunner_memory"] > 80


def test_the_same_fleet_in_the_target_region_passes(tmp_path: Path) -> None:
    estimate = _estimate(_table(tmp_path), ("home",))
    outcome = judge_carbon(estimate, THRESHOLD_KG)
    assert outcome.status is Status.PASSED, outcome.reason
    assert estimate.inputs["apprunner_memory_gb_hours"] == 730 * 12 * 25  # the same fleet, counted in full
    assert estimate.kg_co2e < 2


def test_the_endpoints_energy_is_counted_at_its_own_regions_grid(tmp_path: Path) -> None:
    table = _table(tmp_path)
    without_fleets = _plan()
    resources = without_fleets["planned_values"]["root_module"]["resources"]
    resources[:] = [r for r in resources if not r["type"].startswith("aws_apprunner")]
    there, here = _estimate(table, ("away",), without_fleets), _estimate(table, ("home",), without_fleets)
    assert there.kwh["sagemaker_memory"] > 0
    assert there.kwh["sagemaker_memory"] == pytest.approx(here.kwh["sagemaker_memory"])  # the same energy
    assert there.kg_co2e > here.kg_co2e  # main: equal, both counted at eu-north-1's grid
    assert there.kwh_by_region["ap-south-1"]["sagemaker_memory"] == pytest.approx(there.kwh["sagemaker_memory"])
    assert there.inputs["drawn_by_region"]["ap-south-1"] == ["aws_sagemaker_endpoint.away"]


def test_a_region_without_a_grid_factor_is_an_error_naming_the_region_and_the_resource(tmp_path: Path) -> None:
    table = _table(tmp_path, ("eu-north-1",))  # the target's grid only
    line = next(n for n, row in enumerate(table.read_text().splitlines(), 1) if row.startswith("grid_tco2e_per_kwh:"))
    with pytest.raises(DataFileError) as err:  # main: no error, ap-south-1's energy counted at eu-north-1's grid
        _estimate(table, ("away",))
    message = str(err.value)
    assert f"{table}:{line}: grid_tco2e_per_kwh: has no region 'ap-south-1'" in message
    assert "aws_apprunner_service.away" in message and "aws_sagemaker_endpoint.away" in message
    assert judge_carbon(_estimate(table, ("home",)), THRESHOLD_KG).status is Status.PASSED  # the healthy twin


def test_a_region_the_plan_cannot_tell_is_no_pass_naming_the_resource(tmp_path: Path) -> None:
    plan = copy.deepcopy(_plan())
    region = plan["configuration"]["provider_config"]["aws.mumbai"]["expressions"]["region"]
    region.pop("constant_value")
    region["references"] = ["local.far_region"]  # region = local.far_region: not read back from the plan
    outcome = judge_carbon(_estimate(_table(tmp_path), ("away",), plan), THRESHOLD_KG)
    assert outcome.status is Status.ERROR, outcome.reason  # main: PASSED, counted at the target's grid
    assert "aws_apprunner_service.away" in outcome.reason and "region of its provider" in outcome.reason
