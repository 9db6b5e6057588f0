"""Fields with no Gateway API equivalent: the table's note becomes the finding (IST001)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from migrate.plugin import SourceObject

if TYPE_CHECKING:
    from migrate.plugins.istio.convert import Converter


def note(conv: "Converter", obj: SourceObject, path: tuple[Any, ...]) -> None:
    """Report the mapping table's note for ``path`` (the converter's sweep calls this for every field left)."""
    conv.explain(obj, path)
