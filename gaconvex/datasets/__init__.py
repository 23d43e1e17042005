"""Small real data sets shipped with gaconvex, and the CSV reader of the command line.

``sunspots.csv``: the yearly mean sunspot numbers 1700-2008 (309 years), copied once from the
statsmodels data set ``statsmodels.datasets.sunspots``, which takes them from the National
Geophysical Data Center (NOAA NGDC); the series is the international (Wolf) sunspot number,
version 1, now maintained by SILSO (Royal Observatory of Belgium).  Licence: public domain
(statsmodels: "This data is public domain").  Library of Mirrors (Zeger et al.) Sec. 4 fits
the autoregression x_{t+1} = f(x_t) on it; its counts repeat (ties), which
:func:`gaconvex.convex_fit` merges exactly.

``sentences.csv``: 312 short English sentences with sentiment labels (156 positive = 1,
156 negative = -1), written by hand for gaconvex (no external source; the package's licence),
on varied topics, mostly in pairs of opposite sentiment on one topic, some carrying it through
negation.  :func:`load_sentences` reads it (or any ``text,label`` CSV) for the text
classification example (Black Boxes and Looking Glasses Sec. 5.2).

The reader uses the standard library's :mod:`csv` and numpy only (pandas is not a dependency).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from gaconvex._validation import GaconvexError

__all__ = ["CsvColumns", "read_csv", "load_sunspots", "sunspot_autoregression",
           "load_sentences"]


@dataclass(frozen=True)
class CsvColumns:
    """Columns of a CSV file read by name.

    Attributes
    ----------
    columns : {name: (n,) float64 array}; empty cells and "nan"/"NA" are NaN.
    lines : (n,) the 1-based line number of every data row in the file (for messages).
    header : every column name of the file, in order.
    """

    columns: dict
    lines: np.ndarray
    header: tuple

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def nan_lines(self, names) -> np.ndarray:
        """Line numbers of the rows where one of ``names`` is NaN or infinite."""
        bad = np.zeros(len(self.lines), dtype=bool)
        for name in names:
            bad |= ~np.isfinite(self.columns[name])
        return self.lines[bad]


_MISSING = {"", "nan", "na", "n/a", "null", "none"}


def _cell(text: str, name: str, line: int, path) -> float:
    text = text.strip()
    if text.lower() in _MISSING:
        return np.nan
    try:
        return float(text)
    except ValueError:
        raise GaconvexError(f"{path}: line {line}, column {name!r} holds {text!r}, which is not a "
                            "number; the fitted columns must be numeric.") from None


def read_csv(source, names) -> CsvColumns:
    """Read the columns ``names`` of a CSV file (a path or a text stream) as float arrays.

    The first non-comment line is the header; lines starting with '#' are comments, blank lines
    are skipped.  Raises GaconvexError naming the file when a column is missing, a row is too
    short or a cell is not a number (missing cells become NaN; refusing them is the caller's
    choice, with :meth:`CsvColumns.nan_lines`).
    """
    names = list(dict.fromkeys(names))
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise GaconvexError(f"no such file: {path}; pass the path of a CSV file.")
        text = path.read_text(encoding="utf-8-sig")
    else:
        path, text = getattr(source, "name", "<stream>"), source.read()
    rows = [(k, row) for k, row in enumerate(csv.reader(io.StringIO(text)), start=1)
            if row and any(c.strip() for c in row) and not row[0].lstrip().startswith("#")]
    if not rows:
        raise GaconvexError(f"{path} is empty: a CSV file needs a header line and data rows.")
    (_, header), body = rows[0], rows[1:]
    header = tuple(h.strip() for h in header)
    missing = [n for n in names if n not in header]
    if missing:
        raise GaconvexError(f"{path} has no column {missing[0]!r}; its columns are "
                            f"{', '.join(header)}.")
    if not body:
        raise GaconvexError(f"{path} has a header but no data rows.")
    index = {n: header.index(n) for n in names}
    values = {n: np.empty(len(body)) for n in names}
    for r, (line, row) in enumerate(body):
        if len(row) < len(header):
            raise GaconvexError(f"{path}: line {line} has {len(row)} cells but the header has "
                                f"{len(header)}.")
        for n, j in index.items():
            values[n][r] = _cell(row[j], n, line, path)
    return CsvColumns(values, np.array([line for line, _ in body]), header)


def load_sunspots() -> tuple[np.ndarray, np.ndarray]:
    """The yearly mean sunspot numbers: ``(years, counts)``, each of shape (309,), 1700-2008
    (public domain; source in the module docstring and the CSV's header)."""
    with resources.files(__name__).joinpath("sunspots.csv").open(encoding="utf-8") as f:
        data = read_csv(f, ["YEAR", "SUNACTIVITY"])
    return data["YEAR"].astype(int), data["SUNACTIVITY"]


def sunspot_autoregression(start: int = 1900, years: int = 80) -> tuple[np.ndarray, np.ndarray]:
    """The lag-1 autoregression pairs (x_t, x_{t+1}) of the sunspot numbers for
    t = start, ..., start + years - 1 (Library of Mirrors Sec. 4: x_{t+1} = f(x_t))."""
    year, count = load_sunspots()
    t = np.flatnonzero((year >= start) & (year < start + years))
    t = t[t + 1 < len(count)]
    if t.size < 2:
        raise GaconvexError(f"the sunspot series covers {year[0]}-{year[-1]}; start={start}, "
                            f"years={years} leaves {t.size} pair(s), need at least 2.")
    return count[t], count[t + 1]


def load_sentences(source=None) -> tuple[list[str], np.ndarray]:
    """Labelled sentences ``(texts, labels)``: the shipped ``sentences.csv`` (312 sentiment
    sentences, module docstring) or the CSV ``source`` (a path) with columns ``text,label``.

    Labels are returned as int +-1 (the y_n = +-1 of Black Boxes and Looking Glasses Sec. 5.2);
    a file labelled 0/1 is mapped by 2y - 1.  Raises GaconvexError naming the line of an empty
    text, a repeated text or a label outside {-1, 1} / {0, 1}.
    """
    if source is None:
        with resources.files(__name__).joinpath("sentences.csv").open(encoding="utf-8") as f:
            return _read_sentences(f, "sentences.csv")
    path = Path(source)
    if not path.is_file():
        raise GaconvexError(f"no such file: {path}; pass the path of a CSV file with columns "
                            "text,label.")
    with path.open(encoding="utf-8-sig") as f:
        return _read_sentences(f, path)


def _read_sentences(stream, path) -> tuple[list[str], np.ndarray]:
    rows = [(k, row) for k, row in enumerate(csv.reader(stream), start=1)
            if row and any(c.strip() for c in row) and not row[0].lstrip().startswith("#")]
    if not rows or [c.strip() for c in rows[0][1][:2]] != ["text", "label"]:
        raise GaconvexError(f"{path} must start (after '#' comments) with the header text,label.")
    texts, labels, seen = [], [], {}
    for line, row in rows[1:]:
        text = row[0].strip()
        if len(row) < 2 or not text:
            raise GaconvexError(f"{path}: line {line} needs a non-empty text and a label.")
        if text in seen:
            raise GaconvexError(f"{path}: line {line} repeats the text of line {seen[text]}; "
                                "remove one of them (a repeated text leaks between splits).")
        seen[text] = line
        texts.append(text)
        labels.append(row[1].strip())
    if not texts:
        raise GaconvexError(f"{path} has a header but no data rows.")
    values = set(labels)
    if values <= {"-1", "1"}:
        return texts, np.array([int(v) for v in labels])
    if values <= {"0", "1"}:
        return texts, 2 * np.array([int(v) for v in labels]) - 1
    raise GaconvexError(f"{path}: labels must be -1/1 or 0/1, got {sorted(values)[:5]}.")
