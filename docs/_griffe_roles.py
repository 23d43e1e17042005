"""Griffe extension for the API reference: Sphinx roles in gaconvex docstrings become links.

The docstrings are numpy style with Sphinx roles (``:func:`convex_fit```, ``:class:`~a.B```),
which Markdown would print literally.  After the package is loaded, every role is replaced by
an *optional* mkdocs-autorefs reference: a link when the target is documented on some page, plain
code otherwise (optional references never fail ``mkdocs build --strict``).  A relative target
(``convex_fit``, ``.modules``, ``ParallelNetwork.balanced``) is resolved against the object's
class and module, then against the package; ``~`` shows only the last name, as in Sphinx.  In the
type slot of a numpy section entry (``name : type``), which is not rendered as Markdown, a role
becomes its bare name.
"""
from __future__ import annotations

import html
import re

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|class|meth|attr|mod|data|exc|obj):`(~?)([\w.]+)`")
ENTRY = re.compile(r"^(\s*[\w*][\w, *]* : )(.*)$")     # "name : type" of a numpy section


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


def _plain(match: re.Match) -> str:
    short, name = match.group(1), match.group(2)
    return name.rsplit(".", 1)[-1] if short else name.lstrip(".")


def rewrite(text: str, obj, collection) -> str:
    """``text`` with its roles replaced (links in prose, bare names in type slots)."""
    lines = []
    for line in text.split("\n"):
        entry = ENTRY.match(line)
        if entry:
            line = entry.group(1) + ROLE.sub(_plain, entry.group(2))
        lines.append(ROLE.sub(lambda m: _link(m, obj, collection), line))
    return "\n".join(lines)


class SphinxRoles(griffe.Extension):
    """Rewrite ``:role:`target``` in every docstring of a loaded package (see the module)."""

    def on_package(self, *, pkg, loader, **kwargs) -> None:
        collection = loader.modules_collection
        for obj in _objects(pkg, set()):
            if obj.docstring is not None and ":" in obj.docstring.value:
                obj.docstring.value = rewrite(obj.docstring.value, obj, collection)

    on_package_loaded = on_package      # the same event under its griffe 1 name (idempotent)
