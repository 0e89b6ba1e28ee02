"""Glue Data Catalog tag handling that moto 5.2 gets wrong.

Why: ``DeleteDatabase`` leaves the database's tags in the backend's tagger, and the
Resource Groups Tagging API lists every ARN the tagger holds. After ``terraform destroy``
the deleted databases still showed up under the stack's ``stack_id`` tag, so the
harness's "nothing left behind" check would report a leak that AWS would not have; and a
database re-created under the same name inherited the old tags. ``GetTags`` on a
database that does not exist must raise ``EntityNotFoundException``, as Glue does.

State stays on moto's backend model; the wire format is patched on the responses class.
"""

from __future__ import annotations

from collections.abc import Iterator

from moto.core.resource_tagging import TaggedResource
from moto.glue import models as glue_models
from moto.glue.exceptions import DatabaseNotFoundException
from moto.glue.models import GlueBackend

_MARK = "_lakehouse_ext_installed"


def _database_name(arn: str) -> str | None:
    """The database a Glue ``database/<name>`` ARN names, else None."""
    resource = arn.split(":", 5)[-1] if arn.count(":") >= 5 else ""
    kind, _, name = resource.partition("/")
    return name if kind == "database" and name else None


def _database_arn(backend: GlueBackend, database_name: str) -> str:
    """The ARN moto's create_database tags a database under."""
    return backend.default_catalog_arn.removesuffix(":catalog") + f":database/{database_name}"


def _install_model() -> None:
    original_delete = GlueBackend.delete_database
    original_get_tags = GlueBackend.get_tags
    original_iter = GlueBackend.iter_tagged_resources

    def delete_database(self: GlueBackend, database_name: str) -> None:
        original_delete(self, database_name)
        self.tagger.delete_all_tags_for_resource(_database_arn(self, database_name))

    def get_tags(self: GlueBackend, resource_id: str) -> dict[str, str]:
        name = _database_name(resource_id)
        if name is not None and name not in self.databases:
            raise DatabaseNotFoundException(name)
        return original_get_tags(self, resource_id)

    def iter_tagged_resources(self: GlueBackend) -> Iterator[TaggedResource]:
        # Defensive: never list a database ARN whose database is gone.
        for resource in original_iter(self):
            name = _database_name(resource.arn)
            if name is None or name in self.databases:
                yield resource

    GlueBackend.delete_database = delete_database  # type: ignore[method-assign]
    GlueBackend.get_tags = get_tags  # type: ignore[method-assign]
    GlueBackend.iter_tagged_resources = iter_tagged_resources  # type: ignore[method-assign]


def install() -> None:
    """Patch moto's Glue in place; a second call does nothing."""
    if getattr(glue_models, _MARK, False):
        return
    _install_model()
    setattr(glue_models, _MARK, True)
