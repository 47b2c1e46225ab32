"""Make the screenshot of docs/library.rst: a real library predicted, mapped, in Chromium.

    python tools/make_library_map_figure.py MODEL.skds ../shared/data docs/_static/library_map.png

Predicts the recordings of the data folder that are outside ``4q-dev`` (the emoMusic and
PMEmo samples, the full-length tracks of ``music-unlabeled``) with ``sk-deepsense predict``,
maps them with ``sk-deepsense map`` in a temporary folder, opens the page in headless
Chromium (the distribution's ``chromium`` and ``chromedriver``, through selenium), searches
for a track so that the page shows its search, clicks the surest calm track so the player
shows it, and saves the screenshot. The docs used the recommended model trained on the 400
clips of ``4q-dev``: ``sk-deepsense train --dataset 4q --data-dir ../shared/data/4q-dev
-o MODEL.skds --seed 0``. Nothing of the data folder is copied into the repository.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main(argv=None) -> None:
    """Predict, map and screenshot (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("data", type=Path, help="the shared data folder")
    parser.add_argument("output", type=Path, help="the PNG to write")
    args = parser.parse_args(argv)

    files = sorted(
        str(p)
        for sub in ("emomusic-sample", "pmemo-sample", "music-unlabeled")
        for p in (args.data / sub).rglob("*")
        if p.suffix.lower() in (".mp3", ".ogg", ".wav", ".flac")
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cli = [sys.executable, "-m", "sk_deepsense"]
        predict = [*cli, "predict", str(args.model.resolve()), *files, "--format", "jsonl"]
        subprocess.run([*predict, "-o", "music.jsonl", "-q"], cwd=work, check=False)
        subprocess.run([*cli, "map", "music.jsonl", "--title", "A real library"], cwd=work,
                       check=True)  # fmt: skip
        shot(work / "music.html", args.output)
    print(f"{args.output}: {len(files)} files")


def shot(page: Path, output: Path) -> None:
    """Open ``page`` in headless Chromium, search, play the surest calm track, screenshot."""
    from selenium.webdriver.common.by import By

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from bench_library_map import browser  # one way to start Chromium

    driver = browser("1100,1000", "--hide-scrollbars")
    try:
        driver.get(page.as_uri())
        time.sleep(2)
        driver.find_element(By.ID, "search").send_keys("frontiers")
        calm = driver.execute_script(
            "let best = -1, p = -1; TRACKS.forEach(function (t, i) {"
            "  if (t.label === 'Q4' && t.confidence > p) { best = i; p = t.confidence; } });"
            "return best;"
        )
        if calm >= 0:  # hover it, and play it as a click does
            driver.execute_script(
                "const gd = document.getElementById('map');"
                "for (let k = 0; k < gd.data.length - 1; k++) {"
                "  const j = gd.data[k].customdata.indexOf(arguments[0]);"
                "  if (j >= 0) { Plotly.Fx.hover(gd, [{curveNumber: k, pointNumber: j}]);"
                "    gd.emit('plotly_click', {points: [{curveNumber: k, customdata:"
                "      arguments[0]}]}); } }",
                calm,
            )
        time.sleep(1)
        output.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(output))
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
