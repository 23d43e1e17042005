"""What the enumerating d-D builders enumerated, skipped and removed (nothing disappears
silently): the shared part of their reports.

Each builder's report (:class:`~gaconvex.dictionaries.WedgeReport`,
:class:`~gaconvex.dictionaries.ReflectionPlaneReport`) is a frozen dataclass with its own
leading counts and the common fields ``n_enumerated``, ``degenerate``, ``degenerate_sets``,
``repeated``, ``sampled``, ``columns`` (a :class:`~gaconvex.dictionaries.DeduplicationReport`
or None) and ``notes``; :class:`EnumerationReport` formats the common part once.
"""
from __future__ import annotations

__all__ = ["EnumerationReport"]


class EnumerationReport:
    """Mixin of the builders' reports: :meth:`removals` is the text after the counts."""

    def removals(self, *extra) -> str:
        """'[first: <degenerate anchor rows>]; <column deduplication>; <extra>; <notes>'."""
        text = f" [first: {self.degenerate_sets[:3].tolist()}]" if self.degenerate else ""
        parts = ([self.columns] if self.columns is not None else []) + list(extra)
        parts += list(self.notes)
        return text + "".join(f"; {part}" for part in parts)
