"""Operations moto lacks that our Terraform root or our checks need.

One module per AWS service, shaped like moto (state on the backend model,
wire format on the responses class). Each module exposes ``install()``,
which patches moto in place. ``install_all()`` finds the modules in this
package, so adding a service means adding a file, nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil

_installed = False


def service_modules() -> list[str]:
    """Names of the extension modules, one per AWS service."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def install_all() -> None:
    """Patch every extension into moto once per process."""
    global _installed
    if _installed:
        return
    for service in service_modules():
        importlib.import_module(f"{__name__}.{service}").install()
    _installed = True
