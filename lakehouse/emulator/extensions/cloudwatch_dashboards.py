"""PutDashboard refusing the bodies CloudWatch refuses, which moto 5.2.5 stores.

moto 5.2.5 checks only that ``DashboardBody`` is JSON. CloudWatch validates it against the dashboard
body's syntax and answers ``DashboardInvalidInputError`` (code ``InvalidParameterInput``, HTTP 400) with
``dashboardValidationMessages`` (``DataPath``, ``Message``) and nothing stored. Here the same:
:func:`lakehouse.emulator.dashboard_body.validation_messages` says what AWS would refuse (what of it is
documented and what inferred is in that module's docstring), and the backend's PutDashboard raises AWS's
error before storing. Exit check 7 then never judges a body AWS would never hold.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.cloudwatch.exceptions import DashboardInvalidInputError
from moto.cloudwatch.models import CloudWatchBackend, Dashboard

from lakehouse.emulator.dashboard_body import refusal, validation_messages

_INSTALLED_MARK = "_lakehouse_cloudwatch_dashboards_extension"

PutDashboard = Callable[[CloudWatchBackend, str, str], Dashboard]


def check_body(body: str) -> None:
    """Raise CloudWatch's DashboardInvalidInputError when PutDashboard would refuse ``body``.

    A body that is no JSON is left to moto's own answer (its responses check it before the backend).
    """
    try:
        parsed = json.loads(body)
    except (TypeError, ValueError):
        return
    messages = validation_messages(parsed)
    if messages:
        error = DashboardInvalidInputError(refusal(messages))
        # moto serialises the attribute as the error shape's ``dashboardValidationMessages`` member.
        error.dashboard_validation_messages = [m.wire() for m in messages]  # type: ignore[attr-defined]
        raise error


def validating(put_dashboard: PutDashboard) -> PutDashboard:
    """The backend's PutDashboard, refusing what CloudWatch refuses before anything is stored."""

    def put(self: CloudWatchBackend, name: str, body: str, *args: Any, **kwargs: Any) -> Dashboard:
        check_body(body)
        return put_dashboard(self, name, body, *args, **kwargs)

    return put


def install() -> None:
    """Patch moto's CloudWatch backend in place; a second call does nothing."""
    if getattr(CloudWatchBackend, _INSTALLED_MARK, False):
        return
    CloudWatchBackend.put_dashboard = validating(CloudWatchBackend.put_dashboard)  # type: ignore[method-assign,assignment]
    setattr(CloudWatchBackend, _INSTALLED_MARK, True)
