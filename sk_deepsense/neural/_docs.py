"""The docstring sections the classifier and the regressor share (parameters, attributes)."""

__all__: list[str] = []

_PARAMS_DOC = """
    Parameters
    ----------
    architecture : {"hybrid", "conv1d", "conv2d", "lstm", "hybrid_nolstm"}, default="hybrid"
        The network. ``"hybrid"`` is the model this library is about: filters one frame tall
        under a unidirectional LSTM. The others are the ablations it is measured against
        (see the user guide and the benchmarks page): ``"conv1d"``, a standard 1-D CNN whose
        filters span ``filter_size`` frames and all coefficients, sliding over time;
        ``"conv2d"``, ``filter_size x filter_size`` filters over time and coefficients (after
        Malik et al., 2017); ``"lstm"``, the LSTM on the standardized MFCCs without
        convolutions; ``"hybrid_nolstm"``, the hybrid convolutions and a per-frame dense layer
        of ``lstm_hidden_size`` units, mean- (or last-) pooled without an LSTM. All are
        padding-invariant; ``"conv1d"`` and ``"conv2d"`` are not causal, so their per-frame
        predictions also look a few frames ahead.
    n_filters : int, default=16
        Filters per convolution layer.
    filter_size : int, default=5
        Length of each filter along the coefficient axis. Its height in time is always one
        frame: the hybrid 1-D CNN looks for spectral-envelope patterns inside one frame.
        (For ``"conv1d"`` it is the filter's length in frames, for ``"conv2d"`` both sides.)
    n_conv_layers : int, default=2
        Stacked convolution layers.
    pool_size : int, default=2
        Max-pooling width along the coefficient axis after each convolution (1 disables it;
        ``"conv1d"`` has no coefficient axis to pool and ignores it).
    lstm_hidden_size : int, default=64
        Size of the unidirectional LSTM's state.
    lstm_layers : int, default=1
        Stacked LSTM layers.
    pooling : {"mean", "meanstd", "last"}, default="meanstd"
        Clip summary of the LSTM states: their mean over the real frames; their mean and
        standard deviation (statistics pooling, which tells the output layer how much the
        music changes, as the std features of the classical baselines do); or the last real
        frame's state.
    dropout : float, default=0.2
        Dropout on frame features, between LSTM layers and before the output layer.
    max_epochs : int, default=200
        Maximum passes over the training data (early stopping usually ends sooner: with
        random crops an epoch is one crop per clip).
    batch_size : int, default=32
        Clips per gradient step (and per inference batch).
    lr : float, default=3e-3
        AdamW learning rate.
    weight_decay : float, default=1e-4
        AdamW weight decay.
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the training data{stratified}, stop when its loss
        has not improved for ``patience`` epochs and restore the best epoch's weights.
    validation_fraction : float, default=0.15
        Fraction held out for early stopping.
    patience : int, default=25
        Epochs without validation improvement before stopping.
    train_chunk : int or None, default=128
        Train on pieces of this many frames of each training sequence (about 6 s at
        :class:`~sk_deepsense.LogMelTransformer`'s default 46 ms hop), each labelled with
        its clip's target (see ``chunking``); ``None`` trains on whole sequences. Short
        pieces multiply the training examples and shorten the sequences the LSTM is trained
        on; on 4Q they score better than whole sequences and train faster (see the
        benchmarks page). With ``"consecutive"`` chunks, a clip's last piece is used only if
        it has at least ``train_chunk // 2`` frames (or is the clip's only piece). The
        validation clips of early stopping are split off first and scored whole.
    chunking : {"consecutive", "random"}, default="random"
        How ``train_chunk`` cuts the training clips: ``"consecutive"`` cuts every clip into
        fixed, back-to-back chunks once; ``"random"`` draws one window of ``train_chunk``
        frames at a random offset from every clip in every epoch (data augmentation: an
        epoch then has one example per clip).
    freq_mask : float, default=0.125
        SpecAugment-style masking while training (Park et al., 2019): in every training
        example, one band of consecutive coefficients, up to this fraction of them (width
        and position drawn at random), is set to the training mean. 0: off; 0.125 masks up
        to 8 of 64 mel bands, 2 of 20 MFCCs. Never applied at prediction.
    time_mask : float, default=0.125
        Likewise, one span of consecutive real frames per training example, up to this
        fraction of its frames (16 frames of a 128-frame crop at 0.125). 0: off.
    mixup : float, default=0.2
        Mixup (Zhang et al., 2018): each training batch is blended with a shuffled copy of
        itself, ``lam * x + (1 - lam) * x[perm]`` with ``lam ~ Beta(mixup, mixup)``, and the
        loss is the same blend of the losses against both targets. 0: off; 0.2 to 0.4 is
        usual.
    refit : bool, default=False
        With ``early_stopping``: once early stopping has chosen the number of epochs
        (``best_epoch_``) on its held-out clips, train again from the same initial weights on
        **every** clip for that many epochs, so that no clip is left out of the final model
        (about 1.8x the training time). Requires ``early_stopping=True``.
    predict_window : int or None, default=128
        ``None``: a clip's prediction is one pass of the network over the whole clip. An int:
        the prediction averages the network's outputs over windows of ``predict_window``
        frames that cover the whole clip (class probabilities are averaged for the
        classifier, targets for the regressor), the way the network saw the clips when
        trained on ``train_chunk`` crops. The per-frame predictions
        (``predict_proba_frames`` / ``predict_frames``) always run over the whole clip.
    predict_hop : int or None, default=None
        Frames between the starts of consecutive prediction windows; ``None`` means half a
        window. The last window always ends at the clip's last frame.
    n_ensemble : int, default=3
        Networks trained from different seeds (each with its own validation split) and
        averaged at prediction (class probabilities, or regression targets): less variance
        from one unlucky initialisation, for ``n_ensemble`` times the training and
        prediction cost.
    callbacks : list of (str, skorch.callbacks.Callback) or None, default=None
        Extra skorch callbacks of every network (e.g. ``("progress",
        skorch.callbacks.ProgressBar())``, an LR scheduler, a checkpoint). They come after
        the built-in ones, ``"clip"`` (gradient-norm clipping at 5) and, with
        ``early_stopping``, ``"early_stopping"``; a pair with a built-in's name replaces it,
        and ``(name, None)`` removes it. The same callback objects serve the
        ``n_ensemble`` networks, which train one after the other.
    net_params : dict or None, default=None
        Further arguments of the :class:`skorch.NeuralNet` (skorch's ``prefix__name``
        routing), which override the ones this estimator sets: e.g.
        ``{"optimizer": torch.optim.SGD, "optimizer__momentum": 0.9,
        "iterator_train__num_workers": 2}``. The defaults are AdamW (``lr``,
        ``weight_decay``), ``max_epochs``, ``batch_size``, shuffled training batches and the
        module's hyperparameters as ``module__*``. A name skorch does not know is refused
        by the parameter check, before any training.
    warm_start : bool, default=False
        Whether a second ``fit`` trains the fitted networks further (for up to
        ``max_epochs`` more epochs, their optimizer state and ``history_`` carrying on;
        early stopping on a new validation split) instead of training new ones. Not with
        ``refit``. The standardization statistics stay those of the first fit, and the new
        data must have the same coefficients{warm_classes}.
    device : str or torch.device, default="cpu"
        Torch device to train and predict on: a name ``torch.device`` accepts (``"cpu"``,
        ``"cuda"``, ``"cuda:1"``, ``"mps"``) or ``"auto"`` (CUDA when available). Other
        names (``"gpu"``) are refused by the parameter check, and ``fit`` refuses a device
        this machine cannot use before it trains.
    mixed_precision : bool, default=False
        Run the network's forward passes under bfloat16 autocast (convolutions, LSTM and
        dense layers in bfloat16; the loss, the optimizer step and the outputs in float32).
        Faster on GPUs with bfloat16 units (Ampere and later) and safe without loss scaling,
        since bfloat16 keeps float32's range; outputs differ from float32 ones by about 1e-3.
        On CPUs without bfloat16 instructions it is usually slower: keep it off there.
    n_threads : int or None, default=1
        Torch intra-op (and BLAS) threads during ``fit`` and ``predict``, set for the call
        and restored afterwards; ``None`` leaves the process's setting (by default, one
        thread per core). One thread is the default because these networks are small: on 2
        cores a second thread speeds one fit up by well under 2x, while two processes that
        each use every core (two fits, a grid search with ``n_jobs=2`` beside anything
        else) slow each other down many times over; with one thread per fit, parallel fits
        scale with the cores and a seeded fit gives the same model whatever the number of
        cores (see the user guide's thread policy).
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, batch shuffling, dropout and the validation split. The
        same seed gives the same model on the same CPU with the same number of torch threads
        (``n_threads``; summation order, hence rounding, depends on both, and
        training amplifies rounding: on another CPU, expect a fit as different as one with
        another seed). Torch's global random state is left as it was.
    verbose : int, default=0
        ``>0`` prints skorch's table of epochs to standard error, one per network, each
        headed ``network i of n_ensemble:``, coloured only when standard error is a
        terminal (and ``NO_COLOR`` is unset).{class_weight}
"""

_CLASS_WEIGHT_DOC = """
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the cross-entropy loss (the criterion's ``weight``):
        ``{label: weight}`` (classes not named weigh 1), ``"balanced"`` (``n_samples /
        (n_classes * count)``, as :func:`sklearn.utils.class_weight.compute_class_weight`),
        or ``None`` (all 1). The validation loss of early stopping is weighted alike."""

_ATTRS_DOC = """
    n_features_in_ : int
        Coefficients per frame seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a DataFrame (2-D input only).
    net_ : skorch.NeuralNet
        The trained skorch net (module, optimizer, callbacks); its module is a
        :class:`~sk_deepsense.neural.HybridCNNLSTMModule`. With ``n_ensemble > 1``, the
        first of ``nets_``.
    nets_ : list of skorch.NeuralNet
        All ``n_ensemble`` trained nets (``[net_]`` for one).
    n_parameters_ : int
        Trainable and fixed parameters of the network (of all of them, with
        ``n_ensemble > 1``; buffers excluded).
    history_ : skorch.History
        Per-epoch training (and validation) loss, e.g. ``history_[:, "valid_loss"]``, of the
        first network. With ``refit``, the history of the run that chose the epoch count
        (``net_.history`` is the refit's).
    best_epoch_ : int or None
        The epoch whose weights early stopping kept (1-based) in the first network, or
        ``None`` without early stopping.
"""

_NOTES_DOC = """
    Notes
    -----
    Input is ``(n_samples, n_frames, n_coefficients)``: rows are time frames. Frames that are
    entirely NaN at the end of a sequence are padding (what
    :class:`~sk_deepsense.MFCCTransformer` produces for shorter clips): they are masked, so
    adding or removing padding never changes a prediction. 2-D input
    ``(n_samples, n_coefficients)`` is read as sequences of one frame.

    Each frame is standardized per coefficient (statistics learned in ``fit`` over real
    frames), convolved on its own with ``1 x filter_size`` filters sliding along the
    coefficients, and the sequence of frame features goes through a unidirectional LSTM, the
    only place frames interact. The output at frame t therefore depends on frames ``<= t``
    only, which makes the per-frame (dynamic) predictions meaningful.

    The estimator stores only hyperparameters; ``fit`` derives sizes from the data and builds
    a :class:`skorch.NeuralNet` as ``net_`` (composition, not subclassing), so it clones,
    pickles and grid-searches like any scikit-learn estimator.
"""
