"""Whole songs: predict_files and ``sk-deepsense predict`` pool a model's windows over a file."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import soundfile as sf
from sklearn.pipeline import make_pipeline

from sk_deepsense import (
    HybridCNNLSTMClassifier,
    HybridCNNLSTMRegressor,
    MFCCTransformer,
    predict_files,
    save_model,
)
from sk_deepsense.batch import prediction_records
from sk_deepsense.cli import main

from ._fitted_models import TINY
from .conftest import BATCH_ATOL, BATCH_RTOL

SR, HOP, CLIP = 4000, 256, 30.0  # a low rate keeps four minutes of audio cheap


def _tone(seconds: float, freqs: tuple[float, ...]) -> np.ndarray:
    """A song whose pitch changes every ``seconds / len(freqs)``: its windows differ."""
    t = np.arange(int(seconds * SR)) / SR
    part = np.array_split(t, len(freqs))
    y = np.concatenate([np.sin(2 * np.pi * f * p) for f, p in zip(freqs, part, strict=True)])
    return (0.3 * y + 0.01 * np.random.default_rng(0).normal(size=t.size)).astype(np.float32)


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    """A generated 4-minute track (mono wav, int16) and its samples."""
    y = _tone(240.0, (220.0, 880.0, 330.0, 1500.0))
    path = tmp_path_factory.mktemp("songs") / "four minutes.wav"
    sf.write(path, y, SR, subtype="PCM_16")
    return str(path), sf.read(path, dtype="float32")[0]


@pytest.fixture(scope="module")
def clf():
    rng = np.random.default_rng(1)
    waves = [_tone(CLIP, (f,)) * rng.uniform(0.5, 1) for f in (200, 300, 1200, 1800, 250, 1500)]
    pipe = make_pipeline(
        MFCCTransformer(duration=CLIP, sr=SR, hop_length=HOP, n_fft=512),
        HybridCNNLSTMClassifier(**TINY, early_stopping=False),
    )
    return pipe.fit(waves, ["low", "low", "high", "high", "low", "high"])


@pytest.fixture(scope="module")
def model_file(clf, tmp_path_factory):
    return save_model(clf, tmp_path_factory.mktemp("model") / "model.skds")


def _windows_proba(model, y, windows):
    """The model's probabilities for each window of samples ``y``, computed here."""
    clips = [y[int(round(a * SR)) : int(round(b * SR))] for a, b in windows]
    return model[-1].predict_proba(model[0].transform(clips))


def test_finding_12_four_minute_track_record_covers_four_minutes(clf, song):
    path, _ = song
    (record,) = predict_files(clf, [path])
    assert record["start"] == 0.0 and record["end"] == 240.0 and record["windows"] == 8
    assert record["label"] in ("low", "high")


def test_finding_12_song_is_the_mean_of_its_windows_probabilities(clf, song):
    path, y = song
    (record,) = predict_files(clf, [path], offset=10.0, duration=65.0)
    # 65 s from 10 s: windows 10-40, 40-70, then one moved back to end at 75 s
    assert (record["start"], record["end"], record["windows"]) == (10.0, 75.0, 3)
    proba = _windows_proba(clf, y, [(10, 40), (40, 70), (45, 75)])
    assert not np.allclose(proba[0], proba[1])  # the windows differ: the mean is a real pool
    expected = proba.mean(axis=0)
    got = np.array([record["probabilities"][c] for c in clf.classes_])
    np.testing.assert_allclose(got, expected, rtol=BATCH_RTOL, atol=BATCH_ATOL)
    assert record["label"] == clf.classes_[np.argmax(expected)]  # label and mean agree


def test_finding_12_whole_song_pools_every_window_even_split_over_batches(clf, song):
    path, y = song
    windows = [(30.0 * k, 30.0 * (k + 1)) for k in range(8)]
    expected = _windows_proba(clf, y, windows).mean(axis=0)
    for batch_size in (64, 3):  # 3: the song is predicted in three parts, then merged
        (record,) = predict_files(clf, [path], batch_size=batch_size)
        got = np.array([record["probabilities"][c] for c in clf.classes_])
        np.testing.assert_allclose(got, expected, rtol=BATCH_RTOL, atol=BATCH_ATOL)
        assert record["windows"] == 8


def test_finding_12_offset_and_duration_choose_the_span(clf, song, tmp_path):
    path, _ = song
    short = tmp_path / "short.wav"
    sf.write(short, _tone(12.5, (440.0,)), SR)
    (long_,) = predict_files(clf, [path], offset=200.0, duration=1000.0)
    (past,) = predict_files(clf, [path], offset=240.0)
    (tiny,) = predict_files(clf, [str(short)])
    # --duration past the end ends at the end; the span is shorter than a clip: one window
    assert (long_["start"], long_["end"], long_["windows"]) == (200.0, 240.0, 2)
    assert (
        "error" in past and "four minutes.wav" in past["error"] and "past the end" in past["error"]
    )
    assert (tiny["start"], tiny["end"], tiny["windows"]) == (0.0, 12.5, 1)


def test_finding_12_duration_30_is_the_old_first_30_seconds_prediction(clf, song, tmp_path):
    path, _ = song
    short = tmp_path / "short.wav"
    sf.write(short, _tone(12.5, (440.0,)), SR)
    files = [path, str(short)]
    # what predict_files gave before whole songs: the transformer's first 30 s of each file
    old = prediction_records(clf[-1], clf[:-1].transform(files), files)
    new = list(predict_files(clf, files, duration=CLIP))
    for a, b in zip(old, new, strict=True):
        assert b["probabilities"] == a["probabilities"] and b["label"] == a["label"]  # exact
    assert [(r["start"], r["end"], r["windows"]) for r in new] == [(0.0, 30.0, 1), (0.0, 12.5, 1)]


def test_finding_12_cli_predicts_the_whole_song_and_says_its_span(capsys, clf, model_file, song):
    path, _ = song
    assert main(["predict", str(model_file), path, "--format", "jsonl", "-q"]) == 0
    whole = json.loads(capsys.readouterr().out)
    assert (whole["start"], whole["end"], whole["windows"]) == (0.0, 240.0, 8)
    argv = ["predict", str(model_file), path, "--format", "jsonl", "-q", "--duration", "30"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    (old,) = prediction_records(clf[-1], clf[:-1].transform([path]), [path], decimals=4)
    assert first == {**old, "start": 0.0, "end": 30.0, "windows": 1}
    argv = ["predict", str(model_file), path, "--format", "csv", "-q", "--offset", "60"]
    assert main(argv) == 0
    (row,) = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert (row["start"], row["end"], row["windows"]) == ("60.0", "240.0", "6")


@pytest.mark.parametrize("option", ["--offset", "--duration"])
@pytest.mark.parametrize("value", ["inf", "nan", "-1", "1e300"])
def test_finding_12_cli_refuses_a_span_out_of_range(capsys, model_file, song, option, value):
    path, _ = song
    code = main(["predict", str(model_file), path, option, value, "-q"])
    err = capsys.readouterr().err
    assert code == 1 and f"{option} " in err and len(err.strip().splitlines()) == 1


def test_finding_12_a_failing_window_fails_its_file_not_the_run(clf, song, monkeypatch):
    import sk_deepsense._songs as songs

    path, _ = song
    load = songs.SongFeatures._decode

    def broken_after_a_minute(self, jobs, parts):
        waves = load(self, jobs, parts)
        damaged = ValueError("a damaged frame")
        return [
            damaged if start >= 60 else w for (_, (start, _), _), w in zip(jobs, waves, strict=True)
        ]

    monkeypatch.setattr(songs.SongFeatures, "_decode", broken_after_a_minute)
    whole = list(predict_files(clf, [path, path], batch_size=3))
    first_minute = list(predict_files(clf, [path], duration=60))
    error = f"Cannot load audio file {path!r}: a damaged frame"
    assert whole == [{"path": path, "error": error}] * 2  # one record per file, run not stopped
    assert first_minute[0]["windows"] == 2


def test_finding_12_a_regressor_averages_the_windows_targets(song):
    path, y = song
    rng = np.random.default_rng(2)
    waves = [_tone(CLIP, (f,)) for f in rng.uniform(200, 1800, 6)]
    reg = make_pipeline(
        MFCCTransformer(duration=CLIP, sr=SR, hop_length=HOP, n_fft=512),
        HybridCNNLSTMRegressor(**TINY, early_stopping=False),
    ).fit(waves, rng.normal(size=(6, 2)))
    (record,) = predict_files(reg, [path], duration=90.0)
    clips = [y[int(a * SR) : int(b * SR)] for a, b in ((0, 30), (30, 60), (60, 90))]
    expected = reg[-1].predict(reg[0].transform(clips)).mean(axis=0)
    got = [record["arousal"], record["valence"]]
    np.testing.assert_allclose(got, expected, rtol=BATCH_RTOL, atol=BATCH_ATOL)
    assert record["windows"] == 3


def test_a_model_of_whole_clips_predicts_the_span_as_one_clip(clf, song):
    path, y = song
    whole = make_pipeline(clf[0].__class__(**{**clf[0].get_params(), "duration": None}), clf[-1])
    (record,) = predict_files(whole, [path], offset=30.0, duration=60.0)
    assert (record["start"], record["end"], record["windows"]) == (30.0, 90.0, 1)
    expected = whole[-1].predict_proba(whole[0].transform([y[30 * SR : 90 * SR]]))[0]
    got = [record["probabilities"][c] for c in clf.classes_]
    np.testing.assert_allclose(got, expected, rtol=BATCH_RTOL, atol=BATCH_ATOL)


@pytest.mark.parametrize(
    ("length", "kw", "expected"),
    [
        (70.0, {}, [(0.0, 30.0), (30.0, 60.0), (40.0, 70.0)]),
        (60.0, {}, [(0.0, 30.0), (30.0, 60.0)]),
        (12.5, {}, [(0.0, 12.5)]),
        (100.0, {"offset": 95.0}, [(95.0, 100.0)]),
        (100.0, {"offset": 10.0, "duration": 30.0}, [(10.0, 40.0)]),
        (100.0, {"clip": None, "offset": 10.0}, [(10.0, 100.0)]),
    ],
)
def test_song_windows_cover_the_span_with_full_windows(length, kw, expected):
    from sk_deepsense import _songs as songs

    assert songs.song_windows(length, **{"clip": 30.0, **kw}) == expected


def test_song_windows_refuse_an_offset_past_the_end():
    from sk_deepsense import _songs as songs

    with pytest.raises(ValueError, match="past the end"):
        songs.song_windows(10.0, clip=30.0, offset=10.0)


@pytest.mark.parametrize(
    ("kw", "match"), [({"offset": -1}, "offset"), ({"duration": 0}, "duration")]
)
def test_predict_files_checks_the_span_at_the_call(clf, kw, match):
    with pytest.raises(ValueError, match=match):
        predict_files(clf, ["never read.wav"], **kw)


def test_audio_length_reads_the_header(song):
    from sk_deepsense import _songs as songs

    path, y = song
    assert songs.audio_length(path) == pytest.approx(len(y) / SR)


def test_audio_load_error_says_what_failed_and_survives_pickling():
    import pickle

    from sk_deepsense.exceptions import AudioLoadError

    err = AudioLoadError("a.wav", "RuntimeError: boom", "extract the features of")
    assert str(err) == "Cannot extract the features of 'a.wav': RuntimeError: boom"
    back = pickle.loads(pickle.dumps(err))  # joblib workers send errors back pickled
    assert (str(back), back.path, back.reason, back.what) == (
        str(err), "a.wav", "RuntimeError: boom", "extract the features of"
    )  # fmt: skip
    assert str(AudioLoadError("b.mp3", "file does not exist")).startswith(
        "Cannot load audio file 'b.mp3'"
    )


# ------------------------------------------------------------- progress: once per file
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_song_features_tell_on_file_once_per_file_as_files_finish(song, tmp_path, n_jobs):
    from collections import deque

    from sk_deepsense._songs import SongFeatures, song_parts
    from sk_deepsense.exceptions import AudioLoadErrors

    path, y = song
    short = tmp_path / "short.wav"
    sf.write(short, y[: int(45 * SR)], SR, subtype="PCM_16")  # 2 windows: one part
    broken = tmp_path / "broken.wav"
    broken.write_text("not audio")
    files = [path, str(broken), str(short)]  # 8 windows (4 parts of 2), an error, 2 windows
    step = MFCCTransformer(duration=CLIP, sr=SR, hop_length=HOP, n_fft=512, n_jobs=n_jobs)
    parts = list(
        song_parts(files, clip=CLIP, offset=0.0, duration=None, max_windows=2, taken=deque())
    )
    assert len(parts) == 6
    told, decoded = [], []

    class Watched(SongFeatures):
        def _decode(self, jobs, parts):
            decoded.append(len(jobs))
            return super()._decode(jobs, parts)

    features = Watched(make_pipeline(step), "record", on_file=lambda: told.append(len(decoded)))
    with pytest.raises(AudioLoadErrors) as info:
        features.transform(parts)
    assert info.value.failed_indices == [4]  # the broken file's part
    assert len(told) == len(files)  # every file exactly once, the broken one too
    assert told[0] < len(decoded)  # the first file is told before the last group is decoded
    ok = SongFeatures(make_pipeline(step), "record", on_file=lambda: told.append(-1))
    assert [len(x) for x in ok.transform(parts[:4] + parts[5:])] == [2, 2, 2, 2, 2]
    assert told.count(-1) == 2  # the song (its last part) and the short file


def test_predict_files_progress_counts_every_file_once(clf, song, tmp_path, capsys):
    import copy

    path, _ = song
    broken = tmp_path / "broken.wav"
    broken.write_text("not audio")
    model = copy.deepcopy(clf).set_params(mfcctransformer__n_jobs=2)
    records = list(predict_files(model, [path, str(broken), path], batch_size=3, progress=True))
    assert ["error" in r for r in records] == [False, True, False]
    err = capsys.readouterr().err.replace("\r", "\n")
    counts = [line.split("|")[2].split()[0] for line in err.splitlines() if "predict:" in line]
    assert counts[-1] == "3/3" and all(int(c.split("/")[0]) <= 3 for c in counts)
    assert "?file/s" in next(line for line in err.splitlines() if " 1/3 " in line)  # no ETA
