"""Size and opening time of the library map at 1,000 and 10,000 tracks.

    python benchmarks/bench_library_map.py [--tracks 1000 10000] [--repeat 3]

For each size: synthetic classifier records (random quadrant probabilities, one error
record in a hundred) are written as a map by :func:`sk_deepsense.library.write_map` (tags
off: no audio is read), and the page is opened in headless Chromium (the distribution's
``chromium`` and ``chromedriver``, driven by selenium) from disk. Printed: seconds to
write the page, its size in MB, seconds from navigation until every point is drawn (the
median of ``--repeat`` openings, a fresh tab each), and seconds for the search to find one
track among all of them and ring it on the map (the box runs it 0.2 s after typing
pauses). Run it alone: other work on the machine slows the browser.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def records(n: int, seed: int = 0) -> list[dict]:
    """``n`` classifier records of made-up files, an error record every 100."""
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.full(4, 0.7), size=n)
    out = []
    for i, p in enumerate(proba):
        path = f"music/artist {i % 97}/track {i:05d}.mp3"
        if i % 100 == 99:
            out.append({"path": path, "error": f"Cannot load audio file {path!r}: damaged"})
            continue
        out.append(
            {
                "path": path,
                "label": f"Q{p.argmax() + 1}",
                "probabilities": {f"Q{k + 1}": round(float(x), 4) for k, x in enumerate(p)},
            }
        )
    return out


def browser(window: str = "1200,1000", *extra: str):
    """Start a headless Chromium driven by selenium (also tools/make_library_map_figure.py)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    options.add_argument(f"--window-size={window}")
    for arg in extra:
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def open_seconds(driver, page: Path, n_points: int) -> float:
    """Seconds from navigation until ``n_points`` markers are in the page."""
    driver.get("about:blank")
    t0 = time.perf_counter()
    driver.get(page.as_uri())  # returns once the document has loaded
    while True:
        drawn = driver.execute_script(
            "return document.querySelectorAll('#map .scatterlayer path.point').length"
        )
        if drawn >= n_points:
            return time.perf_counter() - t0
        if time.perf_counter() - t0 > 120:
            raise RuntimeError(f"only {drawn} of {n_points} points after 120 s")
        time.sleep(0.02)


def search_seconds(driver, text: str) -> float:
    """Seconds for the page's search to answer ``text`` and ring it (what the box runs)."""
    t0 = time.perf_counter()
    driver.execute_script("window.skDeepsense.search(arguments[0]);", text)
    found = driver.execute_script("return document.getElementById('found').textContent")
    seconds = time.perf_counter() - t0
    if found != "1 found":
        raise RuntimeError(f"search for {text!r} said {found!r}")
    return seconds


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracks", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from sk_deepsense.library import read_records, write_map

    driver = browser()
    try:
        print(f"{'tracks':>7} {'write s':>8} {'MB':>6} {'open s':>7} {'search s':>9}")
        with tempfile.TemporaryDirectory() as tmp:
            for n in args.tracks:
                lib = read_records(records(n))
                page = Path(tmp) / f"map{n}.html"
                t0 = time.perf_counter()
                write_map(lib, page, tags=False)
                write = time.perf_counter() - t0
                opened = [open_seconds(driver, page, len(lib.tracks)) for _ in range(args.repeat)]
                search = search_seconds(driver, "track 00042")
                print(
                    f"{len(lib.tracks):>7} {write:>8.2f} {page.stat().st_size / 1e6:>6.1f} "
                    f"{statistics.median(opened):>7.2f} {search:>9.3f}",
                    flush=True,
                )
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
