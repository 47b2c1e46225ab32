r"""Hybrid CNN+LSTM vs its ablations and classical baselines on identical folds.

A thin wrapper around ``sk-deepsense benchmark`` (see ``--help``); e.g. the 4Q
table of the docs::

    python benchmarks/bench_models.py --dataset 4q --data-dir ../shared/data/4q-dev \
        --folds 5 --n-jobs 2 -o benchmarks/results/4q
"""

import sys

from sk_deepsense.cli import main

if __name__ == "__main__":
    sys.exit(main(["benchmark", *sys.argv[1:]]))
