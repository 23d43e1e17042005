"""mkdocs hooks of the gaconvex documentation site (``hooks:`` in mkdocs.yml).

1. ``on_config``: gaconvex installs ``symbolic/`` as ``gaconvex.symbolic`` (setuptools
   ``package-dir``), a layout that griffe, which reads the sources for the API reference, cannot
   follow in an editable install.  The hook lays a tree of symbolic links under
   ``build/api-src/gaconvex`` (the package's entries plus ``symbolic``) and mkdocstrings reads
   that tree first (``paths: [build/api-src]``).
2. ``on_page_markdown`` of ``gallery.md``: the marker ``<!-- gallery -->`` becomes one section per
   example script of ``examples/`` (its docstring's summary line, then every PNG it wrote into
   ``docs/gallery/<example>/``).  The figures are written before the build by
   ``python examples/run_all.py --smoke --out docs/gallery``; an example without figures gets a
   note saying that command, so a missing folder never fails ``mkdocs build --strict``.
"""
from __future__ import annotations

import ast
import logging
import os
from pathlib import Path

from mkdocs.plugins import event_priority

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
GALLERY = "gallery"                       # folder under docs/ that run_all.py writes into
MARKER = "<!-- gallery -->"
RUN_ALL = "python examples/run_all.py --smoke --out docs/gallery"
NOT_EXAMPLES = {"run_all"}
log = logging.getLogger("mkdocs.hooks.gaconvex")


def api_source_tree(root: Path = ROOT, target: Path | None = None) -> Path:
    """``target/gaconvex``: links to every entry of ``root/gaconvex`` plus ``symbolic`` ->
    ``root/symbolic``, i.e. the installed layout of the package.  Returns ``target``."""
    target = target or root / "build" / "api-src"
    package = target / "gaconvex"
    package.mkdir(parents=True, exist_ok=True)
    wanted = {entry.name: entry for entry in (root / "gaconvex").iterdir()
              if entry.name != "__pycache__"}
    wanted["symbolic"] = root / "symbolic"
    for link in package.iterdir():
        if link.is_symlink() and (link.name not in wanted or link.resolve() != wanted[link.name]):
            link.unlink()
    for name, source in wanted.items():
        link = package / name
        if not link.is_symlink():
            os.symlink(source, link)
    return target


@event_priority(100)          # before mkdocstrings reads its handler options
def on_config(config, **kwargs):
    api_source_tree()
    return config


def docstring_summary(script: Path) -> str:
    """The summary line of a script's module docstring (what the example reproduces): its
    first paragraph, joined into one line when it wraps."""
    doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8")))
    if not doc:
        return "(this example has no docstring)"
    return " ".join(doc.strip().split("\n\n", 1)[0].split())


def example_scripts(examples: Path = EXAMPLES) -> list[Path]:
    return sorted(p for p in examples.glob("*.py")
                  if p.stem not in NOT_EXAMPLES and not p.stem.startswith("_"))


def gallery_markdown(docs_dir: Path, examples: Path = EXAMPLES) -> str:
    """Markdown for the gallery: one section per example (and per figure folder without a
    script), its docstring's first line, how to run it, and its figures."""
    gallery = docs_dir / GALLERY
    scripts = {p.stem: p for p in example_scripts(examples)}
    folders = {p.name for p in gallery.iterdir() if p.is_dir()} if gallery.is_dir() else set()
    lines = []
    if not gallery.is_dir():
        lines += ['!!! note "No figures yet"',
                  f"    `docs/{GALLERY}/` does not exist: run `{RUN_ALL}` before `mkdocs build` "
                  "to fill this page.", ""]
    for name in sorted(set(scripts) | folders):
        lines += [f"## {name}", ""]
        if name in scripts:
            lines += [docstring_summary(scripts[name]), "",
                      f"Run: `python examples/{name}.py --out figures` (full size) or "
                      f"`--smoke` (the size shown here).", ""]
        pngs = sorted((gallery / name).glob("*.png")) if name in folders else []
        if not pngs:
            lines += ['!!! note "No figures"',
                      f"    `docs/{GALLERY}/{name}/` holds no PNG file: run `{RUN_ALL}` "
                      "before building the site.", ""]
        for png in pngs:
            lines += [f"![{png.stem}]({GALLERY}/{name}/{png.name})", "", f"`{png.name}`", ""]
    if not scripts and not folders:
        lines += ["No example scripts were found in `examples/`.", ""]
    return "\n".join(lines)


def on_page_markdown(markdown, page, config, files, **kwargs):
    if page.file.src_uri != "gallery.md" or MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, gallery_markdown(Path(config["docs_dir"])))
