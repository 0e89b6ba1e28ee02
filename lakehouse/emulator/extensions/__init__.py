"""Operations moto lacks that our Terraform root or our checks need.

One module per AWS service, shaped like moto (state on the backend model,
wire format on the responses class). Each module exposes ``install()``,
which patches moto in place; ``install_all()`` is idempotent.
"""

from __future__ import annotations

import importlib

#: Extension modules, by AWS service. Add a service here when you add its module.
SERVICES: tuple[str, ...] = ()

_installed = False


def install_all() -> None:
    """Patch every extension into moto once per process."""
    global _installed
    if _installed:
        return
    for service in SERVICES:
        importlib.import_module(f"{__name__}.{service}").install()
    _installed = True
