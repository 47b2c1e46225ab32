"""The emotion model shipped in the package: load_pretrained, the command line's ``builtin``,
and the arousal/valence position of quadrant records."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from sk_deepsense import load_pretrained
from sk_deepsense.cli import main
from sk_deepsense.datasets import make_emotion_music
from sk_deepsense.exceptions import ParameterError
from sk_deepsense.library import quadrant_position
from sk_deepsense.persistence import PRETRAINED

from .conftest import REPO, shared_data

QUADRANTS = ["Q1", "Q2", "Q3", "Q4"]


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """One generated 10-s clip per quadrant, as WAV files."""
    out = tmp_path_factory.mktemp("generated")
    data = make_emotion_music(4, output_dir=out, random_state=0)
    return [str(f) for f in data.filenames]


@pytest.fixture(scope="module")
def model():
    return load_pretrained()


def test_the_shipped_model_is_the_recommended_head_trained_on_4q(model):
    from sklearn.linear_model import LogisticRegression

    from sk_deepsense import MusicnnTransformer
    from sk_deepsense.recommended import RECOMMENDED_C

    entry = PRETRAINED["4q-quadrants"]
    assert entry.path.is_file() and entry.path.suffix == ".skds"
    assert entry.path.stat().st_size < 100_000  # the head only: the front end is referenced
    assert [str(c) for c in model.classes_] == QUADRANTS == list(entry.classes)
    front, head = model.steps[0][1], model.steps[-1][1]
    assert isinstance(front, MusicnnTransformer) and front.memory is None  # no path of ours
    clf = head.steps[-1][1]
    assert isinstance(clf, LogisticRegression) and clf.C == RECOMMENDED_C
    # mean and std of 200 penultimate units and 50 tags
    assert clf.coef_.shape == (4, 500) and np.isfinite(clf.coef_).all()


def test_it_predicts_the_quadrants_of_generated_audio(model, clips):
    proba = model.predict_proba(clips)
    assert proba.shape == (4, 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    labels = model.predict(clips)
    assert set(labels) <= set(QUADRANTS)
    assert list(labels) == [QUADRANTS[i] for i in proba.argmax(axis=1)]


def test_an_unknown_name_lists_the_shipped_ones():
    with pytest.raises(ParameterError, match=r"no pre-trained model named 'nope'; shipped: '4q"):
        load_pretrained("nope")


def test_predict_builtin_prints_a_quadrant_its_probabilities_and_its_position(capsys, clips):
    assert main(["predict", "builtin", *clips, "--format", "jsonl", "-q"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["path"] for r in records] == clips
    for r in records:
        assert r["label"] in QUADRANTS and list(r["probabilities"]) == QUADRANTS
        # the library map's position of the record's own probabilities
        a, v = quadrant_position(r["probabilities"])
        assert (r["arousal"], r["valence"]) == (round(a, 4), round(v, 4))
    assert main(["predict", "builtin:4q-quadrants", clips[0], "-q"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["path", "label", "arousal", "valence"]


def test_an_unknown_builtin_model_is_one_line(capsys, clips):
    assert main(["predict", "builtin:nope", clips[0]]) == 1
    err = capsys.readouterr().err
    assert err == (
        "sk-deepsense predict: error: MODEL 'builtin:nope': no such built-in model; "
        "shipped: builtin:4q-quadrants\n"
    )


def test_listen_says_why_the_builtin_model_does_not_stream(capsys, clips):
    assert main(["listen", "builtin", clips[0]]) == 1
    assert "musicnn reads 3-s patches" in capsys.readouterr().err


def test_records_of_other_classes_get_no_position():
    from sklearn.linear_model import LogisticRegression

    from sk_deepsense.batch import prediction_records

    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    clf = LogisticRegression().fit(X, ["calm", "calm", "tense", "tense"])
    records = prediction_records(clf, X[:1], ["a.wav"], decimals=4)
    assert set(records[0]) == {"path", "label", "probabilities"}
    quadrants = LogisticRegression().fit(X, QUADRANTS)
    record = prediction_records(quadrants, X[:1], ["a.wav"], decimals=4)[0]
    a, v = quadrant_position(record["probabilities"])
    assert (record["arousal"], record["valence"]) == (round(a, 4), round(v, 4))


@pytest.mark.slow
@pytest.mark.realdata
def test_the_training_script_reproduces_the_shipped_predictions(tmp_path):
    data = shared_data("4q-dev")
    done = subprocess.run(
        [sys.executable, str(REPO / "tools" / "train_builtin_model.py"), str(data), "--check"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "labels equal: True" in done.stdout


def test_the_map_reads_builtin_records_with_their_position(capsys, clips, tmp_path):
    from sk_deepsense.library import read_records

    for fmt in ("jsonl", "csv"):
        out = tmp_path / f"music.{fmt}"
        assert main(["predict", "builtin", *clips, "--format", fmt, "-o", str(out), "-q"]) == 0
        library = read_records(out)
        assert library.kind == "classifier" and len(library.tracks) == 4
        for track in library.tracks:
            a, v = quadrant_position(track.probabilities)
            assert (track.arousal, track.valence) == pytest.approx((a, v))


def test_evaluate_builtin_scores_a_labels_csv(capsys, clips, tmp_path):
    from sk_deepsense.datasets import quadrant_from_av

    data = make_emotion_music(4, random_state=0, return_X_y=False)  # the clips' own targets
    labels = quadrant_from_av(data.arousal, data.valence)
    csv = tmp_path / "labels.csv"
    csv.write_text(
        "path,label\n" + "".join(f"{p},{q}\n" for p, q in zip(clips, labels, strict=True))
    )
    assert main(["evaluate", "builtin", str(csv), "--format", "json", "-q"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "builtin" and 0.0 <= result["scores"]["accuracy"] <= 1.0


def test_a_parameter_marked_deprecated_is_left_unset_for_an_older_scikit_learn():
    import inspect

    from sklearn.linear_model import LogisticRegression as Current

    from sk_deepsense.persistence._load import _drop_unset

    class LogisticRegression:  # as scikit-learn before 1.8 declares it
        def __init__(self, penalty="l2", C=1.0):
            pass

    params = {"penalty": "deprecated", "C": 0.01}
    _drop_unset(LogisticRegression, params)
    assert params == {"C": 0.01}  # this version's default applies
    params = {"penalty": "l1", "C": 0.01}
    _drop_unset(LogisticRegression, params)
    assert params == {"penalty": "l1", "C": 0.01}  # a value that was set stays
    params = {"penalty": "deprecated"}
    _drop_unset(Current, params)
    default = inspect.signature(Current).parameters["penalty"].default
    assert params == ({} if default != "deprecated" else {"penalty": "deprecated"})
