"""Fitted models and data shared by test_plotting.py and test_timeline.py.

Import the fixtures by name into a test module (``from ._fitted_models import ...``); they
are module-scoped, so each module fits its tiny models once.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from sk_deepsense import HybridCNNLSTMClassifier, MFCCTransformer

TINY = dict(
    max_epochs=2,
    n_filters=4,
    lstm_hidden_size=4,
    n_conv_layers=1,
    batch_size=8,
    random_state=0,
    n_ensemble=1,
)
SR, HOP = 8000, 256


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt = sys.modules.get("matplotlib.pyplot")  # loaded only if something drew with pyplot
    if plt is not None:
        plt.close("all")


# ---------------------------------------------------------------------------- fitted models
@pytest.fixture(scope="module")
def mfcc_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 20, 5)).astype("float32")
    X[3, 14:] = np.nan  # clip 3: 14 real frames
    y = np.array(["calm", "happy", "sad"])[np.arange(12) % 3]
    return X, y


@pytest.fixture(scope="module")
def fitted_clf(mfcc_data):
    X, y = mfcc_data
    # early stopping on (the default): the history has valid_loss and valid_loss_best
    return HybridCNNLSTMClassifier(**{**TINY, "max_epochs": 3}).fit(X, y)


@pytest.fixture(scope="module")
def waveforms():
    rng = np.random.default_rng(1)
    t = np.arange(SR) / SR
    waves = [np.sin(2 * np.pi * f * t).astype("float32") for f in rng.uniform(200, 2000, 6)]
    waves[2] = waves[2][: SR // 2]  # half a second: padded by MFCCTransformer(duration=1.0)
    return waves


@pytest.fixture(scope="module")
def audio_pipeline(waveforms):
    pipe = make_pipeline(
        MFCCTransformer(duration=1.0, sr=SR, hop_length=HOP),
        HybridCNNLSTMClassifier(**TINY, early_stopping=False),
    )
    return pipe.fit(waveforms, ["low", "high"] * 3)
