"""Write the format-1 fixtures (``format1_*``) with sk_deepsense 0.1 (commit 09af104).

Run from a checkout of that commit, e.g.::

    git archive 09af104 sk_deepsense | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old python tests/data/make_format1_fixtures.py tests/data

``tests/test_persistence.py`` checks that today's sk_deepsense refuses
``format1_classifier.skds`` with a clear error (format 1 is not supported: backwards
compatibility starts at the first release, docs/development.rst); the other files it writes
are no longer kept.
"""

import sys


def main(out: str) -> None:
    import joblib
    import numpy as np
    import pandas as pd

    from sk_deepsense import HybridCNNLSTMClassifier, HybridCNNLSTMRegressor
    from sk_deepsense.persistence import save_model

    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 6, 3)).astype(np.float32)
    X[::3, 4:] = np.nan
    signal = np.nanmean(X[:, :, 0], axis=1)
    tiny = dict(
        n_filters=2, lstm_hidden_size=4, n_conv_layers=1, max_epochs=2, batch_size=8,
        random_state=0,
    )  # fmt: skip
    clf = HybridCNNLSTMClassifier(**tiny, n_ensemble=2).fit(X, np.where(signal > 0, "up", "down"))
    save_model(clf, f"{out}/format1_classifier.skds", overwrite=True)
    X2 = pd.DataFrame(X[:, 0, :], columns=["a", "b", "c"])
    reg = HybridCNNLSTMRegressor(**tiny, n_ensemble=1, early_stopping=False).fit(X2, signal * 10)
    save_model(reg, f"{out}/format1_regressor.skds", overwrite=True)
    np.savez(f"{out}/format1_expected.npz", X=X, proba=clf.predict_proba(X), pred=reg.predict(X2))
    joblib.dump({"classifier": clf, "regressor": reg}, f"{out}/format1_models.joblib")


if __name__ == "__main__":
    main(sys.argv[1])
