"""Exit check 7's Lambda receivers: a function SNS may invoke but that cannot run is no receiver."""

from __future__ import annotations

import io
import zipfile

import pytest

from lakehouse.checks.lambda_receiver import (
    InvocationRecord,
    PackageReadback,
    inspect_package,
    package_problems,
    record_problems,
    state_problems,
)


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def problems(
    files: dict[str, str], handler: str = "index.handler", runtime: str = "python3.11", layers: int = 0
) -> list[str]:
    return package_problems("pager", inspect_package(zipped(files), handler, runtime, layers))


@pytest.mark.parametrize(
    "files",
    [
        {"index.py": "def handler(event, context):\n    return None\n"},
        {"index.py": "async def handler(event, context):\n    return None\n"},
        {"index.py": "from lib import page as handler\n"},
        {
            "index.py": "try:\n    import json\n    def handler(e, c):\n        return 1\n"
            "except ImportError:\n    pass\n"
        },
        {"index.py": "from lib import *\n"},  # cannot be listed: not judged
        {"index.py": "handler = lambda e, c: None\n"},
    ],
)
def test_a_python_package_defining_the_handler_passes(files: dict[str, str]) -> None:
    assert problems(files) == []


def test_a_nested_module_is_found_by_its_dotted_path() -> None:
    files = {"alerts/pager.py": "def on_alarm(event, context):\n    return None\n"}
    assert problems(files, "alerts.pager.on_alarm") == []
    assert problems({"alerts/pager/__init__.py": "def on_alarm(e, c): ..."}, "alerts.pager.on_alarm") == []


def test_a_package_without_the_handlers_module_fails_naming_what_is_missing() -> None:
    assert problems({"main.py": "def handler(e, c): ..."}) == [
        "Lambda function pager's handler index.handler: its package (1 files) has no index.py or index/__init__.py "
        "(every invocation fails: nobody is paged)"
    ]


def test_a_module_without_the_function_or_that_does_not_compile_fails() -> None:
    assert problems({"index.py": "def handle(event, context):\n    return None\n"}) == [
        "Lambda function pager's handler index.handler: index.py defines no handler at top level "
        "(every invocation fails: nobody is paged)"
    ]
    (why,) = problems({"index.py": "def handler(event, context)\n    return None\n"})
    assert why.startswith("Lambda function pager's handler index.handler: index.py does not compile: SyntaxError")
    assert "(line 1)" in why


def test_a_missing_module_a_layer_may_bring_or_a_compiled_one_is_not_judged() -> None:
    assert problems({"main.py": ""}, layers=1) == []
    assert problems({"index.cpython-311-x86_64-linux-gnu.so": ""}) == []
    assert problems({"index.pyc": ""}) == []
    assert problems({"indexer.pyc": ""}) != []  # another module's


def test_node_handlers_need_their_file_and_other_runtimes_are_not_inspected() -> None:
    assert problems({"index.mjs": "export const handler = async () => {};"}, runtime="nodejs20.x") == []
    assert problems({"app.js": ""}, runtime="nodejs20.x") == [
        "Lambda function pager's handler index.handler: its package (1 files) has no index.js or index.mjs or "
        "index.cjs (every invocation fails: nobody is paged)"
    ]
    package = inspect_package(zipped({"bootstrap": ""}), "bootstrap", "provided.al2023", 0)
    assert package.unread == "runtime provided.al2023 is not inspected"
    assert package_problems("pager", package) == []


def test_an_unreadable_package_is_said_and_not_judged() -> None:
    package = inspect_package(b"not a zip", "index.handler", "python3.11", 0)
    assert package.unread and package.unread.startswith("the package is not a zip file")
    assert package_problems("pager", package) == []
    assert package_problems("pager", PackageReadback("index.handler", "python3.11", unread="image")) == []


@pytest.mark.parametrize(
    ("state", "says"),
    [
        ("Failed", "it cannot be invoked"),
        ("Inactive", "the next invocation fails while Lambda restores it"),
        ("Pending", "it cannot be invoked until it is Active"),
    ],
)
def test_a_function_that_is_not_active_loses_the_alert(state: str, says: str) -> None:
    (why,) = state_problems("pager", {"State": state, "StateReasonCode": "InvalidZipFileException"})
    assert why == f"Lambda function pager is {state} (InvalidZipFileException): {says} (an alert is lost)"
    assert state_problems("pager", {"State": "Active"}) == []


def test_a_function_that_failed_every_invocation_is_no_receiver() -> None:
    assert record_problems("pager", InvocationRecord(14, 5, 5)) == [
        "Lambda function pager failed every one of its 5 invocations in the last 14 days (AWS/Lambda Errors 5): "
        "it does not deliver"
    ]
    assert record_problems("pager", InvocationRecord(14, 5, 4)) == []  # some got through
    assert record_problems("pager", InvocationRecord(14, 0, 0)) == []  # never invoked: nothing to judge
    assert record_problems("pager", None) == []
