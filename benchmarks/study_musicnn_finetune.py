"""Fine-tune the top of musicnn (its back end) on 4q-dev, against the frozen front end.

    OMP_NUM_THREADS=2 python benchmarks/study_musicnn_finetune.py ../shared/data/4q-dev \
        --cache CACHE

The per-patch pools of ``MSD_musicnn`` (extracted once into ``CACHE`` by
``study_musicnn_heads.py``'s ``extract``) go through a copy of musicnn's back end
(``pool_bn -> dense 1506->200 -> ReLU -> dense_bn``, the pre-trained weights, batch-norm
statistics kept), then the mean and standard deviation over the clip's patches and a new
linear layer to the classes. Trained with AdamW (head lr 1e-2; back end lr 0, 1e-4 or
1e-3: frozen or fine-tuned), 40 epochs, batches of 32 clips, on the benchmark's
artist-grouped 5 folds for seeds 0, 1, 2; macro-F1 per seed. Compare with the logistic
regression of ``make_recommended`` on the same folds (``study_musicnn_heads.py``).
"""

import argparse
import copy
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
from sklearn.metrics import f1_score
from study_musicnn_heads import extract  # noqa: E402

from sk_deepsense.model_selection import make_splits
from sk_deepsense.neural._musicnn import load_musicnn

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("data", type=Path)
parser.add_argument("--cache", type=Path, required=True)
args = parser.parse_args()
from sk_deepsense.datasets import load_4q  # noqa: E402

data = load_4q(args.data)
y, g = np.asarray(data.target), np.asarray(data.groups)
msd = extract(data.filenames, "MSD_musicnn", args.cache)[0]
classes, yi = np.unique(y, return_inverse=True)
mx, mn = msd[:, :, 200:953], msd[:, :, 953:1706]
pools = np.stack([mx, mn], axis=3).reshape(len(y), msd.shape[1], 1506)  # interleaved, NaN padded
valid = ~np.isnan(pools).any(axis=2)
net = load_musicnn()


class Head(torch.nn.Module):
    """musicnn's back end (a copy, pre-trained), mean/std over patches, a new linear layer."""

    def __init__(self):
        super().__init__()
        self.pool_bn, self.dense, self.dense_bn = (
            copy.deepcopy(m) for m in (net.pool_bn, net.dense, net.dense_bn)
        )
        self.out = torch.nn.Linear(400, len(classes))

    def forward(self, x, m):
        """Class logits of clips ``x`` (b, patches, 1506) whose real patches ``m`` marks."""
        b, p, d = x.shape
        z = self.dense_bn(F.relu(self.dense(self.pool_bn(x.reshape(b * p, d)))))
        z = z.reshape(b, p, -1)
        w = m[..., None].float()
        mean = (z * w).sum(1) / w.sum(1)
        std = (((z - mean[:, None]) ** 2 * w).sum(1) / w.sum(1)).clamp_min(1e-8).sqrt()
        return self.out(torch.cat([mean, std], 1))


def fit_predict(tr, te, seed, lr_back, epochs=40):
    """Train on clips ``tr`` (back end at ``lr_back``, 0: frozen), predict clips ``te``."""
    torch.manual_seed(seed)
    h = Head()
    X = torch.from_numpy(np.nan_to_num(pools)).float()
    M = torch.from_numpy(valid)
    Y = torch.from_numpy(yi)
    params = [{"params": h.out.parameters(), "lr": 1e-2, "weight_decay": 1e-2}]
    if lr_back > 0:
        params.append(
            {
                "params": [p for n, p in h.named_parameters() if not n.startswith("out")],
                "lr": lr_back,
                "weight_decay": 1e-2,
            }
        )
    else:
        for n, p in h.named_parameters():
            if not n.startswith("out"):
                p.requires_grad_(False)
    opt = torch.optim.AdamW(params)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        h.train()
        h.pool_bn.eval()  # the pre-trained batch-norm statistics are kept
        h.dense_bn.eval()
        for b in np.array_split(rng.permutation(tr), max(1, len(tr) // 32)):
            opt.zero_grad()
            loss = F.cross_entropy(h(X[b], M[b]), Y[b])
            loss.backward()
            opt.step()
    h.eval()
    with torch.no_grad():
        return h(X[te], M[te]).argmax(1).numpy()


for lr_back in (0.0, 1e-4, 1e-3):
    t0 = time.perf_counter()
    per = []
    for seed in (0, 1, 2):
        s = [
            f1_score(yi[te], fit_predict(tr, te, seed, lr_back), average="macro")
            for tr, te in make_splits(y, g, n_splits=5, random_state=seed)
        ]
        per.append(np.mean(s))
    seconds = time.perf_counter() - t0
    shown = [round(float(p), 3) for p in per]
    print(f"back end lr {lr_back}: {np.mean(per):.3f} per seed {shown} ({seconds:.0f} s)")
