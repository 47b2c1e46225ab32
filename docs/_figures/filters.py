"""Figure of the user guide: where each kind of CNN filter looks in an MFCC sequence."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, Rectangle

rng = np.random.default_rng(3)
n_frames, n_coef = 12, 10
mfcc = rng.normal(size=(n_coef, n_frames)).cumsum(axis=1) * 0.4  # smooth-ish in time

panels = [
    ("2-D CNN filter (k × k)", (4, 3, 3, 3), [("right", "time"), ("up", "coefficients")]),
    ("1-D CNN filter (T′ frames × all N)", (4, 0, 3, n_coef), [("right", "time")]),
    ("hybrid filter (1 frame × k)", (6, 3, 1, 3), [("up", "coefficients, inside frame t")]),
]

fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), sharey=True)
for ax, (title, (x, y, w, h), moves) in zip(axes, panels, strict=True):
    ax.imshow(
        mfcc,
        origin="lower",
        aspect="auto",
        cmap="Greys",
        alpha=0.55,
        extent=(0, n_frames, 0, n_coef),
    )
    ax.add_patch(Rectangle((x, y), w, h, fill=False, edgecolor="C3", linewidth=2.5))
    for direction, label in moves:
        if direction == "right":
            start, end, text_xy = (x + w + 0.2, y + h / 2), (x + w + 2.2, y + h / 2), None
        else:
            start, end, text_xy = (x + w / 2, y + h + 0.2), (x + w / 2, y + h + 2.2), None
        ax.add_patch(
            FancyArrowPatch(
                start, end, arrowstyle="-|>", mutation_scale=14, color="C3", linewidth=1.8
            )
        )
        ax.annotate(label, end, xytext=(4, 2), textcoords="offset points", color="C3", fontsize=8.5)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("time frame →")
    ax.set_xticks(range(0, n_frames + 1, 2))
axes[0].set_ylabel("MFCC coefficient →")
axes[2].axvline(6, color="C0", linewidth=0.8, linestyle=":")
axes[2].axvline(7, color="C0", linewidth=0.8, linestyle=":")
fig.suptitle(
    "Where a filter looks in an MFCC sequence (grey: one clip, time × coefficients)", fontsize=11
)
fig.tight_layout()
