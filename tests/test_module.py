"""The torch module: one-frame-tall filters, causality, padding invariance."""

from __future__ import annotations

import pytest
import torch

from sk_deepsense.neural import HybridCNNLSTMModule


@pytest.fixture
def module():
    m = HybridCNNLSTMModule(
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


@pytest.mark.parametrize("pooling", ["mean", "last"])
def test_output_at_frame_t_ignores_later_frames(pooling):
    torch.manual_seed(0)
    m = HybridCNNLSTMModule(
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
        torch.testing.assert_close(frames[0, t], clip[0])


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
            module(x[i : i + 1, : lengths[i]], lengths[i : i + 1])[0], full[i], rtol=1e-5, atol=1e-6
        )


def test_standardization_buffers_are_applied():
    m = HybridCNNLSTMModule(
        n_coefficients=2,
        n_outputs=1,
        feature_mean=[10.0, -5.0],
        feature_scale=[2.0, 4.0],
        filter_size=1,
        pool_size=1,
    ).eval()
    ref = HybridCNNLSTMModule(n_coefficients=2, n_outputs=1, filter_size=1, pool_size=1).eval()
    ref.load_state_dict(
        {k: v for k, v in m.state_dict().items() if "feature_" not in k}, strict=False
    )
    x = torch.randn(1, 4, 2)
    lengths = torch.tensor([4])
    standardized = (x - torch.tensor([10.0, -5.0])) / torch.tensor([2.0, 4.0])
    torch.testing.assert_close(m(x, lengths), ref(standardized, lengths))


def test_lstm_is_unidirectional(module):
    assert module.lstm.bidirectional is False
