"""The Terraform runner: JSON stream parsing, CLI config, aliases, and the subprocess contract.

A fake ``terraform`` script stands in for the binary so these tests run in milliseconds;
the real binary is exercised by the integration tests.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lakehouse.terraform import (
    ApplyResult,
    Terraform,
    TerraformError,
    cli_config_for_mirror,
    parse_json_stream,
    provider_aliases,
    state_resources,
)
from lakehouse.tfsource import SourceError


def _msg(kind: str, **fields: object) -> str:
    return json.dumps({"type": kind, "@level": fields.pop("level", "info"), **fields})


APPLY_STREAM = [
    _msg("version", terraform="1.11.4"),
    _msg("apply_start", hook={"resource": {"addr": 'aws_s3_bucket.this["bronze"]'}, "action": "create"}),
    _msg(
        "apply_complete",
        hook={"resource": {"addr": 'aws_s3_bucket.this["bronze"]'}, "action": "create", "elapsed_seconds": 3},
    ),
    _msg(
        "apply_errored", hook={"resource": {"addr": "aws_sns_topic.alerts"}, "action": "create", "elapsed_seconds": 1}
    ),
    _msg(
        "diagnostic",
        level="error",
        diagnostic={"summary": "creating SNS Topic", "detail": "AccessDenied", "address": "aws_sns_topic.alerts"},
    ),
    "not json at all",
]


def test_apply_stream_gives_per_resource_times_and_errors() -> None:
    timings, changes, diagnostics = parse_json_stream(APPLY_STREAM)
    assert [(t.address, t.elapsed_s, t.status) for t in timings] == [
        ('aws_s3_bucket.this["bronze"]', 3.0, "complete"),
        ("aws_sns_topic.alerts", 1.0, "errored"),
    ]
    assert changes == []
    assert diagnostics == ["aws_sns_topic.alerts: creating SNS Topic: AccessDenied"]


def test_plan_stream_separates_drift_from_planned_changes() -> None:
    lines = [
        _msg("resource_drift", change={"resource": {"addr": 'aws_s3_bucket.this["gold"]'}, "action": "update"}),
        _msg("planned_change", change={"resource": {"addr": 'aws_s3_bucket.this["gold"]'}, "action": "update"}),
        _msg("change_summary", changes={"add": 0, "change": 1}),
    ]
    _, changes, _ = parse_json_stream(lines)
    assert [(c.address, c.action, c.drift) for c in changes] == [
        ('aws_s3_bucket.this["gold"]', "update", True),
        ('aws_s3_bucket.this["gold"]', "update", False),
    ]


def test_apply_result_round_trips_through_json() -> None:
    timings, _, diags = parse_json_stream(APPLY_STREAM)
    result = ApplyResult(wall_s=4.5, resources=timings, diagnostics=diags, returncode=1)
    again = ApplyResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again.resources == sorted(timings, key=lambda r: -r.elapsed_s)
    assert not again.ok and again.diagnostics == diags


def test_cli_config_names_the_mirror(tmp_path: Path) -> None:
    text = cli_config_for_mirror(tmp_path)
    assert "provider_installation" in text and f'path = "{tmp_path}"' in text


def test_provider_aliases_finds_default_and_aliased_blocks(tmp_path: Path) -> None:
    (tmp_path / "providers.tf").write_text(
        textwrap.dedent("""
        provider "aws" {
          region = var.region
          default_tags { tags = local.tags }
        }
        provider "aws" {
          alias  = "use1"
          region = "us-east-1"
        }
    """)
    )
    assert provider_aliases(tmp_path) == [None, "use1"]


def test_state_resources_skips_data_sources_and_walks_modules() -> None:
    state = {
        "values": {
            "root_module": {
                "resources": [{"address": "a.b", "mode": "managed"}, {"address": "data.x.y", "mode": "data"}],
                "child_modules": [{"resources": [{"address": "module.m.c.d", "mode": "managed"}]}],
            }
        }
    }
    assert [r["address"] for r in state_resources(state)] == ["a.b", "module.m.c.d"]


def _fake_terraform(tmp_path: Path, body: str) -> str:
    script = tmp_path / "terraform"
    script.write_text("#!/usr/bin/env bash\n" + textwrap.dedent(body))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_failed_init_raises_with_terraform_error_lines(tmp_path: Path) -> None:
    binary = _fake_terraform(
        tmp_path,
        """
        echo "Initializing provider plugins..."
        echo "Error: Failed to query available provider packages" >&2
        exit 1
    """,
    )
    tf = Terraform(tmp_path, binary=binary)
    with pytest.raises(TerraformError) as err:
        tf.init()
    assert "Failed to query available provider packages" in str(err.value)
    assert err.value.log_path and err.value.log_path.exists()


def test_failed_apply_is_a_result_with_diagnostics(tmp_path: Path) -> None:
    stream = "\n".join(APPLY_STREAM).replace("'", "'\\''")
    binary = _fake_terraform(tmp_path, f"printf '%s\\n' '{stream}'\nexit 1\n")
    result = Terraform(tmp_path, binary=binary).apply()
    assert not result.ok
    assert result.diagnostics == ["aws_sns_topic.alerts: creating SNS Topic: AccessDenied"]
    assert {r.address for r in result.resources} == {'aws_s3_bucket.this["bronze"]', "aws_sns_topic.alerts"}


def test_plan_exit_code_two_means_changes(tmp_path: Path) -> None:
    line = _msg("planned_change", change={"resource": {"addr": "aws_sns_topic.alerts"}, "action": "create"})
    binary = _fake_terraform(tmp_path, f"echo '{line}'\nexit 2\n")
    plan = Terraform(tmp_path, binary=binary).plan()
    assert not plan.clean and plan.exit_code == 2
    assert [c.address for c in plan.changes] == ["aws_sns_topic.alerts"]


def test_every_command_sees_the_var_file_and_automation_env(tmp_path: Path) -> None:
    seen = tmp_path / "seen.txt"
    binary = _fake_terraform(
        tmp_path, f'echo "$@ TF_IN_AUTOMATION=$TF_IN_AUTOMATION CP=$CHECKPOINT_DISABLE" >> {seen}\n'
    )
    tf = Terraform(tmp_path, var_file=tmp_path / "v.tfvars.json", binary=binary)
    tf.apply()
    tf.plan()
    tf.destroy()
    lines = seen.read_text().splitlines()
    assert len(lines) == 3
    assert all(f"-var-file={tmp_path / 'v.tfvars.json'}" in ln for ln in lines)
    assert all("TF_IN_AUTOMATION=1 CP=1" in ln for ln in lines)


def test_an_apply_refreshes_unless_told_not_to(tmp_path: Path) -> None:
    seen = tmp_path / "seen.txt"
    binary = _fake_terraform(tmp_path, f'echo "$@" >> {seen}\n')
    tf = Terraform(tmp_path, binary=binary)
    tf.apply()
    tf.apply(refresh=False)
    tf.destroy()
    default, unrefreshed, destroy = seen.read_text().splitlines()
    assert "-refresh=false" not in default and "-refresh=false" not in destroy
    assert "apply -input=false -auto-approve -json -refresh=false" in unrefreshed


def test_interrupt_is_passed_on_once_and_terraform_may_finish(tmp_path: Path) -> None:
    """Ctrl-C during apply: Terraform gets one SIGINT and time to save state before we re-raise."""
    marker = tmp_path / "got-sigint"
    started = tmp_path / "started"
    binary = _fake_terraform(
        tmp_path,
        f"""
        trap 'echo once >> {marker}; exit 130' INT
        touch {started}
        while true; do sleep 0.05; done
    """,
    )
    driver = tmp_path / "driver.py"
    driver.write_text(
        textwrap.dedent(f"""
        import signal
        import sys
        from pathlib import Path
        from lakehouse.terraform import Terraform
        # Launched from a background job, this process would inherit SIGINT ignored and never see
        # the Ctrl-C; with a Python handler, the fake terraform it runs starts with the default.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            Terraform(Path({str(tmp_path)!r}), binary={binary!r}).apply()
        except KeyboardInterrupt:
            sys.exit(42)
    """)
    )
    proc = subprocess.Popen([sys.executable, str(driver)], env={**os.environ, "PYTHONPATH": os.getcwd()})
    deadline = time.monotonic() + 60  # deadlines, not paces: a busy machine starts Python slowly
    while not started.exists():
        assert time.monotonic() < deadline, "fake terraform never started"
        assert proc.poll() is None, "driver exited early"
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 42
    assert marker.read_text().splitlines() == ["once"]


def test_missing_binary_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TerraformError, match="not found on PATH: install Terraform"):
        Terraform(tmp_path, binary=str(tmp_path / "no-terraform-here")).init()


# -- a saved plan shown again only while its working directory is unchanged ------------------------

_PLANNING_TERRAFORM = """
cmd=$2; shift 2
echo "$cmd $*" >> {calls}
for a in "$@"; do case $a in -out=*) echo "plan of $(cat {state})" > "${{a#-out=}}";; esac; done
if [ "$cmd" = show ]; then for a in "$@"; do f=$a; done; printf '{{"shown": "%s"}}' "$(cat "$f")"; fi
"""


def _planning(tmp_path: Path) -> tuple[Terraform, Path, Path]:
    workdir, calls = tmp_path / "infra", tmp_path / "calls.txt"
    workdir.mkdir()
    state = workdir / "terraform.tfstate"
    state.write_text("serial 1")
    binary = _fake_terraform(tmp_path, _PLANNING_TERRAFORM.format(calls=calls, state=state))
    return Terraform(workdir, binary=binary), state, calls


def test_the_saved_refreshed_plan_is_shown_instead_of_planning_again(tmp_path: Path) -> None:
    tf, _state, calls = _planning(tmp_path)
    plan = tf.plan(out=tmp_path / "last.tfplan")
    assert plan.saved == tmp_path / "last.tfplan"
    assert tf.saved_plan_json(tmp_path / "kpi.tfplan") == {"shown": "plan of serial 1"}
    commands = [line.split()[0] for line in calls.read_text().splitlines()]
    assert commands == ["plan", "show"]
    assert "-refresh=false" not in calls.read_text()  # the one plan made is exit check 5's, refreshed


def test_a_saved_plan_is_not_shown_once_the_state_changed(tmp_path: Path) -> None:
    """An apply after the plan (a model release, a chaos re-apply): the priced plan is made again."""
    tf, state, calls = _planning(tmp_path)
    tf.plan(out=tmp_path / "last.tfplan")
    state.write_text("serial 2")
    assert tf.saved_plan_json(tmp_path / "kpi.tfplan") == {"shown": "plan of serial 2"}
    lines = calls.read_text().splitlines()
    assert [line.split()[0] for line in lines] == ["plan", "plan", "show"]
    assert "-refresh=false" in lines[1] and f"-out={tmp_path / 'kpi.tfplan'}" in lines[1]


def test_a_saved_plan_is_not_shown_once_the_configuration_changed(tmp_path: Path) -> None:
    tf, state, calls = _planning(tmp_path)
    tf.plan(out=tmp_path / "last.tfplan")
    (state.parent / "model_override.tf").write_text('variable "x" {}')
    tf.saved_plan_json(tmp_path / "kpi.tfplan")
    assert [line.split()[0] for line in calls.read_text().splitlines()] == ["plan", "plan", "show"]


def test_without_a_saved_plan_the_priced_plan_is_made_unrefreshed(tmp_path: Path) -> None:
    tf, _state, calls = _planning(tmp_path)
    tf.plan()  # no -out: nothing to show again
    assert tf.saved_plan_json(tmp_path / "kpi.tfplan") == {"shown": "plan of serial 1"}
    lines = calls.read_text().splitlines()
    assert [line.split()[0] for line in lines] == ["plan", "plan", "show"]
    assert "-out=" not in lines[0] and "-refresh=false" in lines[1]


def test_show_state_reads_the_state_again_only_when_the_local_state_file_changed(tmp_path: Path) -> None:
    """Several checks read one stack's state: the same state file bytes are shown once, a changed one again."""
    calls = tmp_path / "calls.txt"
    state = tmp_path / "terraform.tfstate"
    binary = _fake_terraform(tmp_path, f"echo x >> {calls}\ncat {state}\n")
    tf = Terraform(tmp_path, binary=binary)
    state.write_text('{"serial": 1}')
    first = tf.show_state()
    first["mutated"] = True  # a caller changing its copy changes nothing the next caller reads
    assert tf.show_state() == {"serial": 1}
    assert len(calls.read_text().splitlines()) == 1
    state.write_text('{"serial": 2}')
    assert tf.show_state() == {"serial": 2}
    assert len(calls.read_text().splitlines()) == 2


def test_show_state_without_a_local_state_file_always_asks_terraform(tmp_path: Path) -> None:
    """A remote backend keeps no local file to tell a change by: every read is a show."""
    calls = tmp_path / "calls.txt"
    binary = _fake_terraform(tmp_path, f'echo x >> {calls}\necho "{{}}"\n')
    tf = Terraform(tmp_path, binary=binary)
    tf.show_state()
    tf.show_state()
    assert len(calls.read_text().splitlines()) == 2


def test_provider_aliases_are_read_as_terraform_reads_the_root(tmp_path: Path) -> None:
    """A provider block with nested objects, one in ``*.tf.json`` and a commented-out one: the regex reader missed
    the first two (their configurations would not be pointed at the emulator) and counted the third."""
    (tmp_path / "providers.tf").write_text(
        textwrap.dedent("""
        # provider "aws" { alias = "old" }
        provider "aws" {
          alias  = "use1"
          region = "us-east-1"
          assume_role {
            role_arn = "arn:aws:iam::123456789012:role/x"
            tags     = { team = "data" }
          }
        }
    """)
    )
    (tmp_path / "extra.tf.json").write_text(json.dumps({"provider": {"aws": [{"alias": "euw1"}, {}]}}))
    assert provider_aliases(tmp_path) == ["euw1", None, "use1"]


def test_provider_aliases_of_a_root_terraform_cannot_read_name_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('provider "aws" {\n  region = \n}\n')
    with pytest.raises(SourceError, match=r"main\.tf:2"):
        provider_aliases(tmp_path)


WARNING = """
echo '╷' >&2
echo '│ Warning: Unable to open CLI configuration file' >&2
echo '│ The CLI configuration file at "/nowhere/.terraformrc" does not exist.' >&2
echo '╵' >&2
"""


def test_a_warning_terraform_prints_beside_a_json_document_is_not_part_of_it(tmp_path: Path) -> None:
    """A ``TF_CLI_CONFIG_FILE`` that does not exist makes every command warn on stderr, which shares the pipe:
    ``show -json`` and ``output -json`` were a bare JSONDecodeError. The one-line object is read."""
    state = '{"format_version": "1.0", "values": {"outputs": {"bucket": {"value": "b"}}}}'
    binary = _fake_terraform(tmp_path, WARNING + f"echo '{state}'\n")
    tf = Terraform(tmp_path, binary=binary)
    assert tf.show_state() == json.loads(state)
    assert tf.show_plan(tmp_path / "x.tfplan") == json.loads(state)
    binary = _fake_terraform(tmp_path, WARNING + """echo '{"bucket": {"value": "b"}}'\n""")
    assert Terraform(tmp_path, binary=binary).outputs() == {"bucket": "b"}


def test_a_json_command_that_prints_no_object_names_what_it_printed(tmp_path: Path) -> None:
    binary = _fake_terraform(tmp_path, WARNING)
    with pytest.raises(TerraformError) as err:
        Terraform(tmp_path, binary=binary).show_plan(tmp_path / "x.tfplan")
    assert "terraform show failed: printed no JSON object" in str(err.value)
    assert "Warning: Unable to open CLI configuration file" in str(err.value)
    assert err.value.log_path is not None and "Warning" in err.value.log_path.read_text()
