"""Open the built book in a real headless browser with the network off and check every page.

Usage: ``python -m igr_core.book.checkbook _build/html [--screenshots DIR]``

Serves ``_build/html`` on a loopback port, drives Debian's chromium through selenium
(system ``chromedriver``; nothing is downloaded), with every non-loopback request sent to
a dead proxy so the page cannot reach the network. For every page in ``_toc.yml`` it fails
on: a missing page, an image that did not load, a link inside the book to a missing file or
anchor, math left unrendered by MathJax, or an error output cell; and, measured at 1,280 and
390 px (:data:`WIDTHS`), a verdict the reader must scroll sideways to see or a figure without a
caption sentence (:func:`layout_problems`). :func:`static_problems` adds the checks that need no
layout (findings box, table rows, machine paths, figure overlaps). It saves a screenshot per page
and width.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import re
import shutil
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

from igr_core.book import ROOT, toc_files, toc_notebooks
from igr_core.book.layout import LAYOUT_PROBLEM


def toc_pages(root: Path = ROOT) -> list[str]:
    """Every page of the table of contents, as paths relative to the html root."""
    return [f"{p}.html" for p in toc_files(root)]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _serve(directory: Path):
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not browser or not driver_path:
        raise RuntimeError("Debian's chromium and chromium-driver are needed: apt-get install chromium chromium-driver")
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--window-size={WIDTHS[0]},1600",
        # the network is off: everything but loopback goes to a closed port
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>;127.0.0.1",
    ):
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)


_PAGE_JS = r"""
const imgs = [...document.images].map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0}));
const links = [...document.querySelectorAll('article a[href], main a[href], nav a[href]')]
    .map(a => a.getAttribute('href'));
const mathNodes = document.querySelectorAll('.math, span.math, div.math');
const raw = [...mathNodes].filter(n => !n.querySelector('mjx-container')).map(n => n.textContent.slice(0, 80));
const errors = [...document.querySelectorAll('.output.error, .output.traceback, div.cell_output .ansi-red-fg')]
    .map(n => n.textContent.slice(0, 200));
const text = document.body.innerText;
const clone = document.body.cloneNode(true);
clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight, .cell_input').forEach(n => n.remove());
const tex = (clone.innerText
    .match(/(\$\$|\\(frac|tfrac|theta|nabla|mathrm|epsilon|lambda|sum|alpha|widetilde|sqrt)\b)/g) || []);
const stderr = document.querySelectorAll('.output.stderr, div.cell_output .stderr').length;
const figures = [...document.querySelectorAll('div.cell_output img:not(.fig-narrow)')].length;
const drawn = (text.match(/Drawn by igr_core\.book\./g) || []).length;
return {title: document.title, imgs, links, raw, errors, nmath: mathNodes.length, stderr, figures, drawn,
        width: window.innerWidth,
        nmjx: document.querySelectorAll('mjx-container').length,
        tex: tex.slice(0, 5), traceback: text.includes('Traceback (most recent call last)'),
        mathjax: typeof MathJax !== 'undefined'};
"""


WIDTHS = (1280, 390)  # a laptop and a phone: every page is measured at both

_LAYOUT_JS = r"""
window.scrollTo(0, 0);
const W = window.innerWidth;
// on screen before any toggle is opened (sphinx-togglebutton hides a dropdown's body with visibility)
const shown = el => el.getClientRects().length > 0 && !el.closest('details:not([open])')
    && getComputedStyle(el).visibility !== 'hidden';
// the box a reader sees of an element: its own, cut by every ancestor that clips or scrolls sideways
const seen = el => {
  const r = el.getBoundingClientRect();
  let left = r.left, right = r.right;
  for (let a = el.parentElement; a; a = a.parentElement) {
    const o = getComputedStyle(a).overflowX;
    if (o !== 'visible') {
      const q = a.getBoundingClientRect(); left = Math.max(left, q.left); right = Math.min(right, q.right);
    }
  }
  return {left: r.left, right: r.right, seenLeft: left, seenRight: right};
};
const verdicts = [...document.querySelectorAll('.verdict')].filter(shown)
    .map(el => Object.assign({text: el.textContent.trim()}, seen(el)));
const figures = [...document.querySelectorAll('div.cell_output')].filter(o => o.querySelector('img'))
    .map(o => { const t = o.querySelector('.takeaway');
                const p = t ? t.parentElement.textContent.replace(t.textContent, '').trim() : '';
                return {caption: p.slice(0, 200)}; });
// every figure image on screen: the size of its smallest text as displayed (its data-text-px, in the
// image's own pixels, times the scale the page shows it at); null where the figure does not say
const figtext = [...document.querySelectorAll('div.cell_output img')]
    .filter(i => i.getClientRects().length > 0 && i.naturalWidth > 0)
    .map(i => ({px: i.dataset.textPx ? parseFloat(i.dataset.textPx) * i.clientWidth / i.naturalWidth : null}));
// the padding of every table cell on screen (the smaller side)
const padding = [...document.querySelectorAll('article table td, article table th')].filter(shown)
    .map(c => { const s = getComputedStyle(c);
                return Math.min(parseFloat(s.paddingLeft), parseFloat(s.paddingRight)); });
return {width: W, verdicts, figures, figtext, padding, scrollWidth: document.documentElement.scrollWidth};
"""

MIN_CAPTION = 30  # characters of a caption sentence beyond "What it shows:"
MIN_CELL_PADDING = 3.0  # pixels on each side of a table cell's text: less and "0.005 6.98e-10" reads "0.0056.98e-10"


def layout_problems(page: str, m: dict) -> list[str]:
    """What a reader at ``m["width"]`` pixels cannot see, from the measurements of
    :data:`_LAYOUT_JS`: a verdict badge outside the window or cut by a container that scrolls
    sideways (a verdict the reader must scroll to), a page wider than the window, figure text
    under :data:`~igr_core.book.layout.MIN_TEXT_PX` as displayed (or a figure that does not say
    its text size), a table cell without padding, a figure without a caption sentence."""
    width, out = m["width"], []
    hidden = [
        v["text"]
        for v in m["verdicts"]
        if v["left"] < 0 or v["right"] > width or v["seenRight"] < v["right"] - 1 or v["seenLeft"] > v["left"] + 1
    ]
    if hidden:
        out.append(
            f"{page} at {width} px: {len(hidden)} of {len(m['verdicts'])} verdict(s) need horizontal scrolling "
            f"(first: {hidden[0]!r})"
        )
    if m.get("scrollWidth", 0) > width + 1:
        out.append(f"{page} at {width} px: the page itself scrolls sideways ({m['scrollWidth']} px wide)")
    from igr_core.book.layout import MIN_TEXT_PX

    sizes = [f["px"] for f in m.get("figtext", [])]
    unknown = sum(px is None for px in sizes)
    small = [px for px in sizes if px is not None and px < MIN_TEXT_PX - 0.05]
    if small:
        out.append(
            f"{page} at {width} px: {len(small)} of {len(sizes)} figure(s) with text under {MIN_TEXT_PX:g} px as "
            f"displayed (smallest {min(small):.1f} px)"
        )
    if unknown:
        out.append(f"{page} at {width} px: {unknown} figure(s) that do not record their text size (data-text-px)")
    tight = [p for p in m.get("padding", []) if p < MIN_CELL_PADDING]
    if tight:
        out.append(f"{page} at {width} px: {len(tight)} table cell(s) without padding (under {MIN_CELL_PADDING:g} px)")
    bare = sum(len(f["caption"]) < MIN_CAPTION for f in m["figures"])
    if bare:
        out.append(f"{page} at {width} px: {bare} of {len(m['figures'])} figure(s) without a caption sentence")
    return out


def check(html_dir: Path, screenshots: Path | None, root: Path = ROOT, log=print) -> list[str]:
    """Check every page; returns a list of problems (empty when the book is sound)."""
    html_dir = html_dir.resolve()
    problems: list[str] = []
    server = _serve(html_dir)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    driver = _driver()
    if screenshots:
        screenshots.mkdir(parents=True, exist_ok=True)
    try:
        for page in toc_pages(root):
            path = html_dir / page
            if not path.exists():
                problems.append(f"{page}: missing page")
                continue
            _open(driver, base + page, WIDTHS[0])
            info = driver.execute_script(_PAGE_JS)
            bad_imgs = [i["src"] for i in info["imgs"] if not i["ok"]]
            problems += [f"{page}: broken image {s}" for s in bad_imgs]
            if info["nmath"] and not info["mathjax"]:
                problems.append(f"{page}: MathJax did not load")
            problems += [f"{page}: unrendered math {r!r}" for r in info["raw"]]
            problems += [f"{page}: TeX source shown as text {t!r}" for t in info["tex"]]
            problems += [f"{page}: error output {e!r}" for e in info["errors"]]
            if info["traceback"]:
                problems.append(f"{page}: a traceback is shown")
            if info["stderr"]:
                problems.append(f"{page}: {info['stderr']} stderr block(s) on the page")
            if "executed/" in page and info["figures"] > info["drawn"]:
                problems.append(f"{page}: {info['figures']} figures but {info['drawn']} provenance lines")
            if page.endswith("executed/departures.html"):
                from igr_core.experiments.departures import every

                def plain(t: str) -> str:  # the page typesets quotes and may wrap: compare words
                    return " ".join(t.replace("\u2019", "'").replace("\u2018", "'").split())

                from igr_core.book.notation import words_between

                body = plain(driver.execute_script("return document.body.innerText"))
                problems += [  # the words of each reason (its notation is typeset, so read around it)
                    f"{page}: departure not listed: {d.chapter} / {d.what}"
                    for d in every()
                    if any(plain(w) not in body for w in words_between(d.reason))
                ]
            for href in info["links"]:
                problems += _check_link(html_dir, page, href)
            problems += static_problems(
                page, path.read_text(errors="ignore"), driver.execute_script("return document.body.innerText")
            )
            for width in WIDTHS:
                if width != WIDTHS[0]:
                    _open(driver, base + page, width)
                problems += layout_problems(page, driver.execute_script(_LAYOUT_JS))
                if screenshots:
                    driver.save_screenshot(str(screenshots / f"{Path(page).stem}-{width}.png"))
            log(f"checked {page}: {len(info['imgs'])} images, {info['nmjx']} math, {len(info['links'])} links")
    finally:
        driver.quit()
        server.shutdown()
    return problems


def _open(driver, url: str, width: int, height: int = 1600) -> None:
    """``url`` in a window ``width`` x ``height`` pixels, loaded and typeset (:func:`_wait`)."""
    driver.set_window_size(width, height)
    driver.get(url)
    _wait(driver)


def _wait(driver) -> None:
    """Until the page is loaded and MathJax (loaded only on pages with math) has typeset it."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
    driver.set_script_timeout(60)
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "if (typeof MathJax === 'undefined' || !MathJax.startup || !MathJax.startup.promise) { done(null); }"
        "else { MathJax.startup.promise.then(() => done(true), () => done(false)); }"
    )


FINDINGS_TITLE = "Findings (generated from the claims ledger)"
FINDINGS_PAGES = ("executed/intro.html", "executed/claims.html")
MACHINE_PATHS = ("/work/", "/home/", "/usr/share/", "/tmp/", "/root/", "/Users/")


class _Tables(__import__("html.parser").parser.HTMLParser):
    """Cell counts of every table row (header row first), from the page's HTML."""

    def __init__(self):
        super().__init__()
        self.tables, self._row = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = 0
        elif tag in ("td", "th") and self._row is not None:
            span = dict(attrs).get("colspan")
            self._row += int(span) if span and span.isdigit() else 1

    def handle_endtag(self, tag):
        if tag == "tr" and self._row is not None and self.tables:
            self.tables[-1].append(self._row)
            self._row = None


def parameter_names() -> set[str]:
    """Every chapter's parameter names that a reader could mistake for words (those with an
    underscore: ``learning_rate``, ``map_T``)."""
    from igr_core.experiments import registry

    return {n for ch in registry.CHAPTERS for n in ch.Params.defaults() if "_" in n}


_PROSE = re.compile(r"<p\b[^>]*>(.*?)</p>", re.S)
_CODE = re.compile(r'<code class="[^"]*literal[^"]*"><span class="pre">([^<]+)</span></code>')
# a parameter's name where its value belongs: after "=", "<", ">", "is", "at", "of", "up to" (h = `learning_rate`);
# a sentence that names a parameter as such (a departure: "`n_train`: stratified subsamples") is not one
_VALUE_PLACE = re.compile(
    r"(?:[=<>\u2264\u2265\u2248]|&lt;|&gt;|\b(?:is|at|of|to|equals))\s*(?:<[^>]+>\s*)*"
    r'<code class="[^"]*literal[^"]*"><span class="pre">([^<]+)</span></code>'
)
_CARD = re.compile(r'<div class="evidence(?: [^"]*)?"([^>]*)>')  # a card, not its list ("evidence-list")
_TABLE = re.compile(r"<table\b.*?</table>", re.S)  # a table's cells name parameters on purpose


def static_problems(page: str, html: str, text: str, names: set[str] | None = None) -> list[str]:
    """Checks on a page's HTML and text that need no layout: the findings box where it belongs,
    no table row with more or fewer cells than its header (a '|' read as a column separator), no
    absolute path of the machine that built the book, no parameter name in prose where its value
    belongs (``h = `learning_rate```; ``names`` default: :func:`parameter_names`), and every claim's
    evidence card with an anchor (a chapter that shows verdicts shows them on anchored cards)."""
    problems = []
    if page.endswith(FINDINGS_PAGES) and FINDINGS_TITLE not in text:
        problems.append(f"{page}: no findings box")
    parser = _Tables()
    parser.feed(html)
    for i, rows in enumerate(parser.tables):
        bad = [n for n in rows[1:] if rows and n != rows[0]]
        if bad:
            problems.append(f"{page}: table {i + 1} has {len(bad)} row(s) whose cell count differs from its header's")
    if LAYOUT_PROBLEM in text:
        problems.append(f"{page}: a figure's text overlaps (see '{LAYOUT_PROBLEM}' on the page)")
    for marker in MACHINE_PATHS:
        if marker in text:
            problems.append(f"{page}: an absolute machine path ({marker}...) is shown")
    names = parameter_names() if names is None else names
    prose = {c for para in _PROSE.findall(_TABLE.sub("", html)) for c in _VALUE_PLACE.findall(para) if c in names}
    if prose:
        problems.append(f"{page}: parameter name(s) in prose where a value belongs: {', '.join(sorted(prose))}")
    cards = _CARD.findall(html)
    unanchored = sum(" id=" not in attrs for attrs in cards)
    if unanchored:
        problems.append(f"{page}: {unanchored} claim(s) without an anchor (an evidence card with no id)")
    if "executed/0" in page and 'class="verdict verdict-' in html and not cards:
        problems.append(f"{page}: verdicts shown without anchored evidence cards")
    return problems


def _check_link(html_dir: Path, page: str, href: str) -> list[str]:
    if not href or href.startswith(("mailto:", "javascript:")):
        return []
    parsed = urlparse(href)
    if parsed.scheme in ("http", "https") or parsed.netloc:
        return []  # links out of the book are not followed offline
    target = urlparse(urljoin("http://x/" + page, href))
    file = html_dir / unquote(target.path.lstrip("/"))
    if file.is_dir():
        file = file / "index.html"
    if not file.exists():
        return [f"{page}: broken link {href}"]
    if target.fragment and file.suffix == ".html":
        text = file.read_text(errors="ignore")
        frag = unquote(target.fragment)
        if f'id="{frag}"' not in text and f"id='{frag}'" not in text and f'name="{frag}"' not in text:
            return [f"{page}: broken anchor {href}"]
    return []


def capture(html_dir: Path, out: Path, stems: list[str], widths=WIDTHS, log=print) -> list[Path]:
    """Full-height screenshots of chosen pages (found by file stem anywhere under ``html_dir``) at
    each width, named ``<stem>-<width>.png``: for comparing two builds of the book."""
    import base64

    html_dir = html_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    server = _serve(html_dir)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    driver = _driver()
    made = []
    try:
        for stem in stems:
            found = sorted(html_dir.rglob(f"{stem}.html"))
            if not found:
                log(f"no page {stem}.html under the build")
                continue
            page = found[0].relative_to(html_dir).as_posix()
            for width in widths:
                _open(driver, base + page, width)
                height = driver.execute_script("return document.documentElement.scrollHeight")
                shot = driver.execute_cdp_cmd(
                    "Page.captureScreenshot",
                    {
                        "format": "png",
                        "captureBeyondViewport": True,
                        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
                    },
                )
                made.append(out / f"{stem}-{width}.png")
                made[-1].write_bytes(base64.b64decode(shot["data"]))
    finally:
        driver.quit()
        server.shutdown()
    return made


CAPTURED = ["intro", "claims", "05_mnist", "06_resnet", "07_egr", "08_estimation", "09_optimizers"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m igr_core.book.checkbook")
    ap.add_argument("html", type=Path)
    ap.add_argument("--screenshots", type=Path, default=None)
    ap.add_argument("--capture", type=Path, default=None, help="only take screenshots of --pages into this folder")
    ap.add_argument("--pages", nargs="*", default=CAPTURED)
    args = ap.parse_args(argv)
    if args.capture:
        print("\n".join(str(p) for p in capture(args.html, args.capture, args.pages)))
        return 0
    problems = check(args.html, args.screenshots)
    if problems:
        print(f"{len(problems)} problem(s) in the built book:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    print(f"book OK: {len(toc_pages())} pages checked ({len(toc_notebooks())} executed notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
