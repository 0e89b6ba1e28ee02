"""The IAM actions the harness's own AWS calls need, read from its source: docs/checker-policy*.json.

On ``aws`` a check whose caller lacks one read permission ends ``error`` (exit 5 without
``budgets:DescribeBudgetActionsForAccount``, exit 7 without ``kms:ListGrants``), and no file said which. This
module finds every boto3 call in ``lakehouse/`` and ``steps/`` by parsing them (``ast``: the clients made by
``<anything>.client("svc")``, followed into the functions and classes they are handed to, with the operation
names given to ``get_paginator``/``getattr``) and maps each to its IAM action through botocore's service model:
the method is the operation's snake_case name (how botocore names a client's methods), the action prefix the
model's signingName or endpointPrefix, except where IAM differs (``PREFIXES``, ``ACTIONS``).
Reads go in docs/checker-policy.json; the harness's own writes (terraform deploys the stack; these are fault
injection, pipeline metrics, model release, reaping) in docs/checker-policy-write.json, one Sid per scenario.
The emulator (``lakehouse/emulator``) is AWS's stand-in, not a caller, and is not scanned; nor is
``lakehouse/ml/local_image.py``, the local target's stand-in for the user's ``mlflow sagemaker
build-and-push-container`` (on aws the user pushes the serving image, the harness only reads it).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from itertools import product
from pathlib import Path
from typing import Any

import botocore.session
from botocore import xform_name

SCANNED = ("lakehouse", "steps")
NOT_SCANNED = ("lakehouse/emulator/", "lakehouse/ml/local_image.py")
READ_POLICY = "docs/checker-policy.json"
WRITE_POLICY = "docs/checker-policy-write.json"
READ_SID = "HarnessChecksRead"

#: IAM service prefixes that are neither the model's signingName nor its endpointPrefix.
PREFIXES = {"monitoring": "cloudwatch", "tagging": "tag"}

#: Operations (boto3 service:Operation) whose IAM action is not ``prefix:Operation``: the AWS Service
#: Authorization Reference's "API operations" tables (list_amazons3.html, list_budgets.html).
ACTIONS: Mapping[str, tuple[str, ...]] = {
    "s3:CopyObject": ("s3:GetObject", "s3:PutObject"),
    "s3:DeleteObjects": ("s3:DeleteObject", "s3:DeleteObjectVersion"),
    "s3:GetBucketAccelerateConfiguration": ("s3:GetAccelerateConfiguration",),
    "s3:GetBucketCors": ("s3:GetBucketCORS",),
    "s3:GetBucketLifecycleConfiguration": ("s3:GetLifecycleConfiguration",),
    "s3:GetBucketNotificationConfiguration": ("s3:GetBucketNotification",),
    "s3:GetBucketReplication": ("s3:GetReplicationConfiguration",),
    "s3:GetObjectLockConfiguration": ("s3:GetBucketObjectLockConfiguration",),
    "s3:GetPublicAccessBlock": ("s3:GetBucketPublicAccessBlock",),
    "s3:HeadBucket": ("s3:ListBucket",),
    "s3:HeadObject": ("s3:GetObject",),
    "s3:ListBucketAnalyticsConfigurations": ("s3:GetAnalyticsConfiguration",),
    "s3:ListBucketIntelligentTieringConfigurations": ("s3:GetIntelligentTieringConfiguration",),
    "s3:ListBucketInventoryConfigurations": ("s3:GetInventoryConfiguration",),
    "s3:ListBucketMetricsConfigurations": ("s3:GetMetricsConfiguration",),
    "s3:ListBuckets": ("s3:ListAllMyBuckets",),
    "s3:ListObjectVersions": ("s3:ListBucketVersions",),
    "s3:ListObjectsV2": ("s3:ListBucket",),
    "s3control:GetPublicAccessBlock": ("s3:GetAccountPublicAccessBlock",),
    "budgets:DeleteBudget": ("budgets:ModifyBudget",),
    "budgets:DescribeBudget": ("budgets:ViewBudget",),
    "budgets:DescribeBudgets": ("budgets:ViewBudget",),
    "budgets:DescribeNotificationsForBudget": ("budgets:ViewBudget",),
    "budgets:DescribeSubscribersForNotification": ("budgets:ViewBudget",),
}

#: Operations that read although their name does not say so (a role's credentials, a model's answer).
READS = frozenset({"sts:AssumeRole", "sagemaker-runtime:InvokeEndpoint"})
READ_VERBS = ("Get", "List", "Describe", "Head", "BatchGet", "Check")

#: Where the harness writes, and why (the Sid of its statement in docs/checker-policy-write.json).
WRITE_SCENARIOS = {
    "lakehouse/chaos/": "ChaosAndKpiMttrInjectFaultsAndReadAlerts",
    "lakehouse/reap.py": "ReapDeletesLeftStacks",
    "lakehouse/ml/": "ModelReleaseUploadsArtifacts",
    "lakehouse/pipeline/": "PipelineWritesThroughAthenaAndPublishesMetrics",
    "lakehouse/catalog/": "CatalogServicePausedAndResumed",
}

#: What a library calls for the module that imports it, which the scan cannot see: (import, where, Sid, actions).
#: Athena reads the catalog and Lake Formation's data access as its caller and writes the query's results to S3
#: (aws-semantics.md, Lake Formation 6); an INSERT/MERGE commits the Iceberg table in Glue and writes its files;
#: MLflow uploads a model's files to its ``s3://`` artifact location with the caller's credentials.
LIBRARIES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "pyathena",
        "",
        READ_SID,
        (
            "athena:GetQueryExecution",
            "athena:GetQueryResults",
            "athena:StartQueryExecution",
            "athena:StopQueryExecution",
            "glue:GetDatabase",
            "glue:GetDatabases",
            "glue:GetPartitions",
            "glue:GetTable",
            "glue:GetTables",
            "lakeformation:GetDataAccess",
            "s3:GetBucketLocation",
            "s3:GetObject",
            "s3:ListBucket",
        ),
    ),
    ("pyathena", "", "AthenaQueriesWriteTheirResults", ("s3:AbortMultipartUpload", "s3:PutObject")),
    (
        "lakehouse.athena",
        "lakehouse/pipeline/",
        WRITE_SCENARIOS["lakehouse/pipeline/"],
        ("glue:UpdateTable", "s3:DeleteObject", "s3:PutObject"),
    ),
    ("pyiceberg", "", READ_SID, ("glue:GetTable", "s3:GetObject")),
    ("mlflow", "lakehouse/ml/", WRITE_SCENARIOS["lakehouse/ml/"], ("s3:PutObject",)),  # its s3:// artifact store
)

#: Client methods that call no operation.
NOT_OPERATIONS = frozenset({"get_paginator", "get_waiter", "can_paginate", "meta", "exceptions", "close"})


@dataclass(frozen=True)
class Client:
    """A value that is a boto3 client of ``service``."""

    service: str


@dataclass(frozen=True)
class Names:
    """A value that is one of some constant strings, each with where it is written (path, line)."""

    items: frozenset[tuple[str, str, int]]


Value = Client | Names
Env = dict[str, Value]


@dataclass(frozen=True)
class Use:
    """What one line of the harness calls (``s3.get_object``, ``import pyathena``) and the actions it needs."""

    path: str
    line: int
    call: str
    actions: tuple[str, ...]
    sid: str | None  # its statement: READ_SID, a write scenario's, None for a write no scenario claims

    @property
    def policy(self) -> str:
        return READ_POLICY if self.sid == READ_SID else WRITE_POLICY


def call_use(path: str, line: int, service: str, operation: str) -> Use:
    """The use of ``operation`` of the boto3 ``service`` at path:line, read or a write of its scenario."""
    reads = operation.startswith(READ_VERBS) or f"{service}:{operation}" in READS
    sid = READ_SID if reads else next((s for where, s in WRITE_SCENARIOS.items() if path.startswith(where)), None)
    return Use(path, line, f"{service}.{xform_name(operation)}", iam_actions(service, operation), sid)


@cache
def _botocore() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def operations(service: str) -> dict[str, str]:
    """``service``'s client methods -> API operation names (what botocore's ``meta.method_to_api_mapping`` is)."""
    if service not in _botocore().get_available_services():
        return {}
    return {xform_name(op): op for op in _botocore().get_service_model(service).operation_names}


def iam_actions(service: str, operation: str) -> tuple[str, ...]:
    """The IAM actions that authorize ``operation`` of the boto3 ``service``."""
    if f"{service}:{operation}" in ACTIONS:
        return ACTIONS[f"{service}:{operation}"]
    meta = _botocore().get_service_model(service).metadata
    prefix = str(meta.get("signingName") or meta["endpointPrefix"])
    return (f"{PREFIXES.get(prefix, prefix)}:{operation}",)


@dataclass
class _Module:
    path: str
    defs: dict[str, ast.FunctionDef | ast.ClassDef]
    imports: dict[str, tuple[str, str]]  # local name -> (module, name)
    tables: dict[str, ast.expr]  # name -> the value first assigned to it anywhere in the module
    nodes: list[ast.AST]


@dataclass(frozen=True)
class Unresolved:
    """An operation name the scan cannot read (a client's ``get_paginator``/``getattr`` given a computed name)."""

    path: str
    line: int
    service: str
    text: str


class _Scan:
    """Follows clients and operation names through the scanned modules (context-sensitive, memoized)."""

    def __init__(self, root: Path) -> None:
        self.modules: dict[str, _Module] = {}
        for package in SCANNED:
            for file in sorted((root / package).rglob("*.py")):
                rel = file.relative_to(root).as_posix()
                if rel.startswith(NOT_SCANNED):
                    continue
                tree = ast.parse(file.read_text(encoding="utf-8"), rel)
                defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
                nodes = list(ast.walk(tree))
                imports = {
                    (a.asname or a.name): (n.module, a.name)
                    for n in nodes
                    if isinstance(n, ast.ImportFrom) and n.module
                    for a in n.names
                }
                tables: dict[str, ast.expr] = {}
                for n in nodes:
                    if isinstance(n, ast.Assign):
                        for t in n.targets:
                            tables.setdefault(_name(t) or "", n.value)
                self.modules[rel.removesuffix(".py").removesuffix("/__init__").replace("/", ".")] = _Module(
                    rel, defs, imports, tables, nodes
                )
        self.uses: set[Use] = set()
        self.unresolved: set[Unresolved] = set()
        self._done: set[tuple[int, frozenset[tuple[str, Value]]]] = set()
        self._returns: dict[ast.FunctionDef, Client | None] = {}

    def run(self) -> None:
        for mod in self.modules.values():
            for node in mod.nodes:
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
                else:
                    continue
                for library, where, sid, actions in LIBRARIES:
                    if mod.path.startswith(where) and any(n == library or n.startswith(f"{library}.") for n in names):
                        self.uses.add(Use(mod.path, node.lineno, f"import {library}", actions, sid))
            for node in mod.defs.values():
                if isinstance(node, ast.ClassDef):
                    self._class(mod, node, {})
                else:
                    self._function(mod, node, {}, None)

    def _class(self, mod: _Module, cls: ast.ClassDef, bindings: Env) -> None:
        methods = [n for n in cls.body if isinstance(n, ast.FunctionDef)]
        fields: Env = {}
        for method in methods:  # what the methods keep in ``self``, __init__ with the constructor's arguments
            env = dict(bindings) if method.name == "__init__" else {}
            self._locals(mod, method, env)
            fields.update({k: v for k, v in env.items() if k.startswith("self.")})
        for method in methods:
            self._function(mod, method, dict(bindings) if method.name == "__init__" else fields, cls, fields)

    def _function(
        self, mod: _Module, fn: ast.FunctionDef, env: Env, cls: ast.ClassDef | None, fields: Env | None = None
    ) -> None:
        key = (id(fn), frozenset(env.items()))
        if key in self._done:
            return
        self._done.add(key)
        env = {**(fields or {}), **env}
        self._locals(mod, fn, env)
        for node in _nodes(fn):
            if isinstance(node, ast.Attribute) and isinstance(client := self._eval(mod, node.value, env), Client):
                op = operations(client.service).get(node.attr)
                if op:
                    self.uses.add(call_use(mod.path, node.lineno, client.service, op))
            if isinstance(node, ast.Call):
                self._call(mod, node, env, cls)

    def _call(self, mod: _Module, call: ast.Call, env: Env, cls: ast.ClassDef | None) -> None:
        func = call.func
        named: tuple[ast.expr, ast.expr] | None = None
        if isinstance(func, ast.Attribute) and func.attr == "get_paginator" and call.args:
            named = (func.value, call.args[0])
        elif isinstance(func, ast.Name) and func.id == "getattr" and len(call.args) >= 2:
            named = (call.args[0], call.args[1])
        if named and isinstance(client := self._eval(mod, named[0], env), Client):
            names = self._eval(mod, named[1], env) or self._constants(mod, client.service)
            if not isinstance(names, Names):
                self.unresolved.add(Unresolved(mod.path, call.lineno, client.service, ast.unparse(named[1])))
                return
            for text, path, line in names.items:
                op = operations(client.service).get(text)
                if op:
                    self.uses.add(call_use(path, line, client.service, op))
                else:
                    self.unresolved.add(Unresolved(path, line, client.service, text))
            return
        for i, arg in enumerate(call.args):  # ``run(f, a, b)``: the arguments after a function are its own
            if (passed := self._callee(mod, arg, cls)) and not isinstance(passed[1], ast.ClassDef):
                self._enter(mod, passed, call.args[i + 1 :], [], env)
        callee = self._callee(mod, func, cls)
        if callee is not None:
            self._enter(mod, callee, call.args, call.keywords, env)

    def _enter(
        self,
        mod: _Module,
        callee: tuple[_Module, ast.FunctionDef | ast.ClassDef, ast.ClassDef | None],
        args: list[ast.expr],
        keywords: list[ast.keyword],
        env: Env,
    ) -> None:
        """Analyse a function or class with what a call hands it (nothing new when it hands no value we follow)."""
        where, node, owner = callee
        init = node if isinstance(node, ast.FunctionDef) else _method(node, "__init__")
        params = [a.arg for a in init.args.posonlyargs + init.args.args] if init else []
        if params[:1] == ["self"]:
            params = params[1:]
        bindings: Env = {}
        for name, arg in [*zip(params, args, strict=False), *((k.arg, k.value) for k in keywords if k.arg)]:
            value = self._eval(mod, arg, env)
            if value is not None:
                bindings[name] = value
        if not bindings:
            return  # run() analyses every function unbound
        if isinstance(node, ast.ClassDef):
            self._class(where, node, bindings)
        else:
            fields = {k: v for k, v in env.items() if k.startswith("self.")} if owner else None
            self._function(where, node, bindings, owner, fields)

    @staticmethod
    def _constants(mod: _Module, service: str) -> Names | None:
        """A computed operation name (a table's field): one of the module's strings that name an operation."""
        items = {
            (n.value, mod.path, n.lineno)
            for n in mod.nodes
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in operations(service)
        }
        return Names(frozenset(items)) if items else None

    def _callee(
        self, mod: _Module, func: ast.expr, cls: ast.ClassDef | None
    ) -> tuple[_Module, ast.FunctionDef | ast.ClassDef, ast.ClassDef | None] | None:
        """The function or class a call names: ``f`` of this module or imported, or ``self.f`` of ``cls``."""
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self" and cls:
            method = _method(cls, func.attr)
            return (mod, method, cls) if method else None
        if not isinstance(func, ast.Name):
            return None
        if func.id in mod.defs:
            return mod, mod.defs[func.id], None
        module, name = mod.imports.get(func.id, ("", ""))
        other = self.modules.get(module)
        return (other, other.defs[name], None) if other and name in other.defs else None

    def _locals(self, mod: _Module, fn: ast.FunctionDef, env: Env) -> None:
        """Bind the names ``fn`` assigns a client or constant names to (twice: a value may come from a later one)."""
        for _ in range(2):
            for node in _nodes(fn):
                if isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr) and node.value is not None:
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        self._bind(mod, target, node.value, env)
                elif isinstance(node, ast.For):
                    self._bind_loop(mod, node, env)

    def _bind(self, mod: _Module, target: ast.expr, value: ast.expr, env: Env) -> None:
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
            for t, v in zip(target.elts, value.elts, strict=True):
                self._bind(mod, t, v, env)
            return
        name = _name(target)
        found = self._eval(mod, value, env) if name else None
        if not name or found is None:
            return
        kept = env.get(name)
        if isinstance(kept, Names) and isinstance(found, Names):
            found = Names(kept.items | found.items)
        elif isinstance(kept, Client) and kept != found:  # one name, two clients: which call is whose is unclear
            self.unresolved.add(Unresolved(mod.path, target.lineno, kept.service, f"{name} = {ast.unparse(value)}"))
        env[name] = found

    def _bind_loop(self, mod: _Module, loop: ast.For, env: Env) -> None:
        """``for a, b in ((\"x\", \"y\"), ...)``: each loop name is one of the constants at its place."""
        rows = loop.iter
        if isinstance(rows, ast.Name):  # a table assigned in the module or the function
            rows = mod.tables.get(rows.id, rows)
        if not isinstance(rows, ast.Tuple | ast.List):
            return
        targets = loop.target.elts if isinstance(loop.target, ast.Tuple) else [loop.target]
        for i, target in enumerate(targets):
            items = set()
            for row in rows.elts:
                cell = row.elts[i] if isinstance(row, ast.Tuple) and i < len(row.elts) else row
                if isinstance(cell, ast.Constant) and isinstance(cell.value, str):
                    items.add((cell.value, mod.path, cell.lineno))
            if (name := _name(target)) and items:
                env[name] = Names(frozenset(items))

    def _eval(self, mod: _Module, node: ast.expr, env: Env) -> Value | None:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "client":
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and operations(first.value):
                return Client(first.value)
            return None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "setdefault":
            return self._eval(mod, node.args[-1], env) if node.args else None  # a cache of clients
        if isinstance(node, ast.Call) and (callee := self._callee(mod, node.func, None)):
            return self._returned(*callee[:2])
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return Names(frozenset({(node.value, mod.path, node.lineno)}))
        if isinstance(node, ast.JoinedStr):
            return self._fstring(mod, node, env)
        if isinstance(node, ast.IfExp):
            body, orelse = self._eval(mod, node.body, env), self._eval(mod, node.orelse, env)
            if isinstance(body, Names) and isinstance(orelse, Names):
                return Names(body.items | orelse.items)
            return body if body == orelse else None
        name = _name(node)
        return env.get(name) if name else None

    def _returned(self, mod: _Module, fn: ast.FunctionDef | ast.ClassDef) -> Client | None:
        """The client a helper function returns (``def s3control(target): return target.client(...)``)."""
        if isinstance(fn, ast.ClassDef) or fn in self._returns:
            return self._returns.get(fn) if isinstance(fn, ast.FunctionDef) else None
        self._returns[fn] = None  # while it is being read (a recursive helper)
        env: Env = {}
        self._locals(mod, fn, env)
        found = {self._eval(mod, n.value, env) for n in _nodes(fn) if isinstance(n, ast.Return) and n.value}
        client = next(iter(found)) if len(found) == 1 else None
        self._returns[fn] = client if isinstance(client, Client) else None
        return self._returns[fn]

    def _fstring(self, mod: _Module, node: ast.JoinedStr, env: Env) -> Names | None:
        parts: list[list[str]] = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append([str(part.value)])
            elif isinstance(part, ast.FormattedValue) and isinstance(v := self._eval(mod, part.value, env), Names):
                parts.append(sorted({text for text, _, _ in v.items}))
            else:
                return None
        return Names(frozenset(("".join(p), mod.path, node.lineno) for p in product(*parts)))


@cache
def _nodes(fn: ast.FunctionDef) -> list[ast.AST]:
    return list(ast.walk(fn))


def _method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    return next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == name), None)


def _name(node: ast.expr) -> str | None:
    """``x`` or ``self.x``: the names a value can be kept under."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return f"self.{node.attr}"
    return None


def scan(root: Path) -> tuple[list[Use], list[Unresolved]]:
    """Every AWS operation the harness calls, and the operation names it could not read."""
    found = _Scan(root)
    found.run()
    return (
        sorted(found.uses, key=lambda u: (u.path, u.line, u.call, u.sid or "")),
        sorted(found.unresolved, key=lambda u: (u.path, u.line, u.text)),
    )


def policies(uses: list[Use]) -> dict[str, dict[str, Any]]:
    """The policy documents (file -> JSON) that allow exactly what ``uses`` need, a statement per Sid."""
    statements: dict[str, set[str]] = {}
    for use in uses:
        if use.sid:
            statements.setdefault(use.sid, set()).update(use.actions)
    files: dict[str, dict[str, Any]] = {}
    for sid, actions in sorted(statements.items()):
        doc = files.setdefault(READ_POLICY if sid == READ_SID else WRITE_POLICY, {"Version": "2012-10-17"})
        doc.setdefault("Statement", []).append(
            {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": "*"}
        )
    return files


def _listed(root: Path) -> dict[tuple[str, str], set[str]]:
    """(file, Sid) -> the actions docs/checker-policy*.json allow."""
    listed: dict[tuple[str, str], set[str]] = {}
    for file in (READ_POLICY, WRITE_POLICY):
        path = root / file
        doc = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        for st in doc.get("Statement", []):
            actions = st.get("Action", [])
            listed[(file, str(st.get("Sid", "")))] = {actions} if isinstance(actions, str) else set(actions)
    return listed


def differences(root: Path) -> list[str]:
    """What docs/checker-policy*.json lack (naming the call's file:line) or allow that no call needs; [] if none."""
    uses, unresolved = scan(root)
    problems = [
        f"{u.path}:{u.line}: {u.service} operation {u.text!r} is no operation the scan can name "
        "(give get_paginator/getattr a constant or a name from a table of constants)"
        for u in unresolved
    ]
    listed = _listed(root)
    needed: dict[tuple[str, str], set[str]] = {}
    for use in uses:
        if use.sid is None:
            problems.append(
                f"{use.path}:{use.line}: {use.call} writes ({', '.join(use.actions)}) in no scenario of "
                "lakehouse.iam_actions.WRITE_SCENARIOS"
            )
            continue
        needed.setdefault((use.policy, use.sid), set()).update(use.actions)
        problems.extend(
            f"{use.path}:{use.line}: {use.call} needs {action}, missing from {use.policy} (Sid {use.sid}); "
            "run `lakehouse docs`"
            for action in use.actions
            if action not in listed.get((use.policy, use.sid), set())
        )
    for (file, sid), actions in sorted(listed.items()):
        problems.extend(
            f"{file} (Sid {sid}): {action} is allowed but no call in {'/ or '.join(SCANNED)}/ needs it"
            for action in sorted(actions - needed.get((file, sid), set()))
        )
    return problems


def write(root: Path) -> list[Path]:
    """Write docs/checker-policy*.json from the scan; the files written."""
    written = []
    for file, doc in policies(scan(root)[0]).items():
        path = root / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
