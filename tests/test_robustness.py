"""Messy real-world input: a corpus of awkward and broken files, generated here, not committed.

Every case either gives correct features (finite values, the usual shape) or an error that
names the file and says what is wrong. The table in the user guide ("Robustness") lists the
same cases and outcomes.
"""

from __future__ import annotations

import os
import tracemalloc
import warnings

import joblib
import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sk_deepsense import (
    AudioLoadError,
    AudioLoadErrors,
    HybridCNNLSTMClassifier,
    LogMelTransformer,
    MFCCTransformer,
    sequence_lengths,
)
from sk_deepsense.features import DescriptorTransformer

SR = 22050
DURATION = 1.0
N_FRAMES = 1 + int(DURATION * SR) // 512


def tone(seconds=1.5, sr=SR, freq=440.0, amplitude=0.3):
    t = np.arange(int(seconds * sr)) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """name -> path of each awkward file."""
    d = tmp_path_factory.mktemp("messy corpus")  # a space in the folder too
    files = {}

    def add(name, filename):
        files[name] = d / filename
        return files[name]

    add("missing", "missing.wav")
    add("directory", "folder.wav").mkdir()
    add("zero_bytes", "empty.mp3").write_bytes(b"")
    sf.write(add("header_only", "header.wav"), np.zeros(0, np.float32), SR)
    add("text_as_mp3", "notes.mp3").write_text("not audio, just text\n" * 50)
    add("random_bytes", "noise.wav").write_bytes(np.random.default_rng(0).bytes(4096))
    mp3 = d / "whole.mp3"
    sf.write(mp3, tone(3.0), SR, format="MP3")
    add("truncated_mp3", "truncated.mp3").write_bytes(mp3.read_bytes()[: mp3.stat().st_size // 2])
    sf.write(add("silence", "silence.wav"), np.zeros(2 * SR, np.float32), SR)
    sf.write(add("shorter_than_a_frame", "blip.wav"), tone()[:100], SR)
    sf.write(add("8kHz", "phone.wav"), tone(sr=8000), 8000)
    sf.write(add("96kHz", "studio.wav"), tone(sr=96000), 96000)
    sf.write(add("int16", "int16.wav"), tone(), SR, subtype="PCM_16")
    sf.write(add("float64", "float64.wav"), tone().astype(np.float64), SR, subtype="DOUBLE")
    sf.write(add("6_channels", "film mix.wav"), np.stack([tone()] * 6, axis=1), SR)
    sf.write(add("non_ascii_and_spaces", "Émotion – ça va 日本.wav"), tone(), SR)
    sf.write(add("upper_case_extension", "LOUD.WAV"), tone(), SR)
    nan_wave = tone()
    nan_wave[100] = np.nan
    sf.write(add("nan_samples_in_float_wav", "nan.wav"), nan_wave, SR, subtype="FLOAT")
    inf_wave = tone()
    inf_wave[100] = np.inf
    sf.write(add("inf_samples_in_float_wav", "inf.wav"), inf_wave, SR, subtype="FLOAT")
    return files


# case -> the reason in the error message (the message always names the file too)
ERRORS = {
    "missing": "file does not exist",
    "directory": "not a regular file",
    "zero_bytes": r"file is empty \(0 bytes\)",
    "header_only": "contains no audio samples",
    "text_as_mp3": "not a readable audio file",
    "random_bytes": "not a readable audio file",
    "nan_samples_in_float_wav": "NaN or infinity",
    "inf_samples_in_float_wav": "NaN or infinity",
}
# case -> real frames expected in the first DURATION seconds (None: all of them)
FEATURES = {
    "truncated_mp3": None,  # the decodable first half (1.5 s) covers the second wanted
    "silence": None,
    "shorter_than_a_frame": 1,  # 100 samples: one (centred, zero-padded) analysis frame
    "8kHz": None,
    "96kHz": None,
    "int16": None,
    "float64": None,
    "6_channels": None,
    "non_ascii_and_spaces": None,
    "upper_case_extension": None,
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_bad_file_error_names_the_file_and_the_reason(corpus, case):
    path = corpus[case]
    with pytest.raises(AudioLoadError, match=ERRORS[case]) as info:
        MFCCTransformer(duration=DURATION).transform([str(path)])
    assert info.value.path == str(path)
    assert repr(str(path)) in str(info.value)


@pytest.mark.parametrize("case", sorted(FEATURES))
def test_awkward_file_gives_finite_features_of_the_usual_shape(corpus, case):
    X = MFCCTransformer(duration=DURATION).transform([corpus[case]])
    assert X.shape == (1, N_FRAMES, 20) and X.dtype == np.float32
    n = sequence_lengths(X)[0]
    assert n == (FEATURES[case] or N_FRAMES)
    assert np.isfinite(X[0, :n]).all()
    assert np.isnan(X[0, n:]).all()


def test_resampled_and_converted_files_match_the_reference(corpus):
    """8/96 kHz, int16, float64 and 6-channel copies of one tone give nearly its features."""
    mfcc = MFCCTransformer(duration=DURATION)
    reference = mfcc.transform([tone()])[0]
    for case in ("8kHz", "96kHz", "int16", "float64", "6_channels", "upper_case_extension"):
        X = mfcc.transform([corpus[case]])[0]
        # c0 (loudness) and the first coefficients of a 440 Hz tone survive every conversion
        np.testing.assert_allclose(X[2:-2, :4], reference[2:-2, :4], rtol=0.05, atol=3.0)


def test_raise_all_lists_every_broken_file_and_keeps_alignment(corpus):
    good = [corpus["int16"], corpus["silence"], corpus["8kHz"]]
    bad = [corpus["missing"], corpus["text_as_mp3"], corpus["zero_bytes"]]
    X_items = [good[0], bad[0], good[1], bad[1], bad[2], good[2]]
    with pytest.raises(AudioLoadErrors) as info:
        MFCCTransformer(duration=DURATION, on_error="raise_all", n_jobs=2).transform(X_items)
    err = info.value
    assert err.failed_indices == [1, 3, 4]
    assert err.paths == [str(p) for p in bad]
    assert str(err).startswith("3 of 6 audio files could not be read:")
    for p in bad:
        assert str(p) in str(err)
    # the documented recovery: drop the listed samples from X and y alike
    y = np.array(["a", "b", "c", "d", "e", "f"])
    keep = np.setdiff1d(np.arange(len(X_items)), err.failed_indices)
    X = MFCCTransformer(duration=DURATION).transform([X_items[i] for i in keep])
    assert X.shape[0] == len(y[keep]) == 3 and y[keep].tolist() == ["a", "c", "f"]
    # the default stops at the first
    with pytest.raises(AudioLoadError, match="missing.wav") as first:
        MFCCTransformer(duration=DURATION).transform(X_items)
    assert not isinstance(first.value, AudioLoadErrors)


def test_raise_all_error_survives_pickling():
    import pickle

    err = AudioLoadErrors([(4, AudioLoadError("x.mp3", "file does not exist"))], 9)
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and again.failed_indices == [4]


def test_on_error_is_validated():
    with pytest.raises(ValueError, match="'on_error' parameter of MFCCTransformer must be"):
        MFCCTransformer(on_error="skip").transform([tone()])


def test_long_file_reads_only_what_is_needed(tmp_path):
    """A 20-minute file, 30 s wanted: only that span is decoded (memory stays small)."""
    path = tmp_path / "dj set.wav"
    minute = np.tile(tone(1.0, sr=22050), 60)
    with sf.SoundFile(path, "w", samplerate=22050, channels=2, subtype="PCM_16") as f:
        for _ in range(20):  # 20 minutes, written a minute at a time: 106 MB of PCM
            f.write(np.stack([minute, minute], axis=1))
    assert path.stat().st_size > 100e6
    tracemalloc.start()
    X = MFCCTransformer(duration=30.0).transform([path])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert X.shape == (1, 1 + 30 * 22050 // 512, 20) and np.isfinite(X).all()
    # decoding the whole file as float32 would take 2 x 26.5M x 4 B = 212 MB
    assert peak < 40e6, f"peak {peak / 1e6:.0f} MB"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_waveform_with_nan_or_inf_is_an_error(bad):
    wave = tone()
    wave[10] = bad
    with pytest.raises(ValueError, match="NaN or infinity in waveform 1"):
        MFCCTransformer(duration=DURATION).transform([tone(), wave])


@pytest.mark.parametrize("empty", [[], (), np.array([])])
def test_empty_input_is_an_error(empty):
    with pytest.raises(ValueError, match="0 sample"):
        MFCCTransformer().transform(empty)


def test_labels_whose_length_differs_from_X_are_an_error():
    X = np.random.default_rng(0).normal(size=(6, 5, 3)).astype(np.float32)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        HybridCNNLSTMClassifier(max_epochs=1).fit(X, ["a", "b"] * 2)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    seconds=st.floats(min_value=0.001, max_value=1.5),
    amplitude=st.floats(min_value=0.0, max_value=1.0),
    sr=st.sampled_from([8000, 11025, 16000, 22050, 44100, 48000, 96000]),
    channels=st.integers(min_value=1, max_value=6),
    subtype=st.sampled_from(["PCM_16", "FLOAT"]),
)
def test_any_valid_wav_gives_finite_features_of_the_usual_shape(
    tmp_path, seconds, amplitude, sr, channels, subtype
):
    n = max(1, int(seconds * sr))
    rng = np.random.default_rng(n)
    wave = amplitude * rng.uniform(-1, 1, size=(n, channels))
    path = tmp_path / f"clip_{sr}_{channels}_{n}.wav"
    sf.write(path, wave, sr, subtype=subtype)
    X = MFCCTransformer(duration=DURATION, sr=SR).transform([path])
    assert X.shape == (1, N_FRAMES, 20)
    real = sequence_lengths(X)[0]
    # the real frames follow the resampled length: 1 + samples // hop, capped at the duration
    resampled = min(int(round(n * SR / sr)), int(DURATION * SR))
    assert abs(real - min(N_FRAMES, 1 + resampled // 512)) <= 1
    assert np.isfinite(X[0, :real]).all()
    assert np.isnan(X[0, real:]).all()


# ----------------------------------------------------------------------------- feature cache
def _cache_outputs(folder):
    return sorted(folder.rglob("output.pkl"))


def test_corrupt_cache_entry_is_recomputed_not_fatal(tmp_path, corpus, capfd):
    paths = [corpus["int16"], corpus["8kHz"]]
    mfcc = MFCCTransformer(duration=DURATION, memory=tmp_path / "cache")
    first = mfcc.transform(paths)
    outputs = _cache_outputs(tmp_path / "cache")
    assert len(outputs) == 2
    outputs[0].write_bytes(b"half a pickle, then a crash")  # e.g. a disk full mid-write
    outputs[1].write_bytes(b"")
    again = mfcc.transform(paths)
    np.testing.assert_array_equal(first, again)
    for out in _cache_outputs(tmp_path / "cache"):
        assert out.stat().st_size > 100  # the entries were rewritten
    capfd.readouterr()  # joblib reports the unreadable entries on stderr; that is all


def test_two_processes_filling_one_cache_do_not_corrupt_it(tmp_path, corpus, monkeypatch):
    import subprocess
    import sys

    from sk_deepsense.features import _base

    paths = [str(corpus[c]) for c in sorted(FEATURES)]
    cache = tmp_path / "shared cache"
    script = (
        "import sys, numpy as np\n"
        "from sk_deepsense import MFCCTransformer\n"
        f"paths = {paths!r}\n"
        "for _ in range(3):  # overlap as much as possible\n"
        f"    X = MFCCTransformer(duration={DURATION}, memory={str(cache)!r}).transform(paths)\n"
        "np.save(sys.argv[1], X)\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path / f"out{i}.npy")])
        for i in range(2)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    expected = MFCCTransformer(duration=DURATION).transform(paths)
    for i in range(2):
        np.testing.assert_array_equal(np.load(tmp_path / f"out{i}.npy"), expected)
    # every entry is complete: a third reader decodes nothing and gets the same features
    calls = []
    real = _base.load_audio
    monkeypatch.setattr(_base, "load_audio", lambda *a, **k: calls.append(a) or real(*a, **k))
    cached = MFCCTransformer(duration=DURATION, memory=cache).transform(paths)
    assert calls == []
    np.testing.assert_array_equal(cached, expected)
    assert not [p for p in cache.rglob("*") if p.is_file() and "tmp" in p.name.lower()]


# ----------------------------------------------------------------------------- parameters
@pytest.mark.parametrize(
    ("make", "param", "value", "accepted"),
    [
        (MFCCTransformer, "n_mfcc", 0, r"an int in the range \[1, inf\)"),
        (MFCCTransformer, "duration", -1.0, r"a float in the range \(0.0, inf\) or None"),
        (MFCCTransformer, "deltas", 3, r"in the range \[0, 2\]"),
        (MFCCTransformer, "on_error", "ignore", r"a str among \{.*'raise'.*\}"),
        (HybridCNNLSTMClassifier, "architecture", "resnet", r"a str among \{.*'hybrid'.*\}"),
        (HybridCNNLSTMClassifier, "dropout", 1.0, r"a float in the range \[0.0, 1.0\)"),
        (HybridCNNLSTMClassifier, "lr", 0, r"a float in the range \(0.0, inf\)"),
        (HybridCNNLSTMClassifier, "train_chunk", 0, r"in the range \[1, inf\) or None"),
        (HybridCNNLSTMClassifier, "early_stopping", "yes", "an instance of 'bool'"),
    ],
)
def test_bad_parameters_name_the_parameter_and_the_accepted_values(make, param, value, accepted):
    X = [tone(0.2)] if make is MFCCTransformer else np.zeros((4, 3, 2), np.float32)
    est = make(**{param: value})
    with pytest.raises(ValueError, match=rf"'{param}' parameter of {make.__name__} must be"):
        est.fit(X, None if make is MFCCTransformer else [0, 1, 0, 1])
    with pytest.raises(ValueError, match=accepted):
        est.fit(X, None if make is MFCCTransformer else [0, 1, 0, 1])


# ----------------------------------------------------------------------------- persistence
def test_joblib_round_trip_in_a_new_process_predicts_identically(tmp_path, audio_corpus):
    import json
    import subprocess
    import sys

    import joblib
    from sklearn.pipeline import Pipeline

    paths, labels = audio_corpus
    pipe = Pipeline(
        [
            ("mfcc", MFCCTransformer(duration=2.0, sr=16000)),
            (
                "clf",
                HybridCNNLSTMClassifier(
                    n_filters=4, lstm_hidden_size=8, max_epochs=2, random_state=0
                ),
            ),
        ]
    ).fit(paths, labels)
    model = tmp_path / "model.joblib"
    joblib.dump(pipe, model)
    code = (
        "import json, sys, joblib, torch\n"
        "torch.set_num_threads(1)  # as in this test process (conftest)\n"
        "pipe = joblib.load(sys.argv[1])\n"
        "paths = json.loads(sys.argv[2])\n"
        "print(json.dumps({'proba': pipe.predict_proba(paths).tolist(),"
        " 'labels': pipe.predict(paths).tolist()}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(model), json.dumps(paths[:6])],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["labels"] == pipe.predict(paths[:6]).tolist()
    # float64 JSON of the same float32 computation on the same CPU: equal to the last bit
    np.testing.assert_array_equal(np.array(out["proba"]), pipe.predict_proba(paths[:6]))


# ------------------------------------------------------------------------------ issue 26
@pytest.mark.parametrize("make", [MFCCTransformer, LogMelTransformer, DescriptorTransformer])
def test_finding_03_file_with_huge_samples_is_an_error_naming_it(tmp_path, make):
    huge = tone()
    huge[100] = 1e30  # finite float32, but its power spectrum overflows: features all NaN
    path = tmp_path / "huge.wav"
    sf.write(path, huge, SR, subtype="FLOAT")
    good = tmp_path / "good.wav"
    sf.write(good, tone(), SR)
    reason = r"audio holds non-finite or huge samples \(its features are not finite\)"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings either: the error says it
        with pytest.raises(AudioLoadError, match=reason) as info:
            make(duration=DURATION).transform([str(good), str(path)])
        assert info.value.path == str(path)
        with pytest.raises(AudioLoadErrors) as info:  # collected, for predict_files' records
            make(duration=DURATION, on_error="raise_all").transform([good, path, good])
        assert info.value.failed_indices == [1]
        with pytest.raises(ValueError, match="A waveform of X cannot be used: audio holds"):
            make(duration=DURATION).transform([huge])
    loud = tone(amplitude=1000.0)  # far louder than full scale, yet finite features: fine
    assert np.isfinite(make(duration=DURATION).transform([loud])).all()


def test_finding_04_file_whose_name_is_not_utf8_is_decoded(tmp_path):
    path = tmp_path / os.fsdecode(b"bad\xff\xfe.wav")
    sf.write(os.fsencode(path), tone(), SR, subtype="FLOAT")  # audioread cannot read it
    plain = tmp_path / "plain.wav"
    plain.write_bytes(path.read_bytes())
    X = MFCCTransformer(duration=DURATION).transform([str(path), plain])
    np.testing.assert_array_equal(X[0], X[1])


def test_finding_09_n_jobs_is_capped_at_the_files_and_cores(monkeypatch):
    real, seen = joblib.Parallel, []

    def spy(*args, n_jobs=None, **kwargs):
        seen.append(n_jobs)
        assert n_jobs <= 3, f"{n_jobs} threads for 3 clips"  # before any thread starts
        return real(*args, n_jobs=n_jobs, **kwargs)

    monkeypatch.setattr(joblib, "Parallel", spy)
    waves = [tone(freq=f) for f in (220.0, 440.0, 880.0)]
    X = MFCCTransformer(duration=DURATION, n_jobs=100000).transform(waves)
    assert seen == [3]
    np.testing.assert_array_equal(X, MFCCTransformer(duration=DURATION).transform(waves))
    from sk_deepsense.features._base import extraction_threads, max_extraction_threads

    assert max_extraction_threads() == 4 * (os.cpu_count() or 1)
    assert extraction_threads(10**6, 10**6) == max_extraction_threads()
    assert extraction_threads(None, 10) == 1 and extraction_threads(-1, 10**6) >= 1
    with pytest.raises(ValueError, match="n_jobs=0"):
        MFCCTransformer(duration=DURATION, n_jobs=0).transform([tone()])  # even for one clip
