"""What a benchmark run returns: per-fold rows, their summary, the table and the files."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._csv_cells import escape_row

__all__ = ["RESULT_FILES", "BenchmarkResult"]

#: The files :meth:`BenchmarkResult.save` writes (the plot last, when asked for).
RESULT_FILES = ("folds.csv", "summary.csv", "results.json", "scores.png")


@dataclass
class BenchmarkResult:
    """Per-fold rows and their summary, as :func:`~sk_deepsense.benchmark.run_benchmark` gives.

    Attributes
    ----------
    folds : list of dict
        One row per (model, fold): scores, ``fit_s``, ``predict_s``, ``n_parameters``,
        ``epochs`` (networks), ``peak_rss_mib`` (peak resident memory of the process that ran
        the fit, up to its end).
    task : str
        ``"classification"`` or ``"regression"``.
    metrics : list of str
        Score columns, in table order.
    info : dict
        Free-form context (dataset, features, speed section, environment) for the JSON file.
    networks : list of str
        The models that train a network (:func:`~sk_deepsense.benchmark.is_network`), drawn
        in the networks' colour.
    """

    folds: list[dict[str, Any]]
    task: str
    metrics: list[str]
    info: dict[str, Any] = field(default_factory=dict)
    networks: list[str] = field(default_factory=list)

    def summary(self) -> list[dict[str, Any]]:
        """Mean and standard deviation over folds of each metric, per model (table order).

        Returns
        -------
        summary : list of dict
            One row per model: ``folds``, each metric and ``{metric}_std`` (population
            standard deviation over folds), ``fit_s``, ``predict_s`` (and their ``_std``),
            ``n_parameters``, ``epochs`` (mean; ``""`` for models without epochs),
            ``train_clips_per_s`` (clip-epochs per second of fitting), ``predict_clips_per_s``
            and ``peak_rss_mib``.
        """
        import pandas as pd

        df = pd.DataFrame(self.folds)
        epochs = pd.to_numeric(df["epochs"], errors="coerce")  # "" (no epochs) -> NaN
        df = df.assign(epochs=epochs, clip_epochs=df["n_train"] * epochs.fillna(1))
        cols = [*self.metrics, "fit_s", "predict_s"]
        groups = df.groupby("model", sort=False)
        mean, std = groups[cols].mean(), groups[cols].std(ddof=0)
        total = groups[["clip_epochs", "fit_s", "n_test", "predict_s"]].sum()
        other = groups.agg(
            folds=("fold", "size"),
            n_parameters=("n_parameters", "first"),
            epochs=("epochs", "mean"),
            peak_rss_mib=("peak_rss_mib", "max"),
        )
        out = []
        for name in mean.index:
            row: dict[str, Any] = {"model": name, "folds": int(other.at[name, "folds"])}
            for m in cols:
                row[m] = float(mean.at[name, m])
                row[f"{m}_std"] = float(std.at[name, m])
            row["n_parameters"] = other.at[name, "n_parameters"]
            row["epochs"] = (
                "" if pd.isna(other.at[name, "epochs"]) else float(other.at[name, "epochs"])
            )
            row["train_clips_per_s"] = float(
                total.at[name, "clip_epochs"] / total.at[name, "fit_s"]
            )
            row["predict_clips_per_s"] = float(
                total.at[name, "n_test"] / max(total.at[name, "predict_s"], 1e-9)
            )
            row["peak_rss_mib"] = float(other.at[name, "peak_rss_mib"])
            out.append(row)
        return out

    def table(self) -> str:
        """Format the summary as a Markdown table (mean ± std over folds)."""
        head = ["model", *self.metrics, "fit s", "predict s", "parameters", "epochs"]
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
        for s in self.summary():
            cells = [s["model"]]
            cells += [f"{s[m]:.3f} ± {s[m + '_std']:.3f}" for m in self.metrics]
            cells += [f"{s['fit_s']:.1f}", f"{s['predict_s']:.2f}"]
            cells.append(f"{s['n_parameters']:,}" if s["n_parameters"] != "" else "")
            cells.append(f"{s['epochs']:.0f}" if s["epochs"] != "" else "")
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def save(self, out_dir: str | os.PathLike, *, plot: bool = True) -> list[Path]:
        """Write ``folds.csv``, ``summary.csv``, ``results.json`` and ``scores.png``.

        Parameters
        ----------
        out_dir : str or os.PathLike
            Folder (created if needed). Files of an earlier run there are replaced.
        plot : bool, default=True
            Also draw the main metric per model with its standard deviation over folds.

        Returns
        -------
        paths : list of Path
            The files written.
        """
        out = Path(out_dir).expanduser()
        out.mkdir(parents=True, exist_ok=True)
        written = [out / name for name in RESULT_FILES[:3]]
        for path, rows in ((written[0], self.folds), (written[1], self.summary())):
            with path.open("w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(escape_row(row) for row in rows)  # no cell runs as a formula
        payload = {
            "task": self.task,
            "metrics": self.metrics,
            "summary": self.summary(),
            "folds": self.folds,
            "info": self.info,
        }
        written[2].write_text(json.dumps(payload, indent=2, default=str))
        if plot:
            written.append(self._plot(out / RESULT_FILES[3]))
        return written

    def _plot(self, path: Path) -> Path:
        from ..plotting import new_figure  # no pyplot, no backend switch

        metric = "macro_f1" if self.task == "classification" else self.metrics[-1]
        summary = self.summary()
        names = [s["model"] for s in summary]
        fig, ax = new_figure(figsize=(7, 0.45 * len(names) + 1.2))
        colors = ["C1" if n in self.networks else "C0" for n in names]
        ax.barh(
            names,
            [s[metric] for s in summary],
            xerr=[s[metric + "_std"] for s in summary],
            color=colors,
            capsize=3,
        )
        ax.invert_yaxis()
        ax.set_xlabel(f"{metric} (mean ± std over {summary[0]['folds']} folds)")
        title = self.info.get("dataset", "")
        ax.set_title(f"{title}\nclassical baselines (blue), networks (orange)", fontsize=10)
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        return path
