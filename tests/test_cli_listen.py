"""``sk-deepsense listen``: streaming a file through a saved model, its output and its errors."""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pytest
import soundfile as sf
from sklearn.pipeline import Pipeline

from sk_deepsense import (
    HybridCNNLSTMClassifier,
    HybridCNNLSTMRegressor,
    MFCCTransformer,
    load_model,
    save_model,
)
from sk_deepsense.cli import main
from sk_deepsense.datasets import make_emotion_music

SR = 22050
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
    path = tmp_path_factory.mktemp("models") / f"{name}.skds"
    save_model(pipe.fit(music.data, target), path)
    return path


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
    code, out, err = run(capsys, "listen", reg_model, wav, "--no-wait", "--format", "jsonl")
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
