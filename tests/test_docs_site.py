"""The documentation site builds with ``mkdocs build --strict`` (zero warnings), every page of
its nav exists, and the gallery page is generated from the examples, with a note (not a
strict-mode failure) where an example has no figures yet."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _nav_pages(nav) -> list[str]:
    """Every Markdown path in a mkdocs nav (a list of str / {title: str | list})."""
    pages = []
    for entry in nav:
        values = entry.values() if isinstance(entry, dict) else [entry]
        for value in values:
            if isinstance(value, list):
                pages += _nav_pages(value)
            elif not str(value).startswith(("http://", "https://")):
                pages.append(value)
    return pages


def _config() -> dict:
    yaml = pytest.importorskip("yaml", reason="PyYAML reads mkdocs.yml")
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text())


def _hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    pytest.importorskip("mkdocs", reason="docs/hooks.py imports mkdocs; pip install -e '.[docs]'")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_nav_page_exists():
    pages = _nav_pages(_config()["nav"])
    assert "index.md" in pages and "concepts.md" in pages and "gallery.md" in pages
    missing = [page for page in pages if not (DOCS / page).is_file()]
    assert not missing, f"mkdocs.yml's nav names pages that do not exist: {missing}"
    assert len(pages) == len(set(pages)), "a page appears twice in the nav"


def test_every_doc_page_is_in_the_nav():
    """A page left out of the nav is unreachable from the site's menu."""
    pages = set(_nav_pages(_config()["nav"]))
    on_disk = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")
               if "gallery" not in p.relative_to(DOCS).parts[:1]}
    assert on_disk - pages == set(), f"pages not in mkdocs.yml's nav: {sorted(on_disk - pages)}"


def test_api_pages_cover_the_public_modules():
    for module in ["fit", "dictionaries", "solvers", "networks", "algebra", "symbolic",
                   "estimators", "distributed", "experiments", "plotting"]:
        page = DOCS / "api" / f"{module}.md"
        assert page.is_file(), f"no API page for gaconvex.{module}"
        assert f"::: gaconvex.{module}" in page.read_text()


def test_gallery_lists_every_example_with_its_docstring(tmp_path):
    hooks = _hooks()
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "alpha.py").write_text('"""Alpha figure of a\npaper (Fig. 1).\n\nMore."""\n')
    (examples / "beta.py").write_text('"""Beta experiment."""\n')
    (examples / "run_all.py").write_text('"""The runner, not an example."""\n')
    docs = tmp_path / "docs"
    (docs / "gallery" / "alpha").mkdir(parents=True)
    (docs / "gallery" / "alpha" / "fig_2.png").write_bytes(b"png")
    (docs / "gallery" / "alpha" / "fig_1.png").write_bytes(b"png")
    text = hooks.gallery_markdown(docs, examples)
    assert "## alpha" in text and "## beta" in text and "## run_all" not in text
    assert "Alpha figure of a paper (Fig. 1)." in text and "More." not in text
    assert text.index("gallery/alpha/fig_1.png") < text.index("gallery/alpha/fig_2.png")
    beta = text[text.index("## beta"):]
    assert "No figures" in beta and hooks.RUN_ALL in beta
    missing = hooks.gallery_markdown(tmp_path / "no-docs", examples)
    assert "No figures yet" in missing and "![" not in missing


def test_api_source_tree_maps_symbolic_into_the_package(tmp_path):
    hooks = _hooks()
    target = hooks.api_source_tree(ROOT, tmp_path / "src")
    package = target / "gaconvex"
    assert (package / "symbolic" / "__init__.py").resolve() == ROOT / "symbolic" / "__init__.py"
    assert (package / "fit.py").resolve() == ROOT / "gaconvex" / "fit.py"
    hooks.api_source_tree(ROOT, tmp_path / "src")          # idempotent


@pytest.mark.slow
def test_mkdocs_build_strict(tmp_path):
    """``mkdocs build --strict`` fails on any warning: broken links, missing nav pages,
    docstrings griffe cannot parse, unresolved cross-references (about 10 s: slow; CI also
    runs ``mkdocs build --strict`` itself)."""
    pytest.importorskip("mkdocs", reason="the docs extra is not installed: pip install -e '.[docs]'")
    pytest.importorskip("mkdocstrings", reason="the docs extra is not installed")
    if shutil.which("mkdocs") is None and importlib.util.find_spec("mkdocs.__main__") is None:
        pytest.skip("no mkdocs command")
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(site)], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr[-4000:]
    for page in _nav_pages(_config()["nav"]):
        stem = page[: -len(".md")]
        folder = stem[: -len("index")] if stem.split("/")[-1] == "index" else stem + "/"
        assert (site / folder / "index.html").is_file(), f"{page} was not built"
    gallery = (site / "gallery" / "index.html").read_text()
    assert "reflections_1d" in gallery
    concepts = (site / "concepts" / "index.html").read_text()
    for title in ["A Library of Mirrors", "From Complexity to Clarity",
                  "Black Boxes and Looking Glasses"]:
        assert title in concepts
    api = (site / "api" / "fit" / "index.html").read_text()
    assert 'id="gaconvex.fit.convex_fit"' in api and ":func:" not in api


def _roles_extension():
    pytest.importorskip("griffe", reason="griffe comes with the docs extra")
    spec = importlib.util.spec_from_file_location("docs_griffe_roles", DOCS / "_griffe_roles.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_numpy_sections_become_markdown_lists():
    roles = _roles_extension()
    text = roles.numpy_sections(
        "Fit it.\n\nParameters\n----------\nX : (n,) inputs; y : targets\n    more.\n"
        "loss, tau : the datafit.\ncertify\n    run them.\n\n    Second paragraph.\n\n"
        "Raises\n------\nGaconvexError\n    On bad input.\n\nNotes\n-----\nTies are merged.\n"
        "\nReturns\n-------\narray (..., C(d, k)), same backend.\n\nAttributes\n----------\n"
        "a : one.\n\nProse after the list, not an entry.")
    lines = text.splitlines()
    assert "**Parameters**" in lines and "**Raises**" in lines and "**Notes**" in lines
    assert "* `X`: (n,) inputs; y : targets more." in lines
    assert "* `loss`, `tau`: the datafit." in lines
    assert "* `certify`: run them." in lines and "    Second paragraph." in lines
    assert "* `GaconvexError`: On bad input." in lines
    assert "Ties are merged." in lines and "* array (..., C(d, k)), same backend." in lines
    assert "Prose after the list, not an entry." in lines and "----------" not in text


def test_sphinx_roles_become_optional_cross_references(tmp_path):
    roles = _roles_extension()
    import griffe

    package = tmp_path / "pkgx"
    package.mkdir()
    (package / "__init__.py").write_text(
        '"""Package: :mod:`.sub`, :func:`helper`, :func:`~pkgx.sub.Thing.run`, :class:`Missing`."""\n'
        "from .sub import Thing\n\ndef helper():\n    '''Help.'''\n")
    (package / "sub.py").write_text(
        '"""Sub."""\n\nclass Thing:\n    """Calls :meth:`run` and :meth:`Thing.run`."""\n\n'
        "    def run(self):\n        '''Run.'''\n")
    loader = griffe.GriffeLoader(extensions=griffe.load_extensions(roles.SphinxRoles),
                                 search_paths=[str(tmp_path)])
    pkg = loader.load("pkgx")
    doc = pkg.docstring.value
    assert '<autoref identifier="pkgx.sub" optional><code>sub</code></autoref>' in doc
    assert '<autoref identifier="pkgx.helper" optional><code>helper</code></autoref>' in doc
    assert '<autoref identifier="pkgx.sub.Thing.run" optional><code>run</code></autoref>' in doc
    assert "<code>Missing</code>" in doc and 'identifier="Missing"' not in doc and ":func:" not in doc
    thing = pkg["sub"]["Thing"].docstring.value
    assert thing.count('identifier="pkgx.sub.Thing.run"') == 2


@pytest.mark.slow
def test_getting_started_python_snippet_runs(tmp_path):
    """The 'From Python' block of getting-started.md runs as written on a CSV file like the one
    the page shows, and its certificate proves global optimality (about 10-25 s: slow)."""
    text = (DOCS / "getting-started.md").read_text()
    code = text.split("### From Python", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    rng = np.random.default_rng(0)
    x = np.round(np.sort(rng.uniform(-2, 2, 12)), 2)
    y = np.round(np.abs(x - 0.5) - 0.3 * x + rng.normal(0, 0.1, 12), 3)
    (tmp_path / "data.csv").write_text("x,y\n" + "".join(f"{a},{b}\n" for a, b in zip(x, y)))
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "True"
    assert (tmp_path / "my_fit.png").stat().st_size > 0
    assert any("breakpoints" in line for line in lines[3:])
