"""``sk-deepsense listen``: streaming a file through a saved model, its output and its errors."""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pytest
import soundfile as sf
from sklearn.pipeline import Pipeline

from sk_deepsense import HybridCNNLSTMClassifier, HybridCNNLSTMRegressor, MFCCTransformer
from sk_deepsense.cli import main
from sk_deepsense.datasets import make_emotion_music
from sk_deepsense.persistence import load_model, save_model

SR = 22050
LOW_SR = 8000  # the long track's model: 7 minutes of audio in a fast test
NET = dict(max_epochs=2, lstm_hidden_size=8, n_filters=4, n_ensemble=1, random_state=0)


def run(capsys, *argv):
    """main(argv) -> (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def music():
    return make_emotion_music(6, duration=1.5, sr=SR, random_state=0)


def save(tmp_path_factory, name, pipe, music):
    target = music.target if name.startswith("clf") else np.c_[music.arousal, music.valence]
    path = tmp_path_factory.mktemp("models") / f"{name}.skds"  # the safe format
    return save_model(pipe.fit(music.data, target), path)


@pytest.fixture(scope="module")
def reg_model(music, tmp_path_factory):
    pipe = Pipeline(
        [("mfcc", MFCCTransformer(top_db=None, n_mfcc=8)), ("reg", HybridCNNLSTMRegressor(**NET))]
    )
    return save(tmp_path_factory, "reg", pipe, music)


@pytest.fixture(scope="module")
def clf_model(music, tmp_path_factory):
    pipe = Pipeline(
        [("mfcc", MFCCTransformer(top_db=None, n_mfcc=8)), ("clf", HybridCNNLSTMClassifier(**NET))]
    )
    return save(tmp_path_factory, "clf", pipe, music)


@pytest.fixture(scope="module")
def wav(tmp_path_factory):
    y = make_emotion_music(1, duration=3.0, sr=SR, random_state=3).data[0]
    path = tmp_path_factory.mktemp("audio") / "song.wav"
    sf.write(path, y, SR, subtype="FLOAT")
    return path


def offline_frames(model_path, audio):
    pipe = load_model(model_path)
    X = pipe[0].set_params(duration=None).transform([str(audio)])
    final = pipe[-1]
    if hasattr(final, "predict_proba_frames"):
        return final.predict_proba_frames(X)[0]
    return final.predict_frames(X)[0]


def test_jsonl_lines_every_half_second_equal_the_offline_frames(capsys, reg_model, wav):
    argv = ["listen", reg_model, wav, "--no-wait", "--format", "jsonl", "--window", "0"]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    times = [r["time"] for r in records]
    assert times[0] == 0.0 and len(records) == 6  # 0, 0.5, ..., 2.5 (3 s of audio)
    assert all(k * 0.5 <= t < k * 0.5 + 512 / SR for k, t in enumerate(times))
    expected = offline_frames(reg_model, wav)
    for r in records:
        frame = int(round(r["time"] * SR / 512))
        np.testing.assert_allclose([r["arousal"], r["valence"]], expected[frame], atol=1e-5)
    assert "listening to" in err and "frames" in err


def test_text_lines_of_a_classifier_and_the_plot(capsys, clf_model, wav, tmp_path):
    plot = tmp_path / "timeline.png"
    argv = ["listen", clf_model, wav, "--no-wait", "--every", "1", "--plot", plot, "-q"]
    argv += ["--window", "0"]
    code, out, err = run(capsys, *argv)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 3 and lines[0].startswith("   0.00 s  ")
    classes = [str(c) for c in load_model(clf_model)[-1].classes_]
    assert all(line.split("-> ")[1] in classes for line in lines)
    assert plot.stat().st_size > 1000 and plot.read_bytes()[:4] == b"\x89PNG"
    code, _, err = run(capsys, *argv)
    assert code == 1 and "--overwrite" in err


def test_real_time_pace_and_a_resampled_file(capsys, reg_model, tmp_path):
    y = make_emotion_music(1, duration=1.0, sr=16000, random_state=4).data[0]
    path = tmp_path / "short16k.wav"
    sf.write(path, y, 16000)
    start = time.monotonic()
    code, out, err = run(capsys, "listen", reg_model, path, "--chunk", "0.25", "-q")
    assert code == 0, err
    assert time.monotonic() - start >= 0.9  # as the music plays, not faster
    assert len(out.splitlines()) == 2 and "arousal" in out


def test_a_model_that_cannot_stream_is_refused_in_one_line(capsys, music, wav, tmp_path_factory):
    pipe = Pipeline([("mfcc", MFCCTransformer(n_mfcc=8)), ("reg", HybridCNNLSTMRegressor(**NET))])
    model = save(tmp_path_factory, "reg_topdb", pipe, music)  # top_db=80 by default
    code, out, err = run(capsys, "listen", model, wav, "--no-wait")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "listen: error:" in err and "top_db=None" in err


def test_missing_sounddevice_says_how_to_install_it(capsys, reg_model, monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import fails as if absent
    code, _, err = run(capsys, "listen", reg_model, "--mic", "--seconds", "1")
    assert code == 1 and "pip install sounddevice" in err and err.count("\n") == 1


def test_bad_arguments(capsys, reg_model, wav, tmp_path):
    code, _, err = run(capsys, "listen", reg_model, tmp_path / "nope.wav")
    assert code == 1 and "does not exist" in err
    code, _, err = run(capsys, "listen", reg_model, wav, "--chunk", "0")
    assert code == 1 and "--chunk" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["listen", str(reg_model)])  # neither AUDIO nor --mic
    assert exit_info.value.code == 2
    assert "AUDIO or --mic" in capsys.readouterr().err


def test_a_dynamic_model_is_listened_to_and_refused_by_per_file_commands(
    music, tmp_path_factory, wav, tmp_path, capsys
):
    from sk_deepsense import HybridCNNLSTMDynamicRegressor

    mfcc = MFCCTransformer(top_db=None, n_mfcc=8)
    net = HybridCNNLSTMDynamicRegressor(frame_rate=mfcc.frame_rate, target_hop=0.5, **NET)
    series = np.repeat(np.c_[music.arousal, music.valence][:, None], 3, axis=1)  # 3 steps
    path = tmp_path_factory.mktemp("models") / "dynamic.skds"
    save_model(Pipeline([("mfcc", mfcc), ("dyn", net)]).fit(music.data, series), path)
    code, out, _ = run(capsys, "listen", path, wav, "--no-wait", "--format", "jsonl")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) >= 6 and {"arousal", "valence"} <= set(lines[-1])
    labels = tmp_path / "labels.csv"
    labels.write_text(f"path,arousal,valence\n{wav},0.1,0.2\n")
    for argv in (["predict", path, wav], ["evaluate", path, labels]):
        code, _, err = run(capsys, *argv)
        assert code == 1 and "predicts a series per clip" in err and "listen" in err


# ---------------------------------------------------------------- issue 26, finding 15
@pytest.fixture(scope="module")
def tone_or_noise(tmp_path_factory):
    """A regressor that says (-1, -1) for a soft tone and (+1, +1) for loud noise."""
    rng = np.random.default_rng(0)
    t = np.arange(2 * LOW_SR) / LOW_SR
    tones = [0.1 * np.sin(2 * np.pi * f * t) for f in (220, 330, 440, 550)]
    noises = [0.5 * rng.uniform(-1, 1, t.size) for _ in range(4)]
    waves = [w.astype(np.float32) for w in tones + noises]
    target = np.repeat([[-1.0, -1.0], [1.0, 1.0]], 4, axis=0)
    net = dict(NET, max_epochs=30, lr=0.01, early_stopping=False)
    pipe = Pipeline(
        [
            ("mfcc", MFCCTransformer(sr=LOW_SR, top_db=None, n_mfcc=8, duration=2.0)),
            ("reg", HybridCNNLSTMRegressor(**net)),
        ]
    ).fit(waves, target)
    return save_model(pipe, tmp_path_factory.mktemp("models") / "tone_or_noise.skds")


def test_finding_15_listen_window_follows_the_last_seconds_of_a_long_track(
    capsys, tone_or_noise, tmp_path
):
    # 7 minutes: a soft tone for 6 min 40 s, then 20 s of loud noise
    t = np.arange(400 * LOW_SR) / LOW_SR
    noise = 0.5 * np.random.default_rng(1).uniform(-1, 1, 20 * LOW_SR)
    track = np.concatenate([0.1 * np.sin(2 * np.pi * 330 * t), noise]).astype(np.float32)
    path = tmp_path / "seven_minutes.wav"
    sf.write(path, track, LOW_SR, subtype="PCM_16")
    argv = ["listen", tone_or_noise, path, "--no-wait", "--format", "jsonl", "--every", "30"]
    argv += ["--chunk", "5"]
    code, out, err = run(capsys, *argv)  # default: the last 2 s (the model's clip duration)
    assert code == 0, err
    assert "the last 2 s at each moment" in err
    windowed = [json.loads(line) for line in out.splitlines()]
    code, out, _ = run(capsys, *argv, "--window", "0")  # since the start
    causal = [json.loads(line) for line in out.splitlines()]
    assert windowed[-1]["time"] == pytest.approx(420.0, abs=0.05)  # the last frame
    assert causal[-1]["time"] == pytest.approx(390.0, abs=0.05)  # the last multiple of 30 s
    # the last line is the model's prediction of the last 2 s, computed offline here
    pipe = load_model(tone_or_noise)
    X = pipe[0].set_params(duration=None).transform([str(path)])
    last = pipe[-1].predict(X[:, -int(round(2 * LOW_SR / 512)) :])[0]
    np.testing.assert_allclose([windowed[-1]["arousal"], windowed[-1]["valence"]], last, atol=1e-5)
    # and it hears the noise, while everything since the start is the tone
    assert windowed[-1]["arousal"] > 0.5 > causal[-1]["arousal"] + 0.5
    assert windowed[len(windowed) // 2]["arousal"] < -0.5  # the tone, in the middle


def test_finding_15_listen_windowed_by_default_and_not_for_a_dynamic_model(
    capsys, reg_model, wav, music, tmp_path_factory
):
    from sk_deepsense import HybridCNNLSTMDynamicRegressor
    from sk_deepsense.timeline import predict_timeline

    code, out, err = run(capsys, "listen", reg_model, wav, "--no-wait", "--format", "jsonl")
    assert code == 0 and "the last 30 s at each moment" in err  # MFCCTransformer's duration
    lines = [json.loads(line) for line in out.splitlines()]
    pipe = load_model(reg_model)
    pipe.steps[0] = ("mfcc", pipe[0].set_params(duration=None))
    expected = predict_timeline(pipe, [str(wav)], window=30.0, step=0.5)[0]
    np.testing.assert_allclose([r["time"] for r in lines], expected.times, atol=1e-6)
    got = [[r["arousal"], r["valence"]] for r in lines]
    np.testing.assert_allclose(got, expected.values, atol=1e-5)
    mfcc = MFCCTransformer(top_db=None, n_mfcc=8)
    net = HybridCNNLSTMDynamicRegressor(frame_rate=mfcc.frame_rate, target_hop=0.5, **NET)
    series = np.repeat(np.c_[music.arousal, music.valence][:, None], 3, axis=1)
    path = tmp_path_factory.mktemp("models") / "dynamic.skds"
    save_model(Pipeline([("mfcc", mfcc), ("dyn", net)]).fit(music.data, series), path)
    code, out, err = run(capsys, "listen", path, wav, "--no-wait", "--window", "5")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "series per clip" in err and "--window 0" in err


# ---------------------------------------------------------------- issue 26, finding 10
@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--chunk", "inf", "finite"),
        ("--chunk", "nan", "positive"),
        ("--chunk", "7200", "at most 60"),
        ("--every", "inf", "finite"),
        ("--every", "0", "positive"),
        ("--every", "1e9", "at most 3600"),
        ("--window", "inf", "finite"),
        ("--window", "-1", ">= 0"),
        ("--window", "601", "at most 600"),
        ("--seconds", "inf", "finite"),
    ],
)
def test_finding_10_listen_options_are_checked_before_any_decoding(
    capsys, monkeypatch, reg_model, wav, option, value, says
):
    import sk_deepsense.streaming

    def no_decoding(*args, **kwargs):
        raise AssertionError("the audio was opened before the options were checked")

    monkeypatch.setattr(sk_deepsense.streaming, "read_blocks", no_decoding)
    code, out, err = run(capsys, "listen", reg_model, wav, "--no-wait", option, value)
    assert code == 1 and out == "" and err.count("\n") == 1
    assert f"listen: error: {option} {float(value)}: must be" in err and says in err


def test_finding_10_listen_reads_a_long_file_in_bounded_blocks(reg_model, tmp_path, capsys):
    import tracemalloc

    from sk_deepsense.streaming import read_blocks

    path = tmp_path / "ten_minutes.wav"
    sf.write(path, np.zeros((600 * 8000, 2), dtype=np.int16), 8000, subtype="PCM_16")
    blocks = read_blocks(path, 60.0, SR)
    tracemalloc.start()
    sizes = [len(block) for _, block in blocks]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    block_bytes = 60 * 8000 * 2 * 4  # float32, stereo: the whole file is 10 of them
    assert sizes == [60 * 8000] * 10 and peak < 4 * block_bytes
    # and one long block is analysed 512 frames at a time: memory does not grow with it
    from sk_deepsense.features._streaming import FeatureStream

    features = FeatureStream(load_model(reg_model)[0])
    y = np.random.default_rng(0).normal(size=120 * SR).astype(np.float32)
    tracemalloc.start()
    frames = features.push(y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(frames) == 1 + (120 * SR - 1024) // 512 and peak < 2.5 * y.nbytes
