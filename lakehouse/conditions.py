"""A step's ``if:`` for one green guard run: shown true, shown false, or only the run knows.

Exit check 3 reads what a guard run ran from its workflow file. The jobs API shows whether each step of the
workflow ran, but a local composite action (``uses: ./.github/actions/test``) is one step there: whether a step
inside it ran only its ``if:`` tells. So a test inside counts only when its condition is absent or shown true for
that run, and a step of the workflow whose condition is shown false (``if: failure()`` in a green run, ``if:
github.event_name == 'pull_request'`` in a push run) is not expected to have run.

This evaluator is deliberately small (GitHub's expression syntax, docs.github.com "Evaluate expressions in
workflows and actions"): literals (``true``, ``false``, ``null``, numbers, ``'strings'``), ``!``, ``&&``, ``||``,
``==``, ``!=``, parentheses, the status functions ``success()``, ``always()``, ``failure()``, ``cancelled()`` (in a
green run every step before concluded success: the first two are true, the others false) and ``github.event_name``,
``github.ref`` and ``github.ref_name`` (known for a push: ``refs/heads/<branch>``), in a composite action or
a local reusable workflow ``inputs.<id>`` (or ``inputs['<id>']``) as each call of it shows it (:func:`called_facts`),
and in a job whose matrix cells are known ``matrix.<key>`` as one cell has it (``RunFacts.matrix``; judged per cell
by ``lakehouse.workflows.cell_condition``).
Anything else (the guard workflow's own ``inputs.x``, ``contains(...)``, ``env.X``, a comparison of values of
different types) is unknown, so the whole condition is unknown unless the known parts decide it (``false &&
anything``). Strings compare ignoring case, as GitHub does. A job's ``if:`` is read the same way
(``lakehouse.workflows.job_condition``).

A document called several times (two steps using one action with different ``with:``) is judged per call: a step
is shown true when it is for at least one call shown to run, shown false only when it is for every call that may
have run, and else only the run knows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

#: The status functions in a run whose every job concluded success (the only runs whose steps are read).
_GREEN_RUN_STATUS = {"success": True, "always": True, "failure": False, "cancelled": False}
_TOKEN = re.compile(
    r"\s*(?:(?P<op>&&|\|\||==|!=|!|\(|\)|\[|\]|,)|(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_.-]*)|(?P<prop>\.[A-Za-z_][A-Za-z0-9_-]*))"
)
_WRAPPED = re.compile(r"^\s*\$\{\{(.*)\}\}\s*$", re.DOTALL)


#: An input's value as a call shows it: an action's are strings, a reusable workflow's keep their declared type.
Input = str | bool | int | float
#: An input a call leaves unset that declares no ``default:`` (a reusable workflow's gets its type's default).
_UNSET = object()
#: GitHub's value for a reusable workflow's input that is neither given nor has a ``default:`` (docs.github.com,
#: ``on.workflow_call.inputs.<input_id>.type``: "false for a boolean, 0 for a number, and "" for a string").
_TYPE_DEFAULTS: dict[str, Input] = {"boolean": False, "number": 0, "string": ""}


class _Unknown:
    """A value only the run knows; ``truthy`` when its truthiness is known all the same (``x || true``)."""

    def __init__(self, truthy: bool | None = None) -> None:
        self.truthy = truthy


UNKNOWN = _Unknown()


@dataclass(frozen=True)
class Call:
    """One call of a composite action or local reusable workflow that may have run (its ``if:`` not shown false):
    the inputs its ``with:`` (else their defaults) show (lowercased id -> literal value; :func:`call_inputs`), and
    ``ran``: whether it is shown to run (a step of the jobs API, or one shown true in a document shown to run)."""

    inputs: tuple[tuple[str, Input], ...]
    ran: bool


@dataclass(frozen=True)
class RunFacts:
    """What is known of the run a step ran in: its event and, for a push, its ref (None: unknown); ``inputs``: the
    inputs shown for the document's one call; ``calls``: for a document called from the run's files, each call of it
    that may have run, each judged on its own (:func:`called_facts`; none: judged with ``inputs``); ``matrix``: the
    ``matrix`` context of one cell of the step's job (``lakehouse.matrices``; None: not known, ``matrix.x`` is the
    run's)."""

    event: str | None
    ref: str | None
    inputs: tuple[tuple[str, Input], ...] = ()
    calls: tuple[Call, ...] = ()
    matrix: tuple[tuple[str, Any], ...] | None = None

    @classmethod
    def of_run(cls, run: dict[str, Any]) -> RunFacts:
        """From a run as the runs API returns it: a push's ``head_branch`` is the branch it pushed to."""
        event = str(run.get("event") or "") or None
        branch = run.get("head_branch")
        return cls(event, f"refs/heads/{branch}" if event == "push" and branch else None)

    def context(self, name: str) -> Any:
        if name.lower().startswith("inputs."):
            return dict(self.inputs).get(name.lower().removeprefix("inputs."), UNKNOWN)
        if name.lower().startswith("matrix."):
            return UNKNOWN if self.matrix is None else _property(dict(self.matrix), name.split(".")[1:])
        values = {"github.event_name": self.event, "github.ref": self.ref}
        if self.ref and self.ref.startswith("refs/heads/"):
            values["github.ref_name"] = self.ref.removeprefix("refs/heads/")
        value = values.get(name.lower())
        return UNKNOWN if value is None else value

    def describe(self) -> str:
        """The run as a reason names it."""
        run = f"a green {self.event or 'unknown-event'} run of {self.ref or 'an unknown ref'}"
        shown = ", ".join(f"{name}={value!r}" for name, value in self.inputs)
        run = f"{run} (inputs {shown})" if shown else run
        cell = ", ".join(f"{name}={value!r}" for name, value in self.matrix or ())
        return f"{run}, matrix cell ({cell})" if self.matrix is not None else run


#: A green run whose event and ref are not used: only the status functions decide (``if: failure()`` is false in
#: it, ``if: github.event_name == 'pull_request'`` unknown).
ANY_GREEN_RUN = RunFacts(None, None)


@dataclass(frozen=True)
class Verdict:
    """``value``: True shown true, False shown false, None only the run knows; ``why`` says which and why."""

    value: bool | None
    why: str


def step_condition(step: dict[str, Any], facts: RunFacts) -> Verdict:
    """Whether ``step`` runs in the green run ``facts`` describes (its ``if:``; none: it runs); for a document with
    ``facts.calls``, whether it ran in one of them: shown true for at least one call shown to run, shown false when
    it is for every call (a step under ``if: inputs.tests == 'true'`` of an action one call passes ``'true'`` and
    another ``'false'`` ran its tests, once)."""
    if not facts.calls:
        return _condition(step, facts)
    verdicts = [(call, _condition(step, replace(facts, inputs=call.inputs, calls=()))) for call in facts.calls]
    shown = next((v for call, v in verdicts if call.ran and v.value is True), None)
    if shown is not None:
        return Verdict(True, f"{shown.why}, a call shown to run" if len(verdicts) > 1 else shown.why)
    if all(v.value is False for _, v in verdicts):
        return Verdict(
            False, verdicts[0][1].why if len(verdicts) == 1 else _per_call(step, "false for every call", verdicts)
        )
    if len(verdicts) == 1:
        why = verdicts[0][1].why if verdicts[0][1].value is None else f"{verdicts[0][1].why}, a call not shown to run"
        return Verdict(None, why)
    return Verdict(None, _per_call(step, "not shown true for any call shown to run", verdicts))


def _per_call(step: dict[str, Any], summary: str, verdicts: list[tuple[Call, Verdict]]) -> str:
    """A reason naming the step's ``if:``, ``summary`` of its calls, and each call's verdict."""
    shown = f"`if: {step['if']}`"
    parts = [
        f"call {n}{'' if call.ran else ' (not shown to run)'}: {verdict.why.removeprefix(shown).lstrip(': ')}"
        for n, (call, verdict) in enumerate(verdicts, start=1)
    ]
    return f"{shown} is {summary} ({'; '.join(parts)})"


def _condition(step: dict[str, Any], facts: RunFacts) -> Verdict:
    """:func:`step_condition` for one call (``facts.inputs``)."""
    if "if" not in step or step["if"] is None:
        return Verdict(True, "no `if:`")
    raw = step["if"]
    shown = f"`if: {raw}`"
    if isinstance(raw, bool):
        return Verdict(raw, f"{shown} is literally {str(raw).lower()}")
    if isinstance(raw, int | float):
        return Verdict(raw != 0, f"{shown} is a literal number")
    text = str(raw)
    wrapped = _WRAPPED.match(text)
    body = wrapped.group(1) if wrapped else text
    if "${{" in body:  # text around `${{ }}`: GitHub makes it a string, whose truth this evaluator does not judge
        return Verdict(None, f"{shown}: text around an expression is not judged here, so not shown to run")
    try:
        value = _Parser(body, facts).parse()
    except ValueError as err:
        return Verdict(None, f"{shown}: {err}, so not shown to run")
    truth = _truthy(value)
    run = facts.describe()
    if truth is None:
        return Verdict(None, f"{shown} depends on what only the run knows (not shown true for {run})")
    return Verdict(truth, f"{shown} is {str(truth).lower()} in {run}")


def call_inputs(document: Any, call: Any) -> tuple[tuple[str, Input], ...]:
    """The inputs one call (its ``with:``; ``{}`` for none) of a composite action or reusable workflow (``document``,
    parsed) shows: each declared input (an action's ``inputs:``, a workflow's ``on.workflow_call.inputs``) gets the
    call's ``with:`` value, else its ``default:``. Only literal values are shown, never an expression (``${{ ... }}``:
    the run's) or an input given nothing. GitHub passes an action's inputs as strings (``true`` is ``'true'``; a
    number is not shown: GitHub keeps its text, YAML does not); a workflow's keep their declared ``type`` (docs.github
    .com, "inputs context"): a ``boolean`` shows a YAML boolean, a ``string`` a YAML string, a ``number`` a YAML
    number, and one neither given nor defaulted its type's default (``false``, ``''``, ``0``: ``_TYPE_DEFAULTS``)."""
    action = isinstance(document, dict) and "runs" in document
    declared = document.get("inputs") if action else None
    if isinstance(document, dict) and not action:
        on = document.get("on")
        trigger = on.get("workflow_call") if isinstance(on, dict) else None
        declared = trigger.get("inputs") if isinstance(trigger, dict) else None
    shown: list[tuple[str, Input]] = []
    for name, spec in declared.items() if isinstance(declared, dict) else []:
        spec = spec if isinstance(spec, dict) else {}
        value = _given(call, str(name), spec.get("default", _UNSET))
        if value is _UNSET:  # neither given nor defaulted: an action's is unknown here, a workflow's its type's
            value = None if action else _TYPE_DEFAULTS.get(str(spec.get("type")))
        literal = _literal(value) if action else _typed(value, spec.get("type"))
        if literal is not None:
            shown.append((str(name).lower(), literal))
    return tuple(shown)


def called_facts(run: RunFacts, document: Any, calls: Sequence[tuple[Any, bool]]) -> RunFacts:
    """The facts a called ``document``'s steps are judged with: the run's, and each call (``(with, shown to run)``)
    that may have run with the inputs it shows (:func:`call_inputs`)."""
    return replace(run, inputs=(), calls=tuple(Call(call_inputs(document, given), ran) for given, ran in calls))


def _given(call: Any, name: str, default: Any) -> Any:
    """What a call's ``with:`` gives input ``name`` (ids ignore case), else its default; None: unknown."""
    if not isinstance(call, dict):
        return None  # `with: ${{ fromJSON(...) }}`
    given = [value for key, value in call.items() if str(key).lower() == name.lower()]
    return given[0] if len(given) == 1 else default if not given else None


def _literal(value: Any) -> str | None:
    """An action's input as the string GitHub passes when YAML shows it (None: it does not)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str) and "${{" not in value:
        return value
    return None


def _typed(value: Any, kind: Any) -> Input | None:
    """A reusable workflow's input of type ``kind`` when YAML shows it as that type (None: it does not)."""
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "string" and isinstance(value, str) and "${{" not in value:
        return value
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


def _property(value: Any, path: list[str]) -> Any:
    """``value.a.b`` as GitHub reads a context: keys ignoring case, a property something lacks ``null``."""
    for key in path:
        if isinstance(value, _Unknown):  # a part only the run knows (a matrix key read back from no name)
            return UNKNOWN
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if str(k).casefold() == key.casefold()), None)
    return value


def _truthy(value: Any) -> bool | None:
    """GitHub's truthiness: ``false``, ``0``, ``''`` and ``null`` are false; None for an unknown value."""
    if isinstance(value, _Unknown):
        return value.truthy
    return value not in (False, 0, "", None)


def _equal(left: Any, right: Any) -> bool | _Unknown:
    """``==``: strings ignoring case; the same types compared; anything else (coercions) unknown."""
    if isinstance(left, _Unknown) or isinstance(right, _Unknown):
        return UNKNOWN
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if left is None or right is None:
        return left is right
    if isinstance(left, bool) != isinstance(right, bool) or isinstance(left, str) != isinstance(right, str):
        return UNKNOWN  # GitHub coerces to numbers: not judged here
    return bool(left == right)


def _either(left: Any, right: Any) -> Any:
    """``left || right``: the left when truthy, else the right; the left unknown: true if the right is."""
    truth = _truthy(left)
    if truth is None:
        return _Unknown(True) if _truthy(right) else UNKNOWN
    return left if truth else right


def _both(left: Any, right: Any) -> Any:
    """``left && right``: the left when falsy, else the right; the left unknown: false if the right is."""
    truth = _truthy(left)
    if truth is None:
        return _Unknown(False) if _truthy(right) is False else UNKNOWN
    return right if truth else left


class _Parser:
    """Recursive descent over GitHub's operators, lowest first: ``||``, ``&&``, ``==``/``!=``, ``!``."""

    def __init__(self, text: str, facts: RunFacts) -> None:
        self.facts = facts
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text.rstrip()):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise ValueError(f"`{text[position:].strip()}` is not an expression this reader knows")
            kind = next(k for k, v in match.groupdict().items() if v is not None)
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.at = 0

    def parse(self) -> Any:
        value = self._or()
        if self.at != len(self.tokens):
            raise ValueError(f"`{self.tokens[self.at][1]}` is not expected there")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            raise ValueError("the expression ends too early")
        self.at += 1
        return self.tokens[self.at - 1]

    def _or(self) -> Any:
        left = self._and()
        while self._peek() == "||":
            self._take()
            left = _either(left, self._and())
        return left

    def _and(self) -> Any:
        left = self._compare()
        while self._peek() == "&&":
            self._take()
            left = _both(left, self._compare())
        return left

    def _compare(self) -> Any:
        left = self._not()
        while self._peek() in ("==", "!="):
            operator = self._take()[1]
            equal = _equal(left, self._not())
            left = equal if isinstance(equal, _Unknown) or operator == "==" else not equal
        return left

    def _not(self) -> Any:
        if self._peek() == "!":
            self._take()
            truth = _truthy(self._not())
            return UNKNOWN if truth is None else not truth
        return self._atom()

    def _atom(self) -> Any:
        kind, text = self._take()
        if text == "(":
            value = self._or()
            if self._take()[1] != ")":
                raise ValueError("a `(` is not closed")
            return value
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind != "word":
            raise ValueError(f"`{text}` is not expected there")
        lowered = text.lower()
        if self._peek() == "(":  # a function call
            self._take()
            arguments = 0
            while self._peek() != ")":
                self._or()
                arguments += 1
                if self._peek() == ",":
                    self._take()
                elif self._peek() != ")":
                    raise ValueError(f"a call of `{text}` is not closed")
            self._take()
            return _GREEN_RUN_STATUS.get(lowered, UNKNOWN) if not arguments else UNKNOWN
        literals: dict[str, Any] = {"true": True, "false": False, "null": None}
        if lowered in literals:
            return literals[lowered]
        return self.facts.context(self._path(text))

    def _path(self, name: str) -> str:
        """A context's property path, ``inputs['x']`` (GitHub's index syntax) read as ``inputs.x``."""
        while self._peek() == "[" or (self.at < len(self.tokens) and self.tokens[self.at][0] == "prop"):
            kind, text = self._take()
            if kind == "prop":
                name += text
                continue
            key = self._take()
            if key[0] != "str" or self._take()[1] != "]":
                raise ValueError(f"`{name}[` is indexed by something other than a string")
            name += "." + key[1][1:-1].replace("''", "'")
        return name
