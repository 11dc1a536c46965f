"""The site builds without a warning, every internal link resolves, nothing is loaded from
outside the machine, and every page of the navigation is there."""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

bs4 = pytest.importorskip("bs4")

PARSER = "lxml" if importlib.util.find_spec("lxml") else "html.parser"
WARNING = re.compile(r"\b(WARNING|ERROR|CRITICAL)\b")


def _pages(html: Path) -> list[Path]:
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)


@functools.lru_cache(maxsize=None)
def _soup(path: Path):
    return bs4.BeautifulSoup(path.read_text(encoding="utf-8"), PARSER)


def test_builds_with_warnings_as_errors(site):
    lines = [ln for ln in site.log.splitlines() if WARNING.search(ln) and "IPKernelApp" not in ln]
    assert site.returncode == 0 and lines == [], "\n".join(lines[:20]) or site.log[-3000:]
    assert (site.html / "index.html").is_file()


def test_every_internal_link_and_anchor_resolves(built):
    ids: dict[Path, set[str]] = {}
    broken = []
    for page in _pages(built.html):
        soup = _soup(page)
        for tag, attr in (("a", "href"), ("img", "src"), ("script", "src"), ("link", "href")):
            for el in soup.find_all(tag):
                url = el.get(attr)
                if not url or url.startswith(("mailto:", "data:", "javascript:")):
                    continue
                parts = urlsplit(url)
                if parts.scheme or parts.netloc:
                    continue  # an outside link a reader may follow (checked below: never loaded)
                target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
                if target.is_dir():
                    target = target / "index.html"
                if not target.exists():
                    broken.append(f"{page.relative_to(built.html)}: {url}")
                    continue
                if parts.fragment and target.suffix == ".html":
                    if target not in ids:
                        ids[target] = {el["id"] for el in _soup(target).find_all(id=True)}
                    if unquote(parts.fragment) not in ids[target]:
                        broken.append(f"{page.relative_to(built.html)}: {url} (no such anchor)")
    assert broken == [], "\n".join(broken[:30])


def test_nothing_is_loaded_from_outside_the_machine(built):
    outside = []
    for page in _pages(built.html):
        soup = _soup(page)
        loaded = [el.get("src") for el in soup.find_all(["script", "img", "iframe", "source", "video"])]
        loaded += [el.get("href") for el in soup.find_all("link") if el.get("href")]
        outside += [f"{page.name}: {u}" for u in loaded if u and re.match(r"^(https?:)?//", u)]
    css = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in built.html.rglob("*.css"))
    outside += re.findall(r"@import\s+url\(\s*['\"]?(?:https?:)?//[^)]+", css)
    outside += re.findall(r"url\(\s*['\"]?(?:https?:)?//[^)]+", css)
    assert outside == [], "\n".join(outside[:20])


def test_the_sections_and_pages_are_there(built):
    html = built.html
    for rel in ("getting-started.html", "tutorials/index.html", "howto/index.html", "explanations/index.html",
                "reference/cli.html", "reference/formats.html", "reference/api.html", "gallery/index.html",
                "benchmarks.html", "reference/generated/hhsim.simulate.html"):
        assert (html / rel).is_file(), rel
    # every notebook of the course and every how-to page has its page in the navigation
    root = Path(__file__).resolve().parents[2]
    for nb in (root / "examples" / "notebooks").glob("*.ipynb"):
        assert (html / "tutorials" / "notebooks" / f"{nb.stem}.html").is_file(), nb.name
    howto_index = (html / "howto" / "index.html").read_text(encoding="utf-8")
    for page in (root / "docs" / "howto").glob("*.md"):
        if page.stem != "index":
            assert (html / "howto" / f"{page.stem}.html").is_file() and f'href="{page.stem}.html"' in howto_index


def test_formulas_are_mathml_written_at_build_time(built):
    page = (built.html / "explanations" / "numerics.html").read_text(encoding="utf-8")
    assert "<math" in page and "<mfrac>" in page
    scripts = [s.get("src", "") for s in _soup(built.html / "explanations" / "numerics.html").find_all("script")]
    assert not any("mathjax" in src.lower() for src in scripts), scripts


def test_the_gallery_scripts_drew_their_figures(built):
    root = Path(__file__).resolve().parents[2]
    scripts = sorted((root / "docs" / "gallery_src").glob("plot_*.py"))
    assert len(scripts) >= 4
    for script in scripts:
        page = built.html / "gallery" / f"{script.stem}.html"
        imgs = [i["src"] for i in _soup(page).find_all("img") if "sphx_glr_" + script.stem in i["src"]]
        assert imgs, f"{script.name} drew no figure"
        assert all((page.parent / src).stat().st_size > 10_000 for src in imgs)
