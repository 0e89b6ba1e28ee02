"""Shared by the extension modules: put an extension class's members onto moto's class."""

from __future__ import annotations


def graft(extension: type, target: type) -> None:
    """Copy the methods and properties an extension class defines onto moto's class.

    moto dispatches an action to the responses-class method named after it, so a
    method grafted onto ``<Service>Response`` adds (or replaces) that operation.
    """
    for name, member in vars(extension).items():
        if not name.startswith("__"):
            setattr(target, name, member)
