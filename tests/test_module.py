"""The torch module: one-frame-tall filters, causality, padding invariance."""

from __future__ import annotations

import pytest
import torch

from sk_deepsense.neural import ARCHITECTURES, CAUSAL_ARCHITECTURES, HybridCNNLSTMModule
from sk_deepsense.neural._params import module_defaults

from .conftest import BATCH_ATOL, BATCH_RTOL

# Outputs computed in batches of another shape agree within BATCH_RTOL/BATCH_ATOL (float32
# summation order); outputs of batches of the same shape are compared with the defaults.
CLOSE = dict(rtol=BATCH_RTOL, atol=BATCH_ATOL)


def build(*, n_coefficients, n_outputs, feature_mean=None, feature_scale=None, **settings):
    """A clip-level module: the declared default settings, ``settings`` overriding them."""
    return HybridCNNLSTMModule(
        n_coefficients=n_coefficients,
        n_outputs=n_outputs,
        feature_mean=feature_mean,
        feature_scale=feature_scale,
        frame_outputs=settings.pop("frame_outputs", False),
        **module_defaults(**settings),
    )


@pytest.fixture
def module():
    m = build(
        n_coefficients=12, n_outputs=3, n_filters=4, filter_size=3, lstm_hidden_size=8, dropout=0.0
    )
    return m.eval()


def batch(n=3, t=10, c=12):
    return torch.randn(n, t, c), torch.tensor([t, t - 3, 4][:n])


def test_convolution_sees_one_frame_only(module):
    x, lengths = batch()
    before = module.frame_features(x, lengths)
    x2 = x.clone()
    x2[0, 5] += 1.0
    after = module.frame_features(x2, lengths)
    changed = (after - before).abs().sum(dim=2) > 0
    assert changed[0, 5]
    changed[0, 5] = False
    assert not changed.any(), "a frame's convolution features depend on another frame"


@pytest.mark.parametrize("pooling", ["mean", "meanstd", "last"])
def test_output_at_frame_t_ignores_later_frames(pooling):
    torch.manual_seed(0)
    m = build(
        n_coefficients=12, n_outputs=3, n_filters=4, lstm_hidden_size=8, pooling=pooling
    ).eval()
    x, lengths = batch()
    out = m.forward_frames(x, lengths)
    x2 = x.clone()
    x2[:, 6:] = torch.randn_like(x2[:, 6:]) * 5
    out2 = m.forward_frames(x2, lengths)
    torch.testing.assert_close(out[:, :6], out2[:, :6])
    assert not torch.allclose(out[0, 6:], out2[0, 6:]), "later frames must matter later"


def test_frame_output_equals_clip_output_of_the_prefix(module):
    x, lengths = batch()
    frames = module.forward_frames(x, lengths)
    for t in (0, 3, 9):
        clip = module(x[:1, : t + 1], torch.tensor([t + 1]))
        torch.testing.assert_close(frames[0, t], clip[0], **CLOSE)


def test_padding_values_and_amount_do_not_matter(module):
    x, lengths = batch()
    out = module(x, lengths)
    padded = torch.cat([x, torch.randn(3, 7, 12) * 100], dim=1)
    padded[1, 7:10] = 1e6  # garbage where sample 1 is already padding
    torch.testing.assert_close(module(padded, lengths), out)


def test_each_sample_is_independent_of_its_batch(module):
    x, lengths = batch()
    full = module(x, lengths)
    for i in range(3):
        torch.testing.assert_close(
            module(x[i : i + 1, : lengths[i]], lengths[i : i + 1])[0], full[i], **CLOSE
        )


def test_standardization_buffers_are_applied():
    m = build(
        n_coefficients=2,
        n_outputs=1,
        feature_mean=[10.0, -5.0],
        feature_scale=[2.0, 4.0],
        filter_size=1,
        pool_size=1,
    ).eval()
    ref = build(n_coefficients=2, n_outputs=1, filter_size=1, pool_size=1).eval()
    ref.load_state_dict(
        {k: v for k, v in m.state_dict().items() if "feature_" not in k}, strict=False
    )
    x = torch.randn(1, 4, 2)
    lengths = torch.tensor([4])
    standardized = (x - torch.tensor([10.0, -5.0])) / torch.tensor([2.0, 4.0])
    torch.testing.assert_close(m(x, lengths), ref(standardized, lengths))


def test_lstm_is_unidirectional(module):
    assert module.lstm.bidirectional is False


# ---------------------------------------------------------------------------- the ablations
def ablation(architecture, **kw):
    torch.manual_seed(0)
    params = dict(n_coefficients=12, n_outputs=3, n_filters=4, filter_size=3, lstm_hidden_size=8)
    return build(architecture=architecture, **{**params, **kw}).eval()


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_every_architecture_ignores_padding_values_and_amount(architecture):
    m = ablation(architecture)
    x, lengths = batch()
    out = m(x, lengths)
    x2 = x.clone()
    x2[1, 7:] = 1e3  # garbage in sample 1's padding
    x2[2, 4:] = -7.0
    longer = torch.cat([x2, torch.randn(3, 5, 12)], dim=1)  # and more of it
    torch.testing.assert_close(m(longer, lengths), out)
    torch.testing.assert_close(m(x[1:2, :7], lengths[1:2]), out[1:2], **CLOSE)  # unpadded


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_every_architecture_keeps_batch_items_independent(architecture):
    m = ablation(architecture)
    x, lengths = batch()
    out = m(x, lengths)
    x2 = x.clone()
    x2[0] = torch.randn_like(x2[0])
    torch.testing.assert_close(m(x2, lengths)[1:], out[1:])


@pytest.mark.parametrize("architecture", CAUSAL_ARCHITECTURES)
def test_causal_architectures_ignore_later_frames(architecture):
    m = ablation(architecture)
    assert m.causal
    x, lengths = batch()
    out = m.forward_frames(x, lengths)
    x2 = x.clone()
    x2[:, 6:] += torch.randn_like(x2[:, 6:]) * 5
    torch.testing.assert_close(m.forward_frames(x2, lengths)[:, :6], out[:, :6])


def frames_touched(m, t=5):
    """Frames whose features change when frame ``t`` of sample 0 changes."""
    x, lengths = batch(n=1, t=10)
    before = m.frame_features(x, lengths)
    x2 = x.clone()
    x2[0, t] += 3.0
    return set(
        torch.nonzero((m.frame_features(x2, lengths) - before).abs().sum(2)[0]).flatten().tolist()
    )


def test_conv1d_filters_span_filter_size_frames_and_look_ahead():
    m = ablation("conv1d", n_conv_layers=1)
    assert not m.causal
    assert m.conv[0].weight.shape == (4, 12, 3)  # filters x all coefficients x 3 frames
    assert frames_touched(m) == {4, 5, 6}


def test_conv2d_filters_slide_over_time_and_coefficients():
    m = ablation("conv2d", n_conv_layers=1, pool_size=1)
    assert not m.causal
    assert m.conv[0].weight.shape == (4, 1, 3, 3)
    assert frames_touched(m) == {4, 5, 6}
    assert m.frame_features(*batch()).shape == (3, 10, 4 * 12)


@pytest.mark.parametrize("architecture", ["hybrid", "hybrid_nolstm", "lstm"])
def test_frame_features_of_causal_variants_stay_in_their_frame(architecture):
    assert frames_touched(ablation(architecture)) == {5}


def test_lstm_variant_reads_the_standardized_coefficients():
    m = ablation("lstm")
    m.feature_mean.fill_(1.0)
    m.feature_scale.fill_(2.0)
    x, lengths = batch()
    feats = m.frame_features(x, lengths)
    torch.testing.assert_close(feats[0], (x[0] - 1.0) / 2.0)
    assert (feats[2, 4:] == 0).all()


def test_hybrid_without_lstm_has_no_recurrence():
    m = ablation("hybrid_nolstm")
    assert m.lstm is None
    x, lengths = batch()
    states = m.frame_states(x, lengths)
    x2 = x.clone()
    x2[0, 2] += 3.0
    changed = (m.frame_states(x2, lengths) - states).abs().sum(2)[0] > 0
    assert changed.tolist() == [t == 2 for t in range(10)]


def test_unknown_architecture_is_refused():
    with pytest.raises(ValueError, match="architecture must be one of"):
        build(n_coefficients=4, n_outputs=2, architecture="transformer")


@pytest.mark.parametrize("pooling", ["mean", "meanstd", "last"])
def test_every_pooling_gives_frame_outputs_equal_to_prefix_clip_outputs(pooling):
    m = ablation("hybrid", pooling=pooling)
    x, lengths = batch()
    frames = m.forward_frames(x, lengths)
    for t in (0, 3, 9):
        clip = m(x[:1, : t + 1], torch.tensor([t + 1]))
        torch.testing.assert_close(frames[0, t], clip[0], **CLOSE)
    torch.testing.assert_close(m(x, lengths)[2], frames[2, 3], **CLOSE)


def test_meanstd_pooling_feeds_mean_and_std_of_the_real_states():
    m = ablation("hybrid", pooling="meanstd")
    x, lengths = batch()
    states = m.frame_states(x, lengths)[2, :4]  # sample 2 has 4 real frames
    captured = {}
    m.head.register_forward_hook(lambda mod, inp, out: captured.setdefault("in", inp[0]))
    m(x, lengths)
    expected = torch.cat([states.mean(0), states.std(0, unbiased=False)])
    torch.testing.assert_close(captured["in"][2], expected, atol=1e-3, rtol=1e-3)


# ------------------------------------------------------------------ the per-step computation
@pytest.mark.parametrize("frame_outputs", [False, True])
@pytest.mark.parametrize("pooling", ["mean", "meanstd", "last"])
@pytest.mark.parametrize("architecture", CAUSAL_ARCHITECTURES)
def test_stream_steps_give_the_per_frame_outputs_of_the_whole_sequence(
    architecture, pooling, frame_outputs
):
    """stream_step, chunk after chunk, gives forward_frames' rows (what NetworkStream serves)."""
    torch.manual_seed(0)
    m = build(
        n_coefficients=12,
        n_outputs=3,
        n_filters=4,
        filter_size=3,
        lstm_hidden_size=8,
        lstm_layers=2,
        architecture=architecture,
        pooling=pooling,
        frame_outputs=frame_outputs,
    ).eval()
    x = torch.randn(1, 23, 12)
    with torch.no_grad():
        offline = m.forward_frames(x, torch.tensor([23]))[0]
        carry, rows = None, []
        for lo, hi in [(0, 1), (1, 8), (8, 9), (9, 23)]:
            out, carry = m.stream_step(x[:, lo:hi], carry)
            rows.append(out)
    assert carry.n_frames == 23
    torch.testing.assert_close(torch.cat(rows), offline, **CLOSE)
    if frame_outputs:  # forward is then per frame as well
        torch.testing.assert_close(m(x, torch.tensor([23]))[0], offline)


def test_one_pooling_formula_serves_the_clip_the_prefixes_and_the_stream():
    m = build(n_coefficients=12, n_outputs=3, pooling="meanstd").eval()
    states = torch.randn(2, 6, m.head[1].in_features // 2)
    calls = []
    pool = m.pool
    m.pool = lambda *a: calls.append(a) or pool(*a)
    m.pool_and_head(states, torch.tensor([6, 4]))
    m.running_pool(states)
    m.stream_step(torch.randn(1, 3, 12))
    assert len(calls) == 3
