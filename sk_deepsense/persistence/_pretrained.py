"""The trained models shipped inside the package, and :func:`load_pretrained`."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..exceptions import ParameterError
from ._format import ModelVersionWarning
from ._load import load_model

__all__ = ["DEFAULT_PRETRAINED", "PRETRAINED", "PretrainedModel", "load_pretrained"]


@dataclass(frozen=True)
class PretrainedModel:
    """One model shipped in ``sk_deepsense/pretrained/``.

    Attributes
    ----------
    name : str
        The name :func:`load_pretrained` takes.
    file : str
        Its ``.skds`` file in ``sk_deepsense/pretrained/``.
    task : {"classification", "regression"}
        What it predicts.
    classes : tuple of str
        Its labels, in the order of its probabilities.
    summary : str
        One line for listings.
    """

    name: str
    file: str
    task: str
    classes: tuple[str, ...]
    summary: str

    @property
    def path(self) -> Path:
        """The file, inside the installed package."""
        return Path(str(resources.files("sk_deepsense") / "pretrained" / self.file))


#: The models shipped with the package, by name (``tools/train_builtin_model.py`` builds them).
PRETRAINED: dict[str, PretrainedModel] = {
    "4q-quadrants": PretrainedModel(
        name="4q-quadrants",
        file="4q_quadrants.skds",
        task="classification",
        classes=("Q1", "Q2", "Q3", "Q4"),
        summary="Russell quadrant of a song (musicnn + logistic regression, trained on 4Q)",
    ),
}


#: The model :func:`load_pretrained` and the command line's ``builtin`` give by default.
DEFAULT_PRETRAINED = "4q-quadrants"


def load_pretrained(name: str = DEFAULT_PRETRAINED) -> Any:
    """Return a trained emotion model shipped with the package: no data, no training.

    The model is a fitted pipeline on audio paths, as :func:`~sk_deepsense.load_model`
    returns it (the file is read safely: nothing in it runs). The command line takes it as
    the MODEL ``builtin`` (``sk-deepsense predict builtin song.mp3 ~/Music``; ``evaluate``
    too; ``listen`` says why it cannot stream it).

    **Model card of** ``"4q-quadrants"``

    *What it predicts.* The quadrant of Russell's arousal-valence plane that a piece of music
    expresses, with a probability for each: ``Q1`` high arousal, positive valence (happy,
    exuberant), ``Q2`` high arousal, negative valence (angry, tense), ``Q3`` low arousal,
    negative valence (sad, depressed), ``Q4`` low arousal, positive valence (calm,
    relaxed). The probabilities also place a track on the plane (the probability-weighted
    quadrant centres, as the library map does: ``predict --format`` prints it).

    *The model.* :func:`~sk_deepsense.make_recommended`: the pre-trained ``MSD_musicnn``
    tagger shipped with the package (Pons & Serra, 2019; ISC licence, weights referenced by
    their checksum, not copied), the mean and standard deviation of its penultimate layer
    and tag probabilities over the 3-s patches of the first 30 s of a clip, a standardiser
    and a logistic regression (``C=0.01``). Only the last two were trained here.

    *Training data.* All 400 clips of ``4q-dev``, a part of the 4Q audio emotion dataset
    (Panda, Malheiro & Paiva, "Novel audio features for music emotion recognition", IEEE
    Transactions on Affective Computing, 2018): 100 clips per quadrant, 294 artists, clips
    of 10 to 30 s (AllMusic samples), labelled with the quadrant that AllMusic's mood tags
    point to (as the paper describes). Mostly Western popular music: of the genres
    AllMusic gives, 157 clips are Pop/Rock, 78 Jazz, 63 Electronic, 48 International, 44
    Vocal, 42 Blues, 39 Country, 38 R&B, 32 Latin, 29 Rap (a clip may have several).
    Built by ``tools/train_builtin_model.py`` from these clips only; nothing else was
    tuned on other data. The file holds the head (the standardiser's and the regression's
    coefficients) and no audio or features of the clips.

    *How well.* The same recipe, cross-validated on ``4q-dev`` with artist-grouped 5-fold
    splits (no artist on both sides) over three shufflings: macro-F1 0.712 ± 0.067 over the
    15 folds, against 0.630 ± 0.087 for the descriptor SVM on the same folds
    (:doc:`/benchmarks`, with the command). Expect that, roughly, on music like the
    training data by artists it has not heard; the fold-to-fold spread says how roughly.

    *Where not to trust it.* Music unlike the training data: classical, non-Western
    traditions, field recordings, speech, sound effects; music whose emotion changes within
    the first 30 s it hears. The labels are one quadrant per clip from tags, not listeners'
    ratings. A whole song (or a clip longer than 30 s) is cut into 30-s windows, each
    predicted, and the song's probabilities are the mean over the windows
    (:func:`~sk_deepsense.predict_files`); a song that is sad, then furious, comes out in
    between. It does not stream (``listen`` refuses it: its 3-s patches would answer 3 s
    late).

    *Licences.* The head was trained by this project (BSD-3-Clause, as the package); the
    musicnn weights are ISC (``sk_deepsense/pretrained/LICENSE-musicnn.txt``). The 4Q
    dataset's release states no licence; its clips are not in the package.

    Parameters
    ----------
    name : str, default="4q-quadrants"
        A key of :data:`PRETRAINED`.

    Returns
    -------
    sklearn.pipeline.Pipeline
        The fitted model: ``predict`` and ``predict_proba`` take audio file paths.

    Raises
    ------
    ParameterError
        If ``name`` is not a shipped model (the message lists them).

    Examples
    --------
    >>> from sk_deepsense import load_pretrained
    >>> model = load_pretrained()
    >>> [str(c) for c in model.classes_]
    ['Q1', 'Q2', 'Q3', 'Q4']
    """
    entry = PRETRAINED.get(name)
    if entry is None:
        shipped = ", ".join(repr(n) for n in PRETRAINED)
        raise ParameterError(f"no pre-trained model named {name!r}; shipped: {shipped}")
    # Saved with the versions of its day, and tested with the floor and the newest supported
    # versions in CI: the warning for a model of other versions (re-save it) is not the
    # user's to act on here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelVersionWarning)
        return load_model(entry.path)
