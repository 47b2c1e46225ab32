"""The library map in a real browser: headless Chromium from the distribution's packages.

Skipped, with the reason, where Chromium, its driver or selenium is missing (``.ci/run``
installs them: ``apt-get install chromium chromium-driver``).
"""

from __future__ import annotations

import os
import shutil
import time

import numpy as np
import pytest
import soundfile as sf

from sk_deepsense.cli import _records, main

pytest.importorskip("plotly", reason="the map needs plotly (pip install 'sk_deepsense[map]')")
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (the test extra)")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
if not (CHROMIUM and DRIVER):
    pytest.skip(
        "needs Chromium and its driver (apt-get install chromium chromium-driver; .ci/run "
        "installs them)",
        allow_module_level=True,
    )

#: generated clips: (name, label, probabilities of Q1..Q4)
CLIPS = [
    ("bright 1.wav", "Q1", [0.7, 0.1, 0.1, 0.1]),
    ("bright 2.wav", "Q1", [0.5, 0.3, 0.1, 0.1]),
    ("harsh.wav", "Q2", [0.2, 0.6, 0.1, 0.1]),
    ("dark 1.wav", "Q3", [0.0, 0.1, 0.8, 0.1]),
    ("dark 2.wav", "Q3", [0.1, 0.1, 0.6, 0.2]),
    ("soft 1.wav", "Q4", [0.1, 0.0, 0.2, 0.7]),
    ("soft 2.wav", "Q4", [0.2, 0.1, 0.1, 0.6]),
    ("<img src=x onerror=alert(1)>.wav", "Q4", [0.1, 0.1, 0.1, 0.7]),
]


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1200,1000",
        "--autoplay-policy=no-user-gesture-required",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    except Exception as exc:  # noqa: BLE001 - a broken install: say why and skip
        pytest.skip(f"Chromium did not start: {exc}")
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def library_page(tmp_path_factory):
    """A folder of generated clips, predict's records of them (one error), and their map."""
    root = tmp_path_factory.mktemp("library")
    music = root / "music"
    music.mkdir()
    records = []
    for i, (name, label, proba) in enumerate(CLIPS):
        t = np.arange(16000 * 2) / 16000
        sf.write(music / name, (0.2 * np.sin(2 * np.pi * (200 + 50 * i) * t)).astype("f4"), 16000)
        p = dict(zip(["Q1", "Q2", "Q3", "Q4"], proba, strict=True))
        records.append({"path": f"music/{name}", "label": label, "probabilities": p})
    records.append({"path": "music/missing.mp3", "error": "Cannot load audio file: missing"})
    with open(root / "music.jsonl", "w", encoding="utf-8", newline="") as f:
        writer = _records.RecordWriter(f, "jsonl")
        for record in records:
            writer.write(record)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        assert main(["map", "music.jsonl", "-o", "map.html", "-q"]) == 0
    finally:
        os.chdir(cwd)
    return root / "map.html", records


def _points(driver) -> int:
    """Markers drawn for tracks (the search's rings are another trace, named 'found')."""
    return driver.execute_script(
        "const gd = document.getElementById('map');"
        "let n = 0; gd.querySelectorAll('.scatterlayer .trace').forEach(function (g, k) {"
        "  if (gd._fullData[k].name !== 'found' && gd._fullData[k].visible === true) {"
        "    n += g.querySelectorAll('path.point').length; } });"
        "return n;"
    )


def _wait(predicate, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def _errors(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_map_in_chromium(browser, library_page, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    page, records = library_page
    n_tracks = sum("error" not in r for r in records)
    browser.get(page.as_uri())
    assert _wait(lambda: _points(browser) == n_tracks), _points(browser)
    assert browser.execute_script("return document.querySelectorAll('img').length") == 0
    errors = browser.find_element(By.ID, "errors")
    assert "music/missing.mp3" in errors.text and "1 file could not be predicted" in errors.text

    # the search box finds tracks by name and rings them
    box = browser.find_element(By.ID, "search")
    box.send_keys("DARK")  # the search runs once typing pauses (0.2 s)
    assert _wait(lambda: browser.find_element(By.ID, "found").text == "2 found")
    items = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#results li")]
    assert items == ["dark 1.wav (Q3)", "dark 2.wav (Q3)"]
    rings = browser.execute_script(
        "const gd = document.getElementById('map'); return gd.data[gd.data.length - 1].x.length"
    )
    assert rings == 2

    # a click on a point plays that track: its source is relative to the page and resolves
    index = 3  # dark 1.wav
    point = browser.execute_script(
        "const gd = document.getElementById('map');"
        "for (let k = 0; k < gd.data.length - 1; k++) {"
        "  const j = gd.data[k].customdata.indexOf(arguments[0]);"
        "  if (j >= 0) { return gd.querySelectorAll('.scatterlayer .trace')[k]"
        "    .querySelectorAll('path.point')[j]; } }",
        index,
    )
    ActionChains(browser).move_to_element(point).click().perform()
    audio = browser.find_element(By.ID, "audio")
    assert _wait(lambda: audio.get_dom_attribute("src"))
    assert audio.get_dom_attribute("src") == "music/dark%201.wav"  # as written in the page
    assert audio.get_property("src") == (page.parent / "music" / "dark 1.wav").as_uri()
    assert _wait(lambda: browser.execute_script("return document.getElementById('audio').duration")
                 == pytest.approx(2.0, abs=0.05))  # fmt: skip
    assert "dark 1.wav" in browser.find_element(By.ID, "now").text

    # the legend hides a label's points
    legend = browser.find_elements(By.CSS_SELECTOR, ".legend .traces")
    q4 = next(item for item in legend if item.text.startswith("Q4"))
    ActionChains(browser).move_to_element(q4).click().perform()
    assert _wait(lambda: _points(browser) == n_tracks - 3)

    browser.save_screenshot(str(tmp_path / "map.png"))  # looked at by hand (see the docs)
    assert (tmp_path / "map.png").stat().st_size > 10_000
    assert _errors(browser) == []


def test_moved_folder_keeps_playing(browser, library_page, tmp_path):
    page, _ = library_page
    moved = tmp_path / "moved"
    shutil.copytree(page.parent, moved)
    from selenium.webdriver.common.by import By

    browser.get((moved / page.name).as_uri())
    assert _wait(lambda: _points(browser) > 0)
    browser.find_element(By.ID, "search").send_keys("bright 1")
    assert _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#results li"))
    browser.find_element(By.CSS_SELECTOR, "#results li").click()  # a search result plays too
    src = browser.find_element(By.ID, "audio").get_property("src")
    assert src == (moved / "music" / "bright 1.wav").as_uri()
    assert _wait(lambda: browser.execute_script("return document.getElementById('audio').duration"))
    assert _errors(browser) == []


def test_map_stays_usable_with_many_tracks(browser, tmp_path):
    from sk_deepsense.library import read_records, write_map

    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(4), size=2000)
    lib = read_records(
        [
            {
                "path": f"/music/track {i}.mp3",
                "label": f"Q{p.argmax() + 1}",
                "probabilities": dict(zip(["Q1", "Q2", "Q3", "Q4"], p.tolist(), strict=True)),
            }
            for i, p in enumerate(proba)
        ]
    )
    page = write_map(lib, tmp_path / "big.html", tags=False)
    browser.get(page.as_uri())
    assert _wait(lambda: _points(browser) == 2000, timeout=30)
    from selenium.webdriver.common.by import By

    browser.find_element(By.ID, "search").send_keys("track 1999")
    assert _wait(lambda: browser.find_element(By.ID, "found").text == "1 found")
    assert _errors(browser) == []
