"""Griffe extension for the API reference: gaconvex docstrings rendered as written.

Sections.  gaconvex docstrings use numpy section headers (``Parameters`` over ``----------``)
but write an entry as ``name : what it is`` (prose, not a type), often for several names at
once (``lr, steps, schedule : ...``).  Griffe's numpy parser would read the prose as a type, so
the site parses no style (``docstring_style: null``) and this extension turns each section into
Markdown: a bold title and one bullet per entry, names in code, continuation lines joined.

The docstrings are numpy style with Sphinx roles (``:func:`convex_fit```, ``:class:`~a.B```),
which Markdown would print literally.  After the package is loaded, every role is replaced by
an *optional* mkdocs-autorefs reference: a link when the target is documented on some page, plain
code otherwise (optional references never fail ``mkdocs build --strict``).  A relative target
(``convex_fit``, ``.modules``, ``ParallelNetwork.balanced``) is resolved against the object's
class and module, then against the package; ``~`` shows only the last name, as in Sphinx.
"""
from __future__ import annotations

import html
import re

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|class|meth|attr|mod|data|exc|obj):`(~?)([\w.]+)`")
SECTIONS = {"Parameters", "Other Parameters", "Returns", "Yields", "Raises", "Warns",
            "Attributes", "Notes", "Examples", "See Also", "References"}
LISTS = SECTIONS - {"Notes", "Examples", "References"}
RULE = re.compile(r"^\s*-{3,}\s*$")
NAMES = re.compile(r"^([\w*]+(?:\s*,\s*[\w*]+)*)(?:\s+:\s*(.*)|\s*:?\s*)$")


def _scopes(obj) -> list[str]:
    """Paths against which a relative name is tried: the object, its parents, the package."""
    scopes, current = [], obj
    while current is not None:
        scopes.append(current.path)
        current = current.parent
    return scopes


def _resolve(name: str, obj, collection) -> str | None:
    """The full path of ``name`` seen from ``obj``, or None when griffe does not know it."""
    if name.startswith("."):                      # :mod:`.modules` inside a package
        module = obj if obj.is_module else obj.module
        candidates = [module.path + name]
    else:
        candidates = [name] + [f"{scope}.{name}" for scope in _scopes(obj)]
    for candidate in candidates:
        try:
            collection[candidate]
        except (KeyError, ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
            continue
        return candidate
    return None


def _link(match: re.Match, obj, collection) -> str:
    short, name = match.group(1), match.group(2)
    title = name.rsplit(".", 1)[-1] if short else name.lstrip(".")
    target = _resolve(name, obj, collection)
    code = f"<code>{html.escape(title)}</code>"
    if target is None:
        return code
    return f'<autoref identifier="{html.escape(target)}" optional>{code}</autoref>'


def _objects(obj, seen):
    if obj.path in seen:
        return
    seen.add(obj.path)
    yield obj
    for member in obj.members.values():
        if member.is_alias:
            continue
        yield from _objects(member, seen)


def rewrite(text: str, obj, collection) -> str:
    """``text`` with its roles replaced by optional cross-references."""
    return ROLE.sub(lambda m: _link(m, obj, collection), text)


def _entry(line: str) -> str:
    """One bullet: ``names : text`` -> "* `a`, `b`: text"; any other line -> "* line"."""
    match = NAMES.match(line.strip())
    if not match:
        return f"* {line.strip()}"
    names = ", ".join(f"`{name.strip()}`" for name in match.group(1).split(","))
    rest = (match.group(2) or "").strip()
    return f"* {names}: {rest}" if rest else f"* {names}"


def _is_entry(line: str, section: str) -> bool:
    return section in ("Returns", "Yields") or NAMES.match(line.strip()) is not None


def numpy_sections(text: str) -> str:
    """``text`` with its numpy sections as Markdown: a bold title, then (for Parameters,
    Returns, Raises, Attributes, ...) one bullet per entry with the indented lines below it
    joined; a line of prose after the entries ends the list."""
    lines, out, section = text.split("\n"), [], None
    for i, line in enumerate(lines):
        if RULE.match(line) and i > 0 and lines[i - 1].strip() in SECTIONS:
            continue
        if line.strip() in SECTIONS and i + 1 < len(lines) and RULE.match(lines[i + 1]):
            section = line.strip()
            out += ["", f"**{section}**", ""]
        elif section not in LISTS or not line.strip():
            out.append(line)
        elif line.startswith((" ", "\t")) and out:               # an entry's description
            if out[-1] == "":
                out.append("    " + line.strip())
            else:
                out[-1] += (": " if out[-1].endswith("`") else " ") + line.strip()
        elif _is_entry(line, section):
            out.append(_entry(line))
        else:                                                     # prose after the entries
            section = None
            out.append(line)
    return "\n".join(out)


class SphinxRoles(griffe.Extension):
    """Rewrite the roles and the numpy sections of every docstring of a loaded package (see
    the module docstring)."""

    def on_package(self, *, pkg, loader, **kwargs) -> None:
        collection = loader.modules_collection
        for obj in _objects(pkg, set()):
            if obj.docstring is not None and ":" in obj.docstring.value:
                obj.docstring.value = numpy_sections(rewrite(obj.docstring.value, obj,
                                                             collection))

    on_package_loaded = on_package      # the same event under its griffe 1 name (idempotent)
