"""GUARD-review, review before apply: the value a job's ``role-to-assume`` holds, read from GitHub's variables.

Two jobs share cloud credentials when they assume the same role, whatever the text naming it: the plan job's
``${{ vars.AWS_PLAN_ROLE_ARN }}`` may hold the ARN ``${{ vars.AWS_DEPLOY_ROLE_ARN }}`` holds. Each ``vars.NAME`` of
the text is read through GitHub's REST API: ``GET /repos/{repo}/environments/{env}/variables/{name}`` first when
the job names environment ``env`` (GitHub: environment variables take precedence over repository ones, which take
precedence over the organization's), else or on its 404 ``GET /repos/{repo}/actions/variables/{name}``, else or on
its 404 the organization variables shared with the repository (``GET /repos/{repo}/actions/organization-variables``,
every page). A name none of them holds is empty, as GitHub expands it ("If a variable has not been set, the return
value of a context referencing the variable will be an empty string").

A variable GitHub does not answer for (403 for a token without the variables permission, 5xx) leaves the value
unknown: never "different". Other expressions (``secrets.X``, ``inputs.x``) are not readable and are compared as
written.

A ``vars.X`` a caller hands a reusable workflow (its ``with:`` or ``secrets:``) is the caller's: GitHub evaluates
those in the calling job ("jobs.<job_id>.with" may use the ``vars`` context), and a job that calls a reusable workflow
cannot name an environment ("The job calling the reusable workflow cannot use the environment keyword"), so its
``vars.X`` is the repository's, else the organization's, whatever environment the called job names. ``caller_side``
marks such a variable ``${{ caller.vars.X }}`` where it is carried into the called workflow; ``as_written`` shows
it as its caller wrote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lakehouse.github import GitHubApiError, GitHubRepo

#: One ``${{ ... }}`` expression of a workflow value.
_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
#: An expression that is a variable alone: ``vars.NAME`` or ``vars['NAME']`` (group 1 set: a caller's, marked by
#: ``caller_side``).
_VARIABLE = re.compile(
    r"^\s*(caller\s*\.\s*)?vars\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*\])\s*$"
)
#: The mark of a caller's variable carried into the reusable workflow it calls.
_CALLER = "caller."


def caller_side(text: str) -> str:
    """``text`` (a caller's ``with:`` or ``secrets:`` value) with each ``${{ vars.X }}`` alone marked as the caller's
    (``${{ caller.vars.X }}``): read without the called job's environment."""

    def mark(match: re.Match[str]) -> str:
        variable = _VARIABLE.match(match.group(1))
        if variable is None or variable.group(1):
            return match.group(0)
        return f"${{{{ {_CALLER}vars.{variable.group(2) or variable.group(3)} }}}}"

    return _EXPRESSION.sub(mark, text)


def as_written(text: str) -> str:
    """``text`` as the workflows spell it: a caller's variable (``caller_side``) back to ``vars.X``."""
    return text.replace(f"{{{{ {_CALLER}vars.", "{{ vars.")


@dataclass(frozen=True)
class RoleValue:
    """What a ``role-to-assume`` text holds for a job: ``value`` (blanks dropped, lower case: IAM role names are
    case-insensitive) when every variable in it was read, else None with ``unknown`` saying why."""

    written: str
    value: str | None
    #: How each variable was read (``vars.X = arn:... (repository variable)``).
    read: tuple[str, ...] = ()
    #: Why the value is unknown (a variable GitHub did not answer for); empty when known or not resolvable.
    unknown: str = ""

    @property
    def said(self) -> str:
        shown = as_written(self.written)
        if self.value is None:
            return f"{shown} (value unknown: {self.unknown})" if self.unknown else shown
        return f"{shown} = {self.value}" if self.read else shown


@dataclass
class VariableReader:
    """Reads each (environment, variable) once; ``requests`` lists what was asked, for the evidence."""

    client: GitHubRepo
    requests: list[str]
    _seen: dict[tuple[str | None, str], tuple[str | None, str]]
    #: The organization variables shared with the repository (name upper case -> value), or why unread; None: not
    #: asked yet.
    _organization: dict[str, str] | str | None = None

    def __init__(self, client: GitHubRepo) -> None:
        self.client, self.requests, self._seen = client, [], {}

    def _organization_value(self, name: str) -> tuple[str | None, str]:
        """(value, how) of organization variable ``name``; value None with how "absent" when none is shared with the
        repository, else how says why unread."""
        if self._organization is None:
            try:
                answer = self.client.organization_variables()
            except GitHubApiError as err:
                self._organization = f"could not read the organization variables: {err} [{err.kind}]"
            else:
                self.requests.append(answer.url)
                self._organization = dict(answer.data)
        if isinstance(self._organization, str):
            return None, self._organization
        value = self._organization.get(name.upper())
        return (value, "organization variable") if value is not None else (None, "absent")

    def _ask(self, name: str, environment: str | None) -> tuple[str | None, str]:
        """(value, how) of one level; value None with how "absent" on a 404, else how says why unread."""
        key = (environment, name.upper())
        if key not in self._seen:
            place = f"environment {environment!r} variable" if environment else "repository variable"
            try:
                answer = self.client.variable(name, environment)
            except GitHubApiError as err:
                self._seen[key] = (None, f"could not read {place} {name}: {err} [{err.kind}]")
            else:
                if answer is None:
                    self._seen[key] = (None, "absent")
                else:
                    self.requests.append(answer.url)
                    self._seen[key] = (str(answer.data), place)
        return self._seen[key]

    def value(self, name: str, environment: str | None) -> tuple[str | None, str]:
        """The value a job naming ``environment`` gets for ``vars.name`` and where it came from, or None and why."""
        if environment and "${{" not in environment:
            value, how = self._ask(name, environment)
            if value is not None:
                return value, how
            if how != "absent":
                return None, how
        value, how = self._ask(name, None)
        if value is not None or how != "absent":
            return value, how
        value, how = self._organization_value(name)
        if how == "absent":
            place = f"environment {environment!r}, " if environment else ""
            return "", f"no {place}repository or organization variable {name}: empty"
        return value, how

    def role(self, written: str, environment: str | None) -> RoleValue:
        """``written`` with each ``${{ vars.X }}`` replaced by its value; other expressions leave it as written."""
        read: list[str] = []
        parts: list[str] = []
        position = 0
        for match in _EXPRESSION.finditer(written):
            variable = _VARIABLE.match(match.group(1))
            if variable is None:
                return RoleValue(written, None)  # secrets, inputs...: not readable, compared as written
            name, callers = variable.group(2) or variable.group(3), bool(variable.group(1))
            # A caller's variable is read where GitHub evaluates it: the calling job, which names no environment.
            value, how = self.value(name, None if callers else environment)
            if value is None:
                return RoleValue(written, None, tuple(read), how)
            parts += [written[position : match.start()], value]
            said = f"the caller's vars.{name}" if callers else f"vars.{name}"
            read.append(f"{said} = {value.strip()} ({how})" if value else f"{said}: {how}")
            position = match.end()
        parts.append(written[position:])
        return RoleValue(written, "".join("".join(parts).split()).lower(), tuple(read))
