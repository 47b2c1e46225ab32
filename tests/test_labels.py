"""load_labels: the path,label / path,arousal,valence CSV of the command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sk_deepsense.datasets import load_labels


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "audio").mkdir()
    for name in ("a.wav", "b.wav", "c d.wav", "é.wav"):
        (tmp_path / "audio" / name).write_bytes(b"RIFF")
    return tmp_path


def write(folder: Path, text: str, name="labels.csv") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_classification_paths_are_relative_to_the_csv(folder, monkeypatch):
    text = "path,label,group\naudio/a.wav,Q1,x\naudio/c d.wav,Q3,y\naudio/é.wav,Q1,x\n"
    csv = write(folder, text)
    monkeypatch.chdir(folder / "audio")  # the working folder must not matter
    data = load_labels(csv)
    assert data.task == "classification"
    assert data.target.tolist() == ["Q1", "Q3", "Q1"]
    assert data.target_names == ["Q1", "Q3"]
    assert data.groups.tolist() == ["x", "y", "x"]
    assert [Path(f) for f in data.filenames] == [
        (folder / "audio" / n).resolve() for n in ("a.wav", "c d.wav", "é.wav")
    ]
    assert data.frame["filename"].tolist() == data.filenames.tolist()
    X, y = load_labels(csv, return_X_y=True)
    assert X.tolist() == data.filenames.tolist() and y.tolist() == data.target.tolist()


def test_numeric_labels_stay_strings_and_absolute_paths_work(folder):
    csv = write(folder, f"path,label\n{folder / 'audio' / 'a.wav'},1\naudio/b.wav,2\n")
    data = load_labels(csv)
    assert data.target.tolist() == ["1", "2"]
    assert data.groups is None


def test_regression(folder):
    text = "path,arousal,valence,comment\naudio/a.wav,0.5,-0.25,x\naudio/b.wav,-1,1,\n"
    csv = write(folder, text)
    data = load_labels(csv)
    assert data.task == "regression"
    assert data.target_names == ["arousal", "valence"]
    np.testing.assert_array_equal(data.target, [[0.5, -0.25], [-1.0, 1.0]])


def test_missing_audio_files_are_all_counted_and_named(folder):
    csv = write(folder, "path,label\naudio/a.wav,Q1\nnope1.wav,Q2\nnope2.mp3,Q3\n")
    with pytest.raises(FileNotFoundError, match=r"2 of the 3 audio files .*nope1\.wav.*nope2"):
        load_labels(csv)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("file,label\naudio/a.wav,Q1\n", r"lacks the column\(s\) \['path'\]"),
        ("path,mood\naudio/a.wav,Q1\n", "needs a 'label' column"),
        ("path,label\naudio/a.wav,Q1\naudio/b.wav,\n", r"empty 'label' on line\(s\) 3"),
        ("path,label\n", "no rows"),
        ("path,arousal,valence\naudio/a.wav,0.1,high\n", "'valence' must hold finite.*line"),
        ("path,arousal,valence\naudio/a.wav,nan,0.1\n", "'arousal' must hold finite"),
        ("path,label,arousal,valence\naudio/a.wav,Q1,0.1,0.2\n", "both a 'label' column"),
    ],
)
def test_bad_csvs_name_the_file_and_the_problem(folder, text, match):
    csv = write(folder, text)
    with pytest.raises(ValueError, match=match) as info:
        load_labels(csv)
    assert "labels.csv" in str(info.value) or "CSV file" in str(info.value)


def test_task_chooses_between_both_kinds_of_columns(folder):
    csv = write(folder, "path,label,arousal,valence\naudio/a.wav,Q1,0.1,0.2\n")
    assert load_labels(csv, task="classification").target.tolist() == ["Q1"]
    assert load_labels(csv, task="regression").target.shape == (1, 2)
    with pytest.raises(ValueError, match="task must be one of"):
        load_labels(csv, task="clustering")
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['label'\]"):
        load_labels(write(folder, "path,arousal,valence\naudio/a.wav,1,1\n"), task="classification")


def test_missing_csv(tmp_path):
    with pytest.raises(FileNotFoundError, match="labels CSV .*nothing.csv"):
        load_labels(tmp_path / "nothing.csv")


@pytest.mark.parametrize("column", ["artist", "Artist", "ARTISTS", "group", "Groups", " artist "])
def test_finding_13_an_artist_or_group_column_becomes_the_groups(folder, column):
    csv = write(folder, f"path,label,{column}\naudio/a.wav,Q1,x\naudio/b.wav,Q3,y\n")
    data = load_labels(csv)
    assert data.groups.tolist() == ["x", "y"]
    assert data.group_column == column.strip()  # as written in the CSV, header trimmed
    assert f"Groups: the {column.strip()!r} column (2 groups)" in data.DESCR


def test_finding_13_the_loader_says_which_column_it_used_or_that_none(folder):
    both = write(folder, "path,label,artist,group\naudio/a.wav,Q1,x,g1\naudio/b.wav,Q3,y,g2\n")
    data = load_labels(both)  # an explicit group column wins over the artist
    assert data.group_column == "group" and data.groups.tolist() == ["g1", "g2"]
    none = write(folder, "path,label,singer\naudio/a.wav,Q1,x\n", name="none.csv")
    data = load_labels(none)
    assert data.groups is None and data.group_column is None
    assert "Groups: none (no column named group, groups, artist or artists)" in data.DESCR
    with pytest.raises(ValueError, match=r"empty 'Artist' on line\(s\) 3"):
        load_labels(write(folder, "path,label,Artist\naudio/a.wav,Q1,x\naudio/b.wav,Q3,\n"))
