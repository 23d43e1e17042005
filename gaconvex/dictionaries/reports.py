"""What the enumerating d-D builders enumerated, skipped and removed (nothing disappears
silently): the shared part of their reports.

Each builder's report (:class:`~gaconvex.dictionaries.WedgeReport`,
:class:`~gaconvex.dictionaries.ReflectionPlaneReport`) is a frozen dataclass with its own
leading counts and the common fields ``n_enumerated``, ``degenerate``, ``degenerate_sets``,
``repeated``, ``sampled``, ``columns`` (a :class:`~gaconvex.dictionaries.DeduplicationReport`
or None) and ``notes``; :class:`EnumerationReport` formats the common part once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .library import DeduplicationReport
    from .wedge import RankReduction

__all__ = ["EnumerationReport", "WedgeReport"]


class EnumerationReport:
    """Mixin of the builders' reports: :meth:`removals` is the text after the counts."""

    def removals(self, *extra) -> str:
        """'[first: <degenerate anchor rows>]; <column deduplication>; <extra>; <notes>'."""
        text = f" [first: {self.degenerate_sets[:3].tolist()}]" if self.degenerate else ""
        parts = ([self.columns] if self.columns is not None else []) + list(extra)
        parts += list(self.notes)
        return text + "".join(f"; {part}" for part in parts)


@dataclass(frozen=True)
class WedgeReport(EnumerationReport):
    """What :func:`~gaconvex.dictionaries.wedge_library` enumerated, skipped and removed
    (nothing disappears silently).

    n_sets : anchor sets of the full library (C(n_rows, k), less the affine sets without a
        data point); n_enumerated : those enumerated (a uniform sample when ``sampled``);
    degenerate : number of enumerated sets with a zero cross product (repeated or affinely
        dependent points), ``degenerate_sets`` the first of them as ``anchor_index`` rows;
    repeated : neurons +-(w, b) equal to an earlier one (anchors on a common hyperplane);
    columns : the :class:`DeduplicationReport` of the zero / identical columns, or None;
    reduction : the :class:`RankReduction` the library was built under (001 Lemma 23), or None.
    """

    n_sets: int
    n_enumerated: int
    degenerate: int
    degenerate_sets: np.ndarray
    repeated: int
    sampled: bool = False
    columns: DeduplicationReport | None = None
    notes: tuple = field(default_factory=tuple)
    reduction: "RankReduction | None" = None

    def __str__(self) -> str:
        text = (f"{self.n_enumerated} of {self.n_sets} anchor sets"
                f"{' (uniform sample)' if self.sampled else ''}: {self.degenerate} degenerate "
                f"(zero cross product), {self.repeated} repeated neurons")
        return text + self.removals(*(() if self.reduction is None else (self.reduction,)))
