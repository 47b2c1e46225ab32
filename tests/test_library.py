"""A predicted library as a map and as mood playlists: records, geometry, files, commands."""

from __future__ import annotations

import io
import json
import math
import os
import stat
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sk_deepsense.cli import _records, main
from sk_deepsense.cli.predict import format_records
from sk_deepsense.exceptions import RecordsFileError
from sk_deepsense.library import (
    QUADRANT_CENTRES,
    quadrant_position,
    read_records,
    select_tracks,
    track_info,
    write_map,
    write_playlist,
)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _p(q1, q2, q3, q4):
    return {"Q1": q1, "Q2": q2, "Q3": q3, "Q4": q4}


#: a classifier's records: (name, label, probabilities); one error record in the middle
CLF = [
    ("calm a.wav", "Q4", _p(0.05, 0.05, 0.2, 0.7)),
    ("calm b.wav", "Q4", _p(0.0, 0.0, 0.1, 0.9)),
    ("sad.wav", "Q3", _p(0.0, 0.1, 0.8, 0.1)),
    ("happy.wav", "Q1", _p(0.6, 0.2, 0.0, 0.2)),
    ("tense.wav", "Q2", _p(0.3, 0.7, 0.0, 0.0)),
]


def _wav(path: Path, seconds: float = 2.0, sr: int = 8000) -> None:
    t = np.arange(int(seconds * sr)) / sr
    sf.write(os.fsencode(path), (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sr)


@pytest.fixture
def clf_library(tmp_path):
    """Real audio files in music/ and their classifier records (relative paths) as JSONL."""
    music = tmp_path / "music"
    music.mkdir()
    records = []
    for i, (name, label, proba) in enumerate(CLF):
        _wav(music / name, seconds=2.0 + i)
        records.append({"path": f"music/{name}", "label": label, "probabilities": proba})
        if i == 2:
            records.append({"path": "music/broken.mp3", "error": "Cannot load ...: not audio"})
    path = tmp_path / "music.jsonl"
    _write_jsonl(path, records)
    return path, records


def _write_jsonl(path: Path, records) -> None:
    """Write records as `predict --format jsonl` does (the command's own writer)."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = _records.RecordWriter(f, "jsonl")
        for record in records:
            writer.write(record)
        writer.close()


def _write_csv(path: Path, records) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = _records.RecordWriter(f, "csv", escapes=_records.needs_escapes(
            r["path"] for r in records))  # fmt: skip
        for record in records:
            writer.write(record)
        writer.close()


# ------------------------------------------------------------------------------ geometry
def test_quadrant_position_is_the_probability_weighted_mean_of_the_centres():
    assert quadrant_position(_p(1, 0, 0, 0)) == QUADRANT_CENTRES["Q1"] == (0.5, 0.5)
    assert quadrant_position(_p(0, 0, 1, 0)) == (-0.5, -0.5)
    assert quadrant_position(_p(0.25, 0.25, 0.25, 0.25)) == (0.0, 0.0)
    # Q1 and Q4 share positive valence and differ in arousal: a tie has no arousal
    assert quadrant_position(_p(0.5, 0, 0, 0.5)) == (0.0, 0.5)
    a, v = quadrant_position(_p(0.1, 0.2, 0.3, 0.4))
    assert a == pytest.approx(0.5 * (0.1 + 0.2 - 0.3 - 0.4))
    assert v == pytest.approx(0.5 * (0.1 - 0.2 - 0.3 + 0.4))
    # probabilities that do not sum to 1 are normalised; other classes take given centres
    assert quadrant_position({"Q1": 2.0, "Q3": 2.0}) == (0.0, 0.0)
    assert quadrant_position({"up": 1.0, "down": 3.0}, {"up": (1, 0), "down": (-1, 0)}) == (
        -0.5,
        0.0,
    )


@pytest.mark.parametrize(
    "proba, match",
    [
        ({"happy": 0.9, "Q1": 0.1}, "class 'happy' has no place"),
        ({"Q1": float("nan")}, "not a finite number"),
        ({"Q1": -0.1, "Q2": 1.1}, "not a finite number >= 0"),
        ({"Q1": 0.0, "Q2": 0.0}, "sum to zero"),
    ],
)
def test_quadrant_position_refuses_what_it_cannot_place(proba, match):
    with pytest.raises(ValueError, match=match):
        quadrant_position(proba)


# ------------------------------------------------------------------------------- reading
def test_jsonl_records_become_tracks_errors_and_positions(clf_library, tmp_path):
    path, records = clf_library
    lib = read_records(path, base=tmp_path)
    assert lib.kind == "classifier" and lib.source == str(path)
    assert [t.path for t in lib.tracks] == [f"music/{name}" for name, _, _ in CLF]
    assert all(t.file == tmp_path / t.path for t in lib.tracks)
    assert [t.line for t in lib.tracks] == [1, 2, 3, 5, 6]  # the error record is line 4
    assert [(e.path, e.line) for e in lib.errors] == [("music/broken.mp3", 4)]
    assert "not audio" in lib.errors[0].error
    assert lib.classes == ("Q4", "Q3", "Q1", "Q2")
    for track, (_, label, proba) in zip(lib.tracks, CLF, strict=True):
        assert track.label == label and track.confidence == proba[label]
        assert (track.arousal, track.valence) == pytest.approx(quadrant_position(proba))


def test_csv_records_read_as_the_same_tracks(clf_library, tmp_path):
    path, records = clf_library
    csv_path = tmp_path / "music.csv"
    _write_csv(csv_path, records)
    from_csv, from_jsonl = read_records(csv_path, base=tmp_path), read_records(path, base=tmp_path)
    assert from_csv.kind == from_jsonl.kind
    assert [(t.path, t.label, t.probabilities, t.line) for t in from_csv.tracks] == [
        (t.path, t.label, t.probabilities, t.line + 1)
        for t in from_jsonl.tracks  # header
    ]
    assert [e.path for e in from_csv.errors] == [e.path for e in from_jsonl.errors]


def test_a_json_array_as_predict_writes_it_reads_as_the_same_tracks(clf_library, tmp_path):
    path, records = clf_library
    json_path = tmp_path / "music.json"
    json_path.write_text(format_records(records, "json"), encoding="utf-8")
    assert json_path.read_text(encoding="utf-8").startswith("[\n  {")  # indented, one array
    from_json, from_jsonl = (
        read_records(json_path, base=tmp_path),
        read_records(path, base=tmp_path),
    )
    assert from_json.kind == from_jsonl.kind
    assert [(t.path, t.label, t.probabilities) for t in from_json.tracks] == [
        (t.path, t.label, t.probabilities) for t in from_jsonl.tracks
    ]
    assert [e.path for e in from_json.errors] == [e.path for e in from_jsonl.errors]
    # each record keeps the line where it starts, for error messages
    lines = json_path.read_text(encoding="utf-8").splitlines()
    for track in from_json.tracks + from_json.errors:
        assert lines[track.line - 1] == "  {"
        assert f'"path": "{track.path}"' in lines[track.line]
    compact = tmp_path / "compact.json"  # any layout: one line, no spaces
    compact.write_text(json.dumps(records, separators=(",", ":")), encoding="utf-8")
    assert len(read_records(compact).tracks) == len(from_json.tracks)


@pytest.mark.parametrize(
    "text, reason",
    [
        ('[\n{"path": "a.wav", "label": "Q1"},\n{"path": "b.wav", "lab', "line 3 is not a JSON"),
        ('[{"path": "a.wav", "label": "Q1"}\n{"path": "b.wav"}]', "line 2: the JSON array is cut"),
        ('[{"path": "a.wav", "label": "Q1"},\n 7]', "line 2 is not a JSON object"),
        ('[{"path": "a.wav", "label": "Q1"}]\nrm -rf', "line 2: text after the end"),
        ('[{"path": "a.wav", "label": "Q1"},\n{"label": "Q2"}]', "line 2: it has no 'path'"),
        ("[]", "it holds no record"),
        ('[{"path": "a.wav", "arousal": NaN, "valence": 0}]', "NaN is not a number"),
    ],
)
def test_a_damaged_json_array_is_refused_naming_the_line(tmp_path, text, reason):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RecordsFileError, match=reason) as info:
        read_records(path)
    assert str(path) in str(info.value)


def test_relative_paths_are_relative_to_the_current_folder_by_default(clf_library, monkeypatch):
    path, _ = clf_library
    monkeypatch.chdir(path.parent)
    assert read_records(path.name).tracks[0].file == path.parent / "music" / "calm a.wav"


def test_regressor_records_are_labelled_by_their_quadrant(tmp_path):
    records = [
        {"path": "/m/a.wav", "arousal": 0.6, "valence": -0.2, "start": 0.0, "end": 30.0},
        {"path": "/m/b.wav", "arousal": -0.3, "valence": 0.4, "windows": 1},
        {"path": "/m/c.wav", "error": "Cannot load ..."},
    ]
    lib = read_records(records)
    assert lib.kind == "regressor" and lib.source == "<records>"
    assert [(t.label, t.arousal, t.valence, t.confidence) for t in lib.tracks] == [
        ("Q2", 0.6, -0.2, None),
        ("Q4", -0.3, 0.4, None),
    ]
    assert len(lib.errors) == 1


def test_an_escaped_name_is_read_back_to_the_real_file_name(tmp_path):
    name = os.fsdecode(b"caf\xe9 \xff.wav")  # Latin-1 bytes: not UTF-8
    records = [{"path": str(tmp_path / name), "label": "Q1", "probabilities": _p(1, 0, 0, 0)}]
    path = tmp_path / "r.jsonl"
    _write_jsonl(path, records)
    assert '"path_escaped": true' in path.read_text(encoding="utf-8")
    assert read_records(path).tracks[0].file == tmp_path / name


@pytest.mark.parametrize(
    "lines, reason",
    [
        (['{"path": "a.wav", "label": "Q1"}', "{not json"], "line 2 is not a JSON record"),
        (['["a.wav", "Q1"]'], "line 1 is not a JSON object"),
        (['{"label": "Q1"}'], "line 1: it has no 'path'"),
        (['{"path": "a.wav", "arousal": NaN, "valence": 0}'], "NaN is not a number"),
        (['{"path": "a.wav", "arousal": "high", "valence": 0}'], "arousal is 'high'"),
        (['{"path": "a.wav", "arousal": true, "valence": 0}'], "arousal is True"),
        (['{"path": "a.wav", "label": "Q1", "probabilities": {"Q1": 1.5}}'], "outside"),
        (['{"path": "a.wav", "label": "Q1", "probabilities": []}'], "not an object"),
        (['{"path": "a.wav", "start": 0}'], "neither a label, targets, nor an error"),
        (
            ['{"path": "a.wav", "label": "Q1"}', '{"path": "b.wav", "arousal": 1, "valence": 0}'],
            "line 2 is a regressor's record but line 1 a classifier's",
        ),
        (['{"path": "a.wav", "error": "Cannot load"}'], "all 1 records are error records"),
        ([""], "it holds no record"),
        (["[" * 100_000 + "]" * 100_000], "line 1 is nested too deeply"),  # a JSON array
        (['{"path": "a.wav", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"], "nested too deeply"),
        (['{"path": "a.wav", "arousal": 1e999, "valence": 0}'], "not a finite number"),
    ],
)
def test_bad_records_files_are_refused_naming_the_file_and_line(tmp_path, lines, reason):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RecordsFileError, match=reason) as info:
        read_records(path)
    assert info.value.path == str(path) and str(path) in str(info.value)


def test_a_records_file_that_is_not_utf8_or_a_broken_csv_is_refused(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"path": "caf\xe9.wav", "label": "Q1"}\n')
    with pytest.raises(RecordsFileError, match="not UTF-8"):
        read_records(path)
    path = tmp_path / "short.csv"
    path.write_text("path,label,p_Q1\na.wav,Q1,0.5\nb.wav,Q1\n", encoding="utf-8")
    with pytest.raises(RecordsFileError, match="line 3 has 2 cells where the header has 3"):
        read_records(path)
    path.write_text("file,label\na.wav,Q1\n", encoding="utf-8")
    with pytest.raises(RecordsFileError, match="'path' column"):
        read_records(path)


# ----------------------------------------------------------------------------- selecting
def test_label_keeps_that_label_surest_first(clf_library, tmp_path):
    lib = read_records(clf_library[0], base=tmp_path)
    chosen = select_tracks(lib, label="Q4")
    assert [t.path for t in chosen] == ["music/calm b.wav", "music/calm a.wav"]  # 0.9, 0.7
    assert [t.path for t in select_tracks(lib, label="Q4", n=1)] == ["music/calm b.wav"]
    assert select_tracks(lib, label="Q4", min_confidence=0.8) == chosen[:1]


def test_near_orders_by_distance_on_the_plane(clf_library, tmp_path):
    lib = read_records(clf_library[0], base=tmp_path)
    point = (-0.5, 0.5)  # calm
    chosen = select_tracks(lib, near=point)
    distances = [math.hypot(t.arousal - point[0], t.valence - point[1]) for t in chosen]
    assert distances == sorted(distances) and len(chosen) == len(CLF)
    assert chosen[0].path == "music/calm b.wav"  # (-0.45, 0.4): the surest calm track
    assert chosen[0].arousal == pytest.approx(-0.5 * (0.1 + 0.9))
    assert chosen[-1].label in ("Q1", "Q2")  # the far side of the plane
    # with a label: that label's tracks, by distance
    assert [t.label for t in select_tracks(lib, label="Q3", near=(0.5, 0.5))] == ["Q3"]


def test_selection_errors_say_why(clf_library, tmp_path):
    lib = read_records(clf_library[0], base=tmp_path)
    with pytest.raises(ValueError, match=r"'calm' is not a label.*\['Q1', 'Q2', 'Q3', 'Q4'\]"):
        select_tracks(lib, label="calm")
    with pytest.raises(ValueError, match="min_confidence must be in"):
        select_tracks(lib, label="Q4", min_confidence=2)
    with pytest.raises(ValueError, match="n must be an integer"):
        select_tracks(lib, label="Q4", n=0)
    reg = read_records([{"path": "/a.wav", "arousal": 0.1, "valence": 0.1}])
    with pytest.raises(ValueError, match="needs the model's class probabilities"):
        select_tracks(reg, min_confidence=0.5)
    other = read_records([{"path": "/a.wav", "label": "happy", "probabilities": {"happy": 1.0}}])
    assert other.tracks[0].arousal is None
    with pytest.raises(ValueError, match="no arousal-valence position"):
        select_tracks(other, near=(0, 0))
    placed = read_records(
        [{"path": "/a.wav", "label": "happy", "probabilities": {"happy": 1.0}}],
        centres={"happy": (0.4, 0.6)},
    )
    assert (placed.tracks[0].arousal, placed.tracks[0].valence) == (0.4, 0.6)


# ----------------------------------------------------------------------------- playlists
def _entries(m3u: Path) -> list[tuple[str, str]]:
    lines = m3u.read_bytes().decode("utf-8", "surrogateescape").splitlines()
    assert lines[0] == "#EXTM3U"
    return list(zip(lines[1::2], lines[2::2], strict=True))


def test_playlist_paths_play_from_the_playlists_folder(clf_library, tmp_path):
    lib = read_records(clf_library[0], base=tmp_path)
    (tmp_path / "lists").mkdir()
    m3u = tmp_path / "lists" / "calm.m3u"
    written = write_playlist(select_tracks(lib, label="Q4"), m3u)
    assert [t.path for t in written] == ["music/calm b.wav", "music/calm a.wav"]
    entries = _entries(m3u)
    assert [p for _, p in entries] == ["../music/calm b.wav", "../music/calm a.wav"]
    for info, rel in entries:
        y, sr = sf.read(m3u.parent / rel)  # the file plays from the playlist's folder
        assert info == f"#EXTINF:{round(len(y) / sr)},{Path(rel).stem}"  # length from header
    m3u.unlink()
    write_playlist(written, m3u, absolute=True)
    assert [p for _, p in _entries(m3u)] == [str(t.file) for t in written]


def test_playlist_titles_come_from_the_tags(tmp_path):
    mutagen = pytest.importorskip("mutagen")
    path = tmp_path / "tagged.flac"
    _wav(path, seconds=3.0)
    tags = mutagen.File(path, easy=True)
    tags["title"], tags["artist"] = "Night\nSong", "The Band"  # a newline in a tag
    tags.save()
    assert track_info(path).title == "Night Song"
    lib = read_records([{"path": str(path), "label": "Q4", "probabilities": _p(0, 0, 0, 1)}])
    m3u = tmp_path / "t.m3u"
    write_playlist(lib.tracks, m3u)
    assert _entries(m3u) == [("#EXTINF:3,The Band - Night Song", "tagged.flac")]


def test_playlist_keeps_non_utf8_names_as_bytes_and_leaves_out_line_breaks(tmp_path):
    odd = os.fsdecode(b"caf\xe9.wav")
    for name in (odd, "two\nlines.wav"):
        _wav(tmp_path / name)
    lib = read_records(
        [
            {"path": str(tmp_path / n), "label": "Q1", "probabilities": _p(1, 0, 0, 0)}
            for n in (odd, "two\nlines.wav")
        ]
    )
    m3u = tmp_path / "odd.m3u"
    written = write_playlist(lib.tracks, m3u)
    assert [t.path for t in written] == [str(tmp_path / odd)]
    assert m3u.read_bytes().split(b"\n")[2] == b"caf\xe9.wav"  # the file's own bytes
    assert os.path.exists(os.fsencode(tmp_path) + b"/" + m3u.read_bytes().split(b"\n")[2])
    assert m3u.read_bytes().split(b"\n")[1] == b"#EXTINF:2,caf\xe9"  # its length was read


def test_playlist_never_replaces_a_file_without_asking(clf_library, tmp_path):
    lib = read_records(clf_library[0], base=tmp_path)
    m3u = tmp_path / "mine.m3u"
    m3u.write_text("my own playlist\n")
    m3u.chmod(0o640)
    with pytest.raises(FileExistsError, match="already exists"):
        write_playlist(lib.tracks, m3u)
    assert m3u.read_text() == "my own playlist\n"
    write_playlist(lib.tracks, m3u, overwrite=True)
    assert m3u.read_text().startswith("#EXTM3U") and stat.S_IMODE(m3u.stat().st_mode) == 0o640
    assert not list(tmp_path.glob(".mine.m3u.*"))  # no temporary file left


def test_new_files_get_the_users_mode_not_a_private_one(clf_library, tmp_path):
    lib = read_records(clf_library[0], base=tmp_path)
    old = os.umask(0o022)
    try:
        write_playlist(lib.tracks, tmp_path / "new.m3u")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.m3u").stat().st_mode) == 0o644


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_tags_are_read_from_regular_files_only(tmp_path):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)  # opening it for reading would block forever
    assert track_info(fifo) == track_info(tmp_path) == track_info(tmp_path / "missing.wav")
    assert track_info(fifo).duration is None


# ----------------------------------------------------------------------------------- map
HOSTILE = "</script><img src=x onerror=alert(1)>.wav"


def _external_resources(page: str) -> list[str]:
    """The src/href of the page's tags (script bodies are not parsed as tags)."""
    from html.parser import HTMLParser

    found = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend(v for k, v in attrs if k in ("src", "href") and v)

    Parser().feed(page)
    return found


def test_map_is_one_offline_page_with_relative_sources_and_escaped_names(tmp_path):
    pytest.importorskip("plotly")
    music = tmp_path / "music"
    music.mkdir()
    names = [
        "a b.wav",
        HOSTILE.replace("/", "_"),
        "javascript:alert(1).wav",
        os.fsdecode(b"\xff.wav"),
    ]
    for name in names:
        _wav(music / name)
    records = [
        {"path": f"music/{n}", "label": f"Q{i % 4 + 1}", "probabilities": _p(*np.eye(4)[i % 4])}
        for i, n in enumerate(names)
    ]
    records.append({"path": "music/<b>bad</b>.mp3", "error": "Cannot load <b>: x"})
    lib = read_records(records, base=tmp_path)
    out = write_map(lib, tmp_path / "map.html", tags=False)
    text = out.read_text(encoding="utf-8")
    assert not _external_resources(text)  # plotly.js inlined: nothing to fetch
    assert text.count("</script>") == text.count("<script")  # nothing closes a script early
    assert "<img src=x" not in text and "<b>bad</b>" not in text
    assert "&lt;b&gt;bad&lt;/b&gt;" in text  # the error record, listed and escaped
    data = json.loads(text.split("const TRACKS = ", 1)[1].split(";\n</script>", 1)[0])
    assert [d["src"] for d in data] == [
        "music/a%20b.wav",
        "music/%3C_script%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.wav",
        "music/javascript%3Aalert%281%29.wav",  # a relative path, never a javascript: URL
        "music/%FF.wav",  # the file's own bytes
    ]
    assert [d["name"] for d in data][-1] == "\\xff.wav"  # shown escaped, as predict writes it


def test_map_refuses_to_overwrite_and_to_place_unknown_classes(clf_library, tmp_path):
    pytest.importorskip("plotly")
    lib = read_records(clf_library[0], base=tmp_path)
    page = tmp_path / "page.html"
    page.write_text("mine")
    with pytest.raises(FileExistsError):
        write_map(lib, page)
    assert page.read_text() == "mine"
    other = read_records([{"path": "/a.wav", "label": "happy", "probabilities": {"happy": 1.0}}])
    with pytest.raises(ValueError, match="no arousal-valence position"):
        write_map(other, tmp_path / "other.html")


def test_map_without_plotly_names_the_extra(clf_library, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "plotly", None)
    monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)
    lib = read_records(clf_library[0], base=tmp_path)
    with pytest.raises(ImportError, match=r"pip install 'sk_deepsense\[map\]'"):
        write_map(lib, tmp_path / "m.html")
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "map", clf_library[0], "-o", tmp_path / "m.html")
    assert code == 1 and out == "" and len(err.splitlines()) == 1
    assert "sk_deepsense[map]" in err and not (tmp_path / "m.html").exists()


# ---------------------------------------------------------------------------- commands
def test_cli_map_and_playlist(clf_library, tmp_path, capsys, monkeypatch):
    pytest.importorskip("plotly")
    path, _ = clf_library
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "map", path.name)
    assert code == 0 and out.strip() == "music.html: 5 tracks on the map (classifier)"
    assert "1 file could not be predicted" in err and (tmp_path / "music.html").stat().st_size
    code, out, err = run(capsys, "playlist", path.name, "--label", "Q4", "-o", "calm.m3u")
    assert code == 0 and out.strip() == "calm.m3u: 2 tracks (surest first)"
    assert (
        err.strip()
        == "sk-deepsense playlist: warning: 1 error record left out (files not predicted)"
    )
    code, out, err = run(
        capsys, "playlist", path.name, "--near=-0.5,-0.5", "--n", "2", "-o", "s.m3u"
    )
    assert code == 0 and [p for _, p in _entries(tmp_path / "s.m3u")][0] == "music/sad.wav"


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (["playlist", "{r}", "-o", "x.m3u"], 2, "give --label LABEL or --near"),
        (["playlist", "{r}", "--near", "1", "-o", "x.m3u"], 1, "give two numbers"),
        (["playlist", "{r}", "--near=nan,0", "-o", "x.m3u"], 1, "must be finite"),
        (["playlist", "{r}", "--label", "calm", "-o", "x.m3u"], 1, "'calm' is not a label"),
        (["playlist", "{r}", "--label", "Q4", "--min-confidence", "0.99", "-o", "x.m3u"], 1,
         "no track of"),
        (["playlist", "{r}", "--label", "Q4", "-o", "taken.m3u"], 1, "already exists"),
        (["map", "{r}", "-o", "taken.m3u"], 1, "already exists"),
        (["map", "{r}", "--centre", "happy", "-o", "y.html"], 1, "write LABEL=AROUSAL,VALENCE"),
        (["map", "damaged.jsonl", "-o", "y.html"], 1, "line 2 is not a JSON record"),
        (["map", "mixed.jsonl", "-o", "y.html"], 1, "one file must hold the predictions of one"),
        (["map", "errors.jsonl", "-o", "y.html"], 1, "all 1 records are error records"),
        (["map", "missing.jsonl", "-o", "y.html"], 1, "No such file"),
        (["map", ".", "-o", "y.html"], 1, "is a folder"),
        (["map", "{r}", "-o", "{r}", "--overwrite"], 1, "is the records file being read"),
        (["playlist", "{r}", "--label", "Q4", "-o", "{r}", "--overwrite"], 1,
         "is the records file being read"),
    ],
)  # fmt: skip
def test_cli_bad_input_is_one_line_naming_the_file(
    clf_library, tmp_path, capsys, monkeypatch, argv, code, message
):
    path, _ = clf_library
    records_text = path.read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken.m3u").write_text("keep me")
    (tmp_path / "damaged.jsonl").write_text('{"path": "a.wav", "label": "Q1"}\n{"path": "b\n')
    (tmp_path / "mixed.jsonl").write_text(
        '{"path": "a.wav", "label": "Q1"}\n{"path": "b.wav", "arousal": 1, "valence": 0}\n'
    )
    (tmp_path / "errors.jsonl").write_text('{"path": "a.wav", "error": "Cannot load"}\n')
    if code == 2:
        with pytest.raises(SystemExit) as info:
            main([a.format(r=path) for a in argv])
        assert info.value.code == 2 and message in capsys.readouterr().err
        return
    got, out, err = run(capsys, *(a.format(r=path) for a in argv))
    assert got == code and out == "" and len(err.splitlines()) == 1, err
    assert message in err and err.startswith(f"sk-deepsense {argv[0]}: error:")
    assert (tmp_path / "taken.m3u").read_text() == "keep me"
    assert not (tmp_path / "x.m3u").exists() and not (tmp_path / "y.html").exists()
    assert path.read_text(encoding="utf-8") == records_text  # the predictions are kept
    if "jsonl" in argv[1] and "missing" not in argv[1]:
        assert argv[1] in err  # the records file is named


def test_records_of_predict_go_through_map_and_playlist(tmp_path, capsys, monkeypatch):
    """predict's own output, as written, is what map and playlist read (JSONL and CSV)."""
    pytest.importorskip("plotly")
    from sklearn.base import BaseEstimator, ClassifierMixin

    from sk_deepsense.batch import prediction_records

    class Fixed(ClassifierMixin, BaseEstimator):
        classes_ = np.array(["Q1", "Q2", "Q3", "Q4"])

        def predict_proba(self, X):
            return np.asarray(X)

        def predict(self, X):
            return self.classes_[np.argmax(X, axis=1)]

    _wav(tmp_path / "x.wav")
    _wav(tmp_path / "y.wav")
    recs = list(
        prediction_records(
            Fixed(), [[0.1, 0.1, 0.1, 0.7], [0.7, 0.1, 0.1, 0.1]], ["x.wav", "y.wav"], decimals=4
        )
    )
    monkeypatch.chdir(tmp_path)
    for fmt in ("jsonl", "csv", "json"):
        if fmt == "json":  # not streamed: written at the end, as one array
            (tmp_path / "r.json").write_text(format_records(recs, "json"))
        else:
            buffer = io.StringIO()
            writer = _records.RecordWriter(buffer, fmt)
            for r in recs:
                writer.write(r)
            writer.close()
            (tmp_path / f"r.{fmt}").write_text(buffer.getvalue())
        code, out, _ = run(capsys, "playlist", f"r.{fmt}", "--label", "Q4", "-o", f"{fmt}.m3u")
        assert code == 0 and [p for _, p in _entries(tmp_path / f"{fmt}.m3u")] == ["x.wav"]
        assert run(capsys, "map", f"r.{fmt}", "-o", f"{fmt}.html")[0] == 0
