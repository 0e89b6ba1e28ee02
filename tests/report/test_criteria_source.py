"""The exit-criteria table has one source (features/): every plan row has a scenario, README's copy matches.

tests/unit/test_criteria.py checks that the catalogue reads seven exit checks and that README is
up to date; these add the failure directions: a missing scenario or a README row without one is
named, and `lakehouse docs --check` notices a hand-edited copy.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from lakehouse.cli import BEGIN, END
from lakehouse.cli import main as cli_main
from lakehouse.criteria import Criterion, catalogue
from tests.report.conftest import ROOT

#: The project plan's seven objective checks (DESIGN.md), by number. The feature files carry
#: their wording; this only pins that none of them goes missing.
PLAN = {
    1: "30-min deploy",
    2: "Data loop",
    3: "CI green",
    4: "Lineage graph",
    5: "100 % IaC",
    6: "Security baseline",
    7: "Fin/Obs guards",
}


def missing_scenarios(checks: list[Criterion]) -> list[str]:
    ids = {c.id for c in checks}
    return [f"EXIT-{n} ({title}) has no scenario in features/" for n, title in PLAN.items() if f"EXIT-{n}" not in ids]


def readme_rows_without_scenario(readme: str, checks: list[Criterion]) -> list[str]:
    table = readme.split(BEGIN, 1)[1].split(END, 1)[0]
    numbers = {c.number for c in checks if c.id.startswith("EXIT-")}
    problems = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not cells or not cells[0].isdigit():
            continue  # header and separator
        if int(cells[0]) not in numbers:
            problems.append(f"README row {cells[0]} ({cells[1]}) has no scenario in features/")
    return problems


def test_every_plan_check_has_a_scenario() -> None:
    assert missing_scenarios(catalogue(ROOT / "features")) == []


def test_a_plan_check_without_a_scenario_is_named(tmp_path: Path) -> None:
    features = tmp_path / "features"
    shutil.copytree(ROOT / "features", features)
    path = features / "exit_criteria.feature"
    text = path.read_text()
    # Drop the lineage scenario: from its tag line up to the next tagged scenario.
    cut = re.sub(r"\n  @EXIT-4\b.*?(?=\n  @EXIT-5\b)", "", text, flags=re.S)
    assert cut != text
    path.write_text(cut)
    assert missing_scenarios(catalogue(features)) == ["EXIT-4 (Lineage graph) has no scenario in features/"]


def test_every_readme_row_has_a_scenario() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_rows_without_scenario(readme, catalogue(ROOT / "features")) == []


def test_a_readme_row_without_a_scenario_is_named_and_fails_the_docs_check(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    assert cli_main(["docs", "--readme", str(_copy_readme(readme))]) == 0  # the copy, regenerated
    text = readme.read_text()
    extra = text.replace(END, "| 8 | Chaos drill | MTTR < 30 min | chaos script | implemented |\n" + END)
    readme.write_text(extra)
    assert readme_rows_without_scenario(extra, catalogue(ROOT / "features")) == [
        "README row 8 (Chaos drill) has no scenario in features/"
    ]
    assert cli_main(["docs", "--check", "--readme", str(readme)]) == 1


def test_docs_check_fails_on_a_hand_edited_copy_and_docs_repairs_it(tmp_path: Path) -> None:
    readme = _copy_readme(tmp_path / "README.md")
    assert cli_main(["docs", "--readme", str(readme)]) == 0
    assert cli_main(["docs", "--check", "--readme", str(readme)]) == 0
    readme.write_text(readme.read_text().replace("<= 30 min", "<= 45 min", 1))
    assert cli_main(["docs", "--check", "--readme", str(readme)]) == 1
    assert cli_main(["docs", "--readme", str(readme)]) == 0
    assert cli_main(["docs", "--check", "--readme", str(readme)]) == 0


def _copy_readme(dest: Path) -> Path:
    shutil.copyfile(ROOT / "README.md", dest)
    return dest
