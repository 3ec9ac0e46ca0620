"""`Table`: results handed over through the Arrow PyCapsule stream, without copies."""

from __future__ import annotations

from typing import Any

from . import _core


class Table:
    """A table of results (sweep rows, spikes, boundary lines).

    It implements the Arrow PyCapsule stream protocol (``__arrow_c_stream__``), so
    ``pl.DataFrame(t)``, ``pa.table(t)`` and ``pd.DataFrame.from_arrow(t)`` (pandas >= 3)
    read its buffers without copying. (Use ``pl.DataFrame(t)``, not ``pl.from_arrow(t)``,
    whose meaning changed in polars 2.)
    """

    __slots__ = ("_t",)

    def __init__(self, core: _core.Table):
        self._t = core

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """The Arrow C stream of this table as a PyCapsule (``arrow_array_stream``)."""
        return self._t.__arrow_c_stream__(requested_schema)

    def __len__(self) -> int:
        return len(self._t)

    @property
    def columns(self) -> list[str]:
        """The column names, in order."""
        return self._t.columns

    def column(self, name: str) -> list:
        """One column as a Python list (None for nulls); ``KeyError`` names the columns."""
        return self._t.column(name)

    def to_polars(self):
        """A ``polars.DataFrame`` over the same buffers (needs polars >= 1.20)."""
        import polars as pl

        return pl.DataFrame(self)

    def to_arrow(self):
        """A ``pyarrow.Table`` over the same buffers (needs pyarrow >= 15)."""
        import pyarrow as pa

        return pa.table(self)

    def to_pandas(self):
        """A ``pandas.DataFrame`` (through pyarrow; numeric columns without copies where
        pandas allows)."""
        return self.to_arrow().to_pandas()

    def __repr__(self) -> str:
        return repr(self._t)
