"""The built documentation site, seen in a real browser (marker ``browser``; CI runs it after building the site).

Serves ``docs/_build/html`` with Python's http.server on 127.0.0.1 (a free port) and opens the home page, one
family page, the gallery and one tutorial in headless Chromium: the Debian package ``/usr/bin/chromium``
(``COLLAPSE_CHROMIUM`` overrides the path) driven by Playwright, with networking features off and a fresh
profile; nothing is downloaded at run time (Playwright's own browsers are never installed or used). Each page
must load with no console error and no failed request, show its figures (every ``<img>`` decoded, with a
non-zero natural size) and, where it has maths, the maths typeset by the locally served MathJax
(``mjx-container`` elements, and no request leaves 127.0.0.1). Screenshots go to ``test-artifacts/``
(``COLLAPSE_ARTIFACTS`` overrides it).

Build first: ``python3 -m sphinx -W --keep-going -b html docs docs/_build/html``.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "docs" / "_build" / "html"
ARTIFACTS = Path(os.environ.get("COLLAPSE_ARTIFACTS", ROOT / "test-artifacts"))
CHROMIUM = os.environ.get("COLLAPSE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# (page, screenshot name, how many figures at least, whether the page has typeset maths)
PAGES = [
    ("index.html", "home", 1, True),
    ("ridge_mixture.html", "family-ridge", 1, False),
    ("generated/gallery.html", "gallery", None, False),
    ("tutorials/ridge_mixture.html", "tutorial-ridge", 1, True),
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test reports failures itself
        pass


@pytest.fixture(scope="module")
def server():
    if not (SITE / "index.html").exists():
        pytest.fail(f"the site is not built: {SITE}/index.html is missing (run sphinx-build first)")
    handler = functools.partial(_Quiet, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    profile = tempfile.mkdtemp(prefix="collapse-chromium-")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=ARGS,
                                                       viewport={"width": 1280, "height": 900})
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


def _gallery_size() -> int:
    from model_collapse.figures import registry

    return len(registry())


@pytest.mark.parametrize(("page", "name", "figures", "maths"), PAGES, ids=[p[1] for p in PAGES])
def test_page_renders_in_chromium(server, browser, page, name, figures, maths):
    tab = browser.new_page()
    errors, failed, foreign = [], [], []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("requestfailed", lambda req: failed.append(req.url))
    tab.on("response", lambda res: failed.append(f"{res.status} {res.url}") if res.status >= 400 else None)
    tab.on("request", lambda req: foreign.append(req.url)
           if urlparse(req.url).hostname not in ("127.0.0.1", None) and not req.url.startswith("data:") else None)
    response = tab.goto(server + page, wait_until="load")
    assert response is not None and response.ok, f"{page}: HTTP {response.status if response else 'none'}"
    if maths:
        tab.wait_for_selector("mjx-container", timeout=20_000)
    tab.wait_for_load_state("networkidle")
    images = tab.eval_on_selector_all(
        "article img", "els => els.map(e => ({src: e.currentSrc, ok: e.complete && e.naturalWidth > 0}))")
    want = _gallery_size() if figures is None else figures
    assert len(images) >= want, f"{page}: {len(images)} figures, expected at least {want}"
    broken = [im["src"] for im in images if not im["ok"]]
    assert not broken, f"{page}: figures that did not load: {broken}"
    if maths:
        n_math = tab.eval_on_selector_all("mjx-container", "els => els.length")
        raw = tab.eval_on_selector_all("article .math", "els => els.filter(e => !e.querySelector('mjx-container'))"
                                                        ".map(e => e.textContent.slice(0, 60))")
        assert n_math > 0 and not raw, f"{page}: maths not typeset ({n_math} rendered; raw: {raw[:3]})"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{name}.png"
    tab.screenshot(path=str(shot), full_page=name != "gallery")
    tab.close()
    assert shot.stat().st_size > 10_000
    assert not failed, f"{page}: failed requests: {failed}"
    assert not errors, f"{page}: console errors: {errors}"
    assert not foreign, f"{page}: requests leaving the machine: {foreign}"
