"""Rendering of the synthetic clips: the musical cues of an (arousal, valence) trajectory.

Used by :func:`~sk_deepsense.datasets.make_emotion_music`; numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_TABLE_SIZE = 2048
_MAJOR = np.array([0, 2, 4, 5, 7, 9, 11])
_MINOR = np.array([0, 2, 3, 5, 7, 8, 11])  # harmonic minor: its V chord is major, as in practice
_PROGRESSIONS = ([0, 3, 4, 0], [0, 5, 3, 4], [0, 4, 5, 3], [0, 3, 0, 4])  # scale degrees
_PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_N_HARMONICS = 16
_K = np.arange(1, _N_HARMONICS + 1, dtype=float)
# One period of each harmonic, sampled on the wavetable grid: shape (_TABLE_SIZE, _N_HARMONICS).
_HARMONIC_TABLE = np.sin(np.outer(np.arange(_TABLE_SIZE) * (2 * np.pi / _TABLE_SIZE), _K))
# Harmonic amplitude profiles of a few stylised instruments (the timbre nuisance).
_INSTRUMENTS = {
    "string": 1.0 / _K,
    "clarinet": np.where(_K % 2 == 1, 1.0 / _K, 0.05 / _K),
    "flute": np.exp(-(_K - 1.0)),
    "organ": np.where(np.isin(_K, [1, 2, 4, 8]), 1.0, 0.15) / np.sqrt(_K),
    "brass": np.exp(-0.5 * ((_K - 3.0) / 2.5) ** 2) + 0.3 / _K,
}

# Accuracy of the MFCC mean/std + RBF SVC baseline on the default settings (see the docstring).


@dataclass
class _ClipPlan:
    key: int
    progression: list[int]
    melody_instrument: str
    chord_instrument: str
    melody_profile: np.ndarray
    chord_profile: np.ndarray
    tempo_jitter: float
    gain_db: float
    reverb_wet: float
    rt60: float
    snr_db: float


def _trajectory(center: float, times: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Smooth drift around ``center``, max deviation 0.4, mean kept in its quadrant."""
    freqs = rng.uniform(0.02, 0.25, size=3)
    phases = rng.uniform(0, 2 * np.pi, size=3)
    amps = rng.uniform(0.3, 1.0, size=3)
    dev = (amps[:, None] * np.sin(2 * np.pi * freqs[:, None] * times + phases[:, None])).sum(0)
    dev -= dev.mean()
    peak = np.abs(dev).max()
    if peak > 0:
        dev *= 0.4 / peak
    # Clipping at +-1 only pulls the mean towards 0 by less than |center|: sign is kept.
    return np.clip(center + dev, -1.0, 1.0)


def _tempo(arousal: float) -> float:
    return 75.0 + 45.0 * (arousal + 1.0)


def _plan_clip(rng: np.random.Generator, nuisance: float) -> _ClipPlan:
    names = list(_INSTRUMENTS)
    if nuisance > 0:
        mel, chd = names[rng.integers(len(names))], names[rng.integers(len(names))]
    else:
        mel = chd = "string"
    jitter = 0.3 * nuisance
    mel_prof = _INSTRUMENTS[mel] * rng.lognormal(0.0, jitter, _N_HARMONICS) if jitter else None
    chd_prof = _INSTRUMENTS[chd] * rng.lognormal(0.0, jitter, _N_HARMONICS) if jitter else None
    return _ClipPlan(
        key=int(rng.integers(12)) if nuisance > 0 else 0,
        progression=list(_PROGRESSIONS[rng.integers(len(_PROGRESSIONS))]),
        melody_instrument=mel,
        chord_instrument=chd,
        melody_profile=_INSTRUMENTS[mel] if mel_prof is None else mel_prof,
        chord_profile=_INSTRUMENTS[chd] if chd_prof is None else chd_prof,
        tempo_jitter=float(np.exp(rng.uniform(-0.1, 0.1) * min(nuisance, 3.0))),
        gain_db=float(rng.uniform(-4.0, 4.0) * nuisance),
        reverb_wet=float(min(rng.uniform(0.0, 0.5) * nuisance, 0.9)),
        rt60=float(rng.uniform(0.3, 2.0)),
        snr_db=float(rng.uniform(15.0, 45.0) / nuisance) if nuisance > 0 else np.inf,
    )


def _render_clip(traj_a, traj_v, times, plan: _ClipPlan, *, n, sr, rng) -> np.ndarray:
    out = np.zeros(n)
    duration = n / sr
    t = 0.0
    bar = 0
    melody_degree = 7  # index into a two-octave scale, starts on the upper tonic
    while t < duration:
        a = float(np.interp(t, times, traj_a))
        v = float(np.interp(t, times, traj_v))
        beat = 60.0 / (_tempo(a) * plan.tempo_jitter)
        scale = _MAJOR if v >= 0 else _MINOR
        base = 48 + plan.key - 12 * (plan.key > 6)  # tonic of the chords (C3 for key C)
        lowest = int(round(3.5 * (v + 1.0)))  # register: melody spans degrees lowest..lowest+7
        level = 10 ** (8.0 * a / 20.0)
        attack = 0.08 - 0.075 * (a + 1.0) / 2.0
        tilt = 1.6 - 1.2 * (a + 1.0) / 2.0  # extra roll-off: dark (low a) to bright (high a)
        decay = 1.2 - 0.9 * (a + 1.0) / 2.0
        # Chords: one per bar, in the lower register.
        degree = plan.progression[bar % len(plan.progression)]
        triad = [scale[(degree + s) % 7] + 12 * ((degree + s) // 7) for s in (0, 2, 4)]
        bar_len = 4 * beat
        voices = [(base + p, 0.35, 0.0) for p in triad]
        if v < 0:  # dissonance: clashes and beating in proportion to -valence
            root = base + triad[0]
            voices.append((root + 1, 0.35 * -v, 0.0))
            voices.append((root + 6, 0.3 * max(0.0, -2 * v - 1), 0.0))
            voices += [(base + p, 0.25 * -v, 30.0 * -v) for p in triad]
        for midi, amp, cents in voices:
            if amp > 0:
                _add_note(
                    out,
                    t,
                    bar_len,
                    midi + cents / 100,
                    amp * level,
                    attack,
                    decay * 2,
                    tilt,
                    plan.chord_profile,
                    sr,
                )
        # Melody: a random walk on the scale, 1 to 4 notes per beat depending on arousal.
        density = 1.0 + 1.5 * (a + 1.0)
        for b in range(4):
            n_sub = int(np.clip(np.floor(density + rng.uniform()), 1, 4))
            step = beat / n_sub
            legato = 0.95 - 0.45 * (a + 1.0) / 2.0
            for s in range(n_sub):
                onset = t + b * beat + s * step
                if onset >= duration:
                    break
                step_deg = melody_degree + rng.integers(-2, 3)
                melody_degree = int(np.clip(step_deg, lowest, lowest + 7))
                pitch = base + 12 + scale[melody_degree % 7] + 12 * (melody_degree // 7)
                _add_note(
                    out,
                    onset,
                    step * legato,
                    pitch,
                    0.6 * level,
                    attack,
                    decay,
                    tilt,
                    plan.melody_profile,
                    sr,
                )
        t += bar_len
        bar += 1
    out *= 0.25  # median RMS about -26 dBFS (0.05) before the gain nuisance
    return _post_process(out, plan, sr, rng)


def _add_note(out, onset, length, midi, amp, attack, decay, tilt, profile, sr) -> None:
    start = int(round(onset * sr))
    stop = min(len(out), start + max(1, int(round(length * sr))))
    if start >= stop:
        return
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    n_harm = int(np.clip(0.45 * sr / f0, 1, _N_HARMONICS))
    weights = profile[:n_harm] * _K[:n_harm] ** (-tilt)
    table = _HARMONIC_TABLE[:, :n_harm] @ (weights / np.abs(weights).sum())
    table = np.append(table, table[0])  # wrap-around sample for the interpolation
    m = stop - start
    phase = (np.arange(m) * (f0 * _TABLE_SIZE / sr)) % _TABLE_SIZE
    idx = phase.astype(np.intp)
    lo = table[idx]
    wave = lo + (phase - idx) * (table[idx + 1] - lo)
    tt = np.arange(m) / sr
    env = np.minimum(1.0, tt / max(attack, 1e-3)) * np.exp(-tt / decay)
    release = min(len(tt), int(0.02 * sr))
    env[len(tt) - release :] *= np.linspace(1.0, 0.0, release)
    out[start:stop] += amp * env * wave


def _post_process(y: np.ndarray, plan: _ClipPlan, sr: int, rng) -> np.ndarray:
    n = len(y)
    y = y * 10 ** (plan.gain_db / 20.0)
    if plan.reverb_wet > 0:
        ir_len = int(min(plan.rt60, 1.5) * sr)
        tt = np.arange(ir_len) / sr
        ir = rng.standard_normal(ir_len) * np.exp(-6.9 * tt / plan.rt60)
        ir /= np.sqrt((ir**2).sum())
        size = 1 << int(np.ceil(np.log2(n + ir_len)))
        wet = np.fft.irfft(np.fft.rfft(y, size) * np.fft.rfft(ir, size), size)[:n]
        y = (1 - plan.reverb_wet) * y + plan.reverb_wet * wet
    if np.isfinite(plan.snr_db):
        spec = np.fft.rfft(rng.standard_normal(n))
        spec[1:] /= np.sqrt(np.arange(1, len(spec)))  # pink (1/f power)
        spec[0] = 0
        noise = np.fft.irfft(spec, n)
        sig_rms = np.sqrt(np.mean(y**2)) + 1e-12
        noise *= sig_rms / (np.sqrt(np.mean(noise**2)) + 1e-12) * 10 ** (-plan.snr_db / 20)
        y = y + noise
    peak = np.abs(y).max()
    if peak > 0.99:  # rare: keep the clip in range rather than clipping it
        y *= 0.99 / peak
    return y.astype(np.float32)
