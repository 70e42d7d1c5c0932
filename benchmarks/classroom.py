"""The browser classroom's time to ready and transfer size, and its screenshots.

    make site
    .venv/bin/python benchmarks/classroom.py                 # site/ by default
    .venv/bin/python benchmarks/classroom.py --runs 5 --screenshots docs/images

serves the built site on 127.0.0.1 (every other request aborted and counted), opens
each lesson's link in a fresh headless Chromium context (an empty cache, as a student's
first visit) and prints, per lesson, the seconds from opening the page to
``<html data-ready="1">`` (Python, chainrule and the lesson drawn) and the bytes the
page fetched, as served (no compression) and as gzip would send them.  Chromium is
Debian's /usr/bin/chromium (CHAINRULE_CHROMIUM), driven by Playwright.

``--screenshots DIR`` also writes the four lessons at 1280x800, in the state a class
would see them: a backward step of the expression stepper, the network stepper's quiz,
moons after some training, a digit drawn on the pad.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

from chainrule.play_cmd import serve  # noqa: E402

LESSONS = {
    "expression": "?expr=tanh(x*w%2Bb)&x=2&w=-3&b=6.88",
    "network": "?net=2,3,1&input=1,-2&target=0.5&activation=tanh&seed=0",
    "training": "?train=moons",
    "digits": "?digits",
}
VIEWPORT = {"width": 1280, "height": 800}


def open_lesson(browser, base: str, link: str):
    """A fresh context (no cache) on ``link``; returns (page, seconds to ready, files)."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    fetched, outside, errors = [], [], []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def route(request_route):
        url = request_route.request.url
        if url.startswith(base):
            fetched.append(url)
            request_route.continue_()
        else:
            outside.append(url)
            request_route.abort()

    page.route("**/*", route)
    page.goto(base + "play/" + link)
    page.wait_for_selector("html[data-ready='1']", timeout=120_000)
    seconds = page.evaluate("window.classroom.readyAt") / 1000
    if outside or errors:
        raise SystemExit(f"benchmarks/classroom.py: {link}: requests left 127.0.0.1 "
                         f"{outside[:3]} or page errors {errors[:2]}")
    return page, seconds, fetched


def sizes(site: Path, base: str, urls: list) -> tuple:
    """(bytes as served, bytes gzipped) of the files behind ``urls``."""
    raw = packed = 0
    for url in set(urls):
        path = unquote(urlsplit(url).path)
        file = site / path.lstrip("/")
        if file.is_dir():
            file = file / "index.html"
        data = file.read_bytes()
        raw += len(data)
        packed += len(gzip.compress(data, compresslevel=6))
    return raw, packed


def screenshots(browser, base: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    page, _, _ = open_lesson(browser, base, LESSONS["expression"])
    stepper = page.frame_locator("#stepper")
    for _ in range(7):                           # into the backward pass
        if stepper.locator("#next").is_enabled():
            stepper.locator("#next").click()
    page.wait_for_timeout(300)
    page.screenshot(path=str(folder / "classroom-expression.png"))
    page.context.close()

    page, _, _ = open_lesson(browser, base, LESSONS["network"])
    stepper = page.frame_locator("#stepper")
    stepper.locator("#quiz-toggle").check()
    for _ in range(30):
        if stepper.locator("#quiz").is_visible() or not stepper.locator("#next").is_enabled():
            break
        stepper.locator("#next").click()
    page.wait_for_timeout(300)
    page.screenshot(path=str(folder / "classroom-network.png"))
    page.context.close()

    page, _, _ = open_lesson(browser, base, LESSONS["training"])
    page.click("#train-run")
    page.wait_for_function("parseInt(document.querySelector('[data-train]').dataset.step) >= 150",
                           timeout=120_000)
    page.click("#train-run")
    page.wait_for_timeout(300)
    page.screenshot(path=str(folder / "classroom-training.png"))
    page.context.close()

    page, _, _ = open_lesson(browser, base, LESSONS["digits"])
    box = page.locator("#pad").bounding_box()
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + 90, y0 + 70)            # a 7: the bar, then the stroke down
    page.mouse.down()
    for k in range(1, 21):
        page.mouse.move(x0 + 90 + 5 * k, y0 + 70 + (k % 3) * 0.5)
    for k in range(1, 26):
        page.mouse.move(x0 + 190 - 3.2 * k, y0 + 70 + 7.5 * k)
    page.mouse.up()
    page.wait_for_function("document.querySelector('#digit-answer').dataset.value !== ''")
    page.wait_for_timeout(300)
    page.screenshot(path=str(folder / "classroom-digits.png"))
    page.context.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument("--runs", type=int, default=3, help="page loads per lesson")
    parser.add_argument("--screenshots", type=Path, metavar="DIR")
    args = parser.parse_args(argv)
    if not (args.site / "play" / "index.html").is_file():
        raise SystemExit(f"benchmarks/classroom.py: {args.site}/play/ is missing: run "
                         "`make site` first")
    from playwright.sync_api import sync_playwright
    httpd = serve(args.site, 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print(f"{'lesson':<11} {'ready (s), median of ' + str(args.runs):>24} "
              f"{'fetched':>10} {'gzipped':>10}")
        for name, link in LESSONS.items():
            times, fetched = [], []
            for _ in range(args.runs):
                page, seconds, fetched = open_lesson(browser, base, link)
                times.append(seconds)
                page.context.close()
            raw, packed = sizes(args.site, base, fetched)
            print(f"{name:<11} {statistics.median(times):>10.1f} "
                  f"(min {min(times):.1f}, max {max(times):.1f})  "
                  f"{raw / 1e6:>7.1f} MB {packed / 1e6:>7.1f} MB")
        if args.screenshots:
            started = time.monotonic()
            screenshots(browser, base, args.screenshots)
            print(f"wrote 4 screenshots to {args.screenshots} in "
                  f"{time.monotonic() - started:.0f} s")
        browser.close()
    httpd.shutdown()


if __name__ == "__main__":
    main()
