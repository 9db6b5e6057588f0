"""Find the data that ships with the package (mappings/, schemas/).

In a wheel they are the data packages ``migrate.mappings`` and ``migrate.schemas``
(the table loader is therefore ``migrate.mapping_table``, not ``migrate.mappings``);
in a source checkout they sit at the top of the repository. Both are tried so the
tool works installed, editable, or straight from a clone.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_dir(name: str) -> Path:
    """Directory of the packaged data set ``name`` ("mappings" or "schemas")."""
    try:
        found = resources.files(f"migrate.{name}")
        path = Path(str(found))
        if path.is_dir():
            return path
    except ModuleNotFoundError:
        pass
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"packaged data '{name}' not found; is gateway-migrate installed correctly?")
