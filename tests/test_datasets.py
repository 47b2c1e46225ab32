"""Tests of sk_deepsense.datasets: quadrant helpers, the synthetic generator, the loaders."""

from __future__ import annotations

import os
import warnings
from collections import Counter
from pathlib import Path

import librosa
import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from sk_deepsense.datasets import (
    QUADRANTS,
    av_from_quadrant,
    load_4q,
    load_deam,
    load_emomusic,
    load_pmemo,
    make_emotion_music,
    quadrant_from_av,
)

DATA = Path(
    os.environ.get(
        "SK_DEEPSENSE_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
)
AUDIO_EXT = ".mp3" if "MP3" in sf.available_formats() else ".wav"


def _requires(folder: str) -> Path:
    path = DATA / folder
    if not path.is_dir():
        pytest.skip(f"real data folder {str(path)!r} absent (set SK_DEEPSENSE_DATA to its parent)")
    return path


def _write_audio(path: Path, seconds: float = 0.2, sr: int = 8000) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = "MP3" if path.suffix == ".mp3" else "WAV"
    sf.write(path, np.zeros(int(seconds * sr), dtype=np.float32), sr, format=fmt)


def _write_text(path: Path, lines: list[str], newline: str = "\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))


# ----------------------------------------------------------------------------- quadrants
def test_quadrant_from_av_maps_the_four_quadrants():
    labels = quadrant_from_av([0.5, 0.5, -0.5, -0.5], [0.5, -0.5, -0.5, 0.5])
    assert labels.tolist() == ["Q1", "Q2", "Q3", "Q4"]


def test_quadrant_round_trip():
    labels = np.array(["Q3", "Q1", "Q4", "Q2", "Q2"])
    signs = av_from_quadrant(labels)
    assert signs.shape == (5, 2)
    assert set(np.unique(signs)) == {-1.0, 1.0}
    assert quadrant_from_av(signs[:, 0], signs[:, 1]).tolist() == labels.tolist()
    rng = np.random.default_rng(0)
    av = rng.uniform(-1, 1, size=(50, 2))
    back = av_from_quadrant(quadrant_from_av(av[:, 0], av[:, 1]))
    np.testing.assert_array_equal(back, np.sign(av))


def test_quadrant_helpers_reject_bad_input():
    with pytest.raises(ValueError, match="Q5"):
        av_from_quadrant(["Q1", "Q5"])
    with pytest.raises(ValueError, match="finite"):
        quadrant_from_av([np.nan], [0.1])


# ----------------------------------------------------------------------------- generator
@pytest.fixture(scope="module")
def clean_music():
    """Clean clips (no nuisance), enough of each quadrant to measure the cues."""
    return make_emotion_music(24, duration=6.0, nuisance=0.0, random_state=7)


def test_generator_shapes_dtypes_and_labels():
    music = make_emotion_music(10, duration=1.5, sr=8000, random_state=0)
    assert len(music.data) == 10
    assert all(w.dtype == np.float32 and w.shape == (12000,) for w in music.data)
    assert all(np.abs(w).max() <= 1.0 and np.isfinite(w).all() for w in music.data)
    assert music.sr == 8000
    assert music.target_names == ["Q1", "Q2", "Q3", "Q4"]
    counts = Counter(music.target.tolist())
    assert set(counts) == set(QUADRANTS) and max(counts.values()) - min(counts.values()) <= 1
    assert np.all(np.abs(music.arousal) <= 1) and np.all(np.abs(music.valence) <= 1)
    np.testing.assert_array_equal(music.target, quadrant_from_av(music.arousal, music.valence))
    assert music.dynamic_arousal is None and music.filenames is None
    assert len(music.frame) == 10 and "tempo_bpm" in music.frame
    assert "0.620" in music.DESCR  # the measured baseline is documented


def test_generator_balanced_for_200():
    X, y = make_emotion_music(200, duration=0.1, sr=4000, return_X_y=True, random_state=3)
    assert len(X) == 200
    assert Counter(y.tolist()) == {"Q1": 50, "Q2": 50, "Q3": 50, "Q4": 50}


def test_generator_is_deterministic():
    a = make_emotion_music(4, duration=1.0, sr=8000, random_state=42)
    b = make_emotion_music(4, duration=1.0, sr=8000, random_state=42)
    c = make_emotion_music(4, duration=1.0, sr=8000, random_state=43)
    for wa, wb in zip(a.data, b.data, strict=True):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_array_equal(a.arousal, b.arousal)
    assert not np.array_equal(a.arousal, c.arousal)
    assert not np.array_equal(a.data[0], c.data[0])


def test_generator_dynamic():
    music = make_emotion_music(8, duration=5.0, sr=8000, dynamic=True, random_state=1)
    assert music.dynamic_arousal.shape == (8, 10) == music.dynamic_valence.shape
    np.testing.assert_allclose(music.dynamic_times, np.arange(10) * 0.5)
    np.testing.assert_allclose(music.arousal, music.dynamic_arousal.mean(axis=1))
    assert np.all(np.abs(music.dynamic_arousal) <= 1)
    assert np.ptp(music.dynamic_arousal, axis=1).min() > 0.1  # it does drift
    assert Counter(music.target.tolist()) == {"Q1": 2, "Q2": 2, "Q3": 2, "Q4": 2}


def test_generator_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_samples"):
        make_emotion_music(0)
    with pytest.raises(ValueError, match="duration"):
        make_emotion_music(2, duration=-1.0)
    with pytest.raises(ValueError, match="nuisance"):
        make_emotion_music(2, nuisance=-0.5)


def _onset_rate(y, sr):
    return len(librosa.onset.onset_detect(y=y, sr=sr, units="time")) / (len(y) / sr)


def test_higher_arousal_gives_more_onsets_louder_and_brighter(clean_music):
    m = clean_music
    high = m.arousal > 0
    rate = np.array([_onset_rate(y, m.sr) for y in m.data])
    assert rate[high].mean() > 1.5 * rate[~high].mean()
    assert np.corrcoef(m.arousal, rate)[0, 1] > 0.5
    rms = np.array([np.sqrt(np.mean(y**2)) for y in m.data])
    assert np.corrcoef(m.arousal, np.log(rms))[0, 1] > 0.5
    # Brightness: compare within one valence sign so that register does not interfere.
    cent = np.array([librosa.feature.spectral_centroid(y=y, sr=m.sr).mean() for y in m.data])
    for pos in (m.valence >= 0, m.valence < 0):
        assert cent[pos & high].mean() > cent[pos & ~high].mean()


def test_valence_sets_mode_and_register(clean_music):
    m = clean_music
    positive = m.valence >= 0
    chroma = np.array([librosa.feature.chroma_stft(y=y, sr=m.sr).mean(axis=1) for y in m.data])
    major_third_wins = chroma[:, 4] > chroma[:, 3]  # key of C without nuisance: E vs E-flat
    assert major_third_wins[positive].mean() >= 0.8
    assert major_third_wins[~positive].mean() <= 0.2
    f0 = []
    for y in m.data:
        pitches = librosa.yin(y, fmin=60, fmax=1000, sr=m.sr)
        f0.append(np.median(pitches))
    assert np.corrcoef(m.valence, np.log(f0))[0, 1] > 0.3


def test_generator_nuisance_changes_clips_not_labels():
    clean = make_emotion_music(8, duration=1.0, sr=8000, nuisance=0.0, random_state=5)
    noisy = make_emotion_music(8, duration=1.0, sr=8000, nuisance=1.0, random_state=5)
    np.testing.assert_array_equal(clean.target, noisy.target)
    assert set(clean.frame["key"]) == {"C"}
    assert noisy.frame["key"].nunique() > 1 or noisy.frame["melody_instrument"].nunique() > 1


def test_generator_writes_wavs_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "synth"
    music = make_emotion_music(3, duration=0.5, sr=8000, output_dir=out, random_state=0)
    assert len(music.filenames) == 3
    for path, wave in zip(music.filenames, music.data, strict=True):
        assert Path(path).is_absolute() and Path(path).is_file()
        info = sf.info(path)
        assert info.subtype == "PCM_16" and info.samplerate == 8000
        y, _ = sf.read(path, dtype="float32")
        np.testing.assert_allclose(y, wave, atol=1.0 / 2**14)
    meta = pd.read_csv(out / "metadata.csv")
    assert meta["quadrant"].tolist() == music.target.tolist()

    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(FileExistsError, match="clip_0000.wav"):
        make_emotion_music(3, duration=0.5, sr=8000, output_dir=out, random_state=1)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing was lost

    # A user's own file with a colliding name is protected as well, before anything is written.
    (out / "clip_0004.wav").write_bytes(b"precious")
    (out / "clip_0000.wav").unlink()
    with pytest.raises(FileExistsError):
        make_emotion_music(5, duration=0.5, sr=8000, output_dir=out, random_state=1)
    assert not (out / "clip_0000.wav").exists()
    assert (out / "clip_0004.wav").read_bytes() == b"precious"

    again = make_emotion_music(
        3, duration=0.5, sr=8000, output_dir=out, overwrite=True, random_state=1
    )
    y, _ = sf.read(again.filenames[0], dtype="float32")
    np.testing.assert_allclose(y, again.data[0], atol=1.0 / 2**14)


def test_generator_output_dir_must_be_a_folder(tmp_path):
    f = tmp_path / "a_file"
    f.write_text("x")
    with pytest.raises(NotADirectoryError, match="a_file"):
        make_emotion_music(2, duration=0.2, output_dir=f)


# ----------------------------------------------------------------------------- 4Q fixture
_4Q_META_HEADER = (
    '"Song","Artist","Title","Quadrant","PQuad","MoodsTotal","Moods","MoodsFoundStr",'
    '"MoodsStr","MoodsStrSplit","Genres","GenresStr","Sample","SampleURL"'
)


def _make_4q(root: Path, songs: dict[str, tuple[str, str]], audio: bool = True) -> Path:
    """songs: Song -> (Quadrant, Artist). Writes the release's CSV dialects."""
    meta = [_4Q_META_HEADER]
    ann = ["Song,Quadrant"]
    for song, (quad, artist) in songs.items():
        meta.append(
            f'"{song}","{artist}","Title of {song}","{quad}",0.5,4,2,"calm; sad",'
            f'"Calm; Sad","Calm; Sad",1,"Pop; Rock",1,"http://example.org/{song}"'
        )
        ann.append(f"{song},{quad}")
        if audio:
            _write_audio(root / quad / f"{song}{AUDIO_EXT}")
    for q in QUADRANTS:
        (root / q).mkdir(parents=True, exist_ok=True)
    _write_text(root / "panda_dataset_taffc_metadata.csv", meta, "\r\n")
    _write_text(root / "panda_dataset_taffc_annotations.csv", ann, "\r\n")
    return root


_4Q_SONGS = {
    "MT0000000001": ("Q1", "Artist A"),
    "MT0000000002": ("Q2", "Artist B"),
    "MT0000000003": ("Q3", "Artist A"),
    "MT0000000004": ("Q4", ""),
    "MT0000000005": ("Q4", "NA"),
}


def test_load_4q_fixture(tmp_path):
    root = _make_4q(tmp_path / "4q", _4Q_SONGS)
    data = load_4q(root)
    assert data.target.tolist() == ["Q1", "Q2", "Q3", "Q4", "Q4"]
    assert data.target_names == list(QUADRANTS)
    assert all(Path(f).is_absolute() and Path(f).is_file() for f in data.filenames)
    assert Path(data.filenames[1]).parent.name == "Q2"
    assert data.groups.tolist()[:3] == ["Artist A", "Artist B", "Artist A"]
    assert data.groups[3] != data.groups[4]  # unknown artist: a group of its own
    assert data.groups[4] == "NA"  # the string "NA" is an artist name, not a missing value
    assert list(data.frame.columns)[:4] == ["Song", "Artist", "Title", "Quadrant"]
    assert data.frame.shape == (5, 14)
    assert data.frame["MoodsStr"].iloc[0] == "Calm; Sad"
    assert "Panda" in data.DESCR
    X, y = load_4q(root, return_X_y=True)
    np.testing.assert_array_equal(X, data.filenames)
    np.testing.assert_array_equal(y, data.target)


def test_load_4q_missing_audio(tmp_path):
    root = _make_4q(tmp_path / "4q", _4Q_SONGS)
    (root / "Q2" / f"MT0000000002{AUDIO_EXT}").unlink()
    data = load_4q(root)
    assert len(data.filenames) == 4 and "Q2" not in data.target
    assert len(data.frame) == len(data.groups) == 4
    with pytest.raises(FileNotFoundError, match="MT0000000002"):
        load_4q(root, missing_audio="raise")


def test_load_4q_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_4q(tmp_path / "nowhere")
    root = _make_4q(tmp_path / "4q", _4Q_SONGS)
    (root / "panda_dataset_taffc_metadata.csv").rename(root / "other.csv")
    with pytest.raises(FileNotFoundError, match="panda_dataset_taffc_metadata.csv"):
        load_4q(root)
    root = _make_4q(tmp_path / "4q2", _4Q_SONGS)
    meta = root / "panda_dataset_taffc_metadata.csv"
    meta.write_text(meta.read_text().replace('"Artist"', '"Performer"'))
    with pytest.raises(ValueError, match="Artist"):
        load_4q(root)
    root = _make_4q(tmp_path / "4q3", _4Q_SONGS)
    (root / "Q3" / f"MT0000000003{AUDIO_EXT}").unlink()
    (root / "Q3").rmdir()
    with pytest.raises(FileNotFoundError, match="Q3"):
        load_4q(root)
    with pytest.raises(ValueError, match="missing_audio"):
        load_4q(root, missing_audio="ignore")


def test_load_4q_annotations_must_agree(tmp_path):
    root = _make_4q(tmp_path / "4q", _4Q_SONGS)
    ann = root / "panda_dataset_taffc_annotations.csv"
    ann.write_bytes(ann.read_bytes().replace(b"MT0000000001,Q1", b"MT0000000001,Q3"))
    with pytest.raises(ValueError, match="MT0000000001"):
        load_4q(root)


# ----------------------------------------------------------------------------- emoMusic
def _make_emomusic(root: Path, audio_ids=(2, 3)) -> Path:
    ann = root / "annotations"
    _write_text(
        ann / "static_annotations.csv",
        [
            "song_id,mean_arousal,std_arousal,mean_valence,std_valence",
            "2,3.1,0.99443,3,0.66667",
            "3,9,1.8409,1,1.7029",
            "4,5.7,1.4944,5.5,1.7159",
        ],
    )
    _write_text(
        ann / "songs_info.csv",
        [
            '"song_id","file_name","Artist","Song title","start of the segment (min.sec)",'
            '"end of the segment (min.sec)","Genre","Mediaeval 2013 set"',
            '2,"\t2.mp3","The Troubadours\t","\tTonight\t","\t0.48\t","\t1.33\t","\tBlues\t",'
            '"development"',
            '3,"\t3.mp3","Kevin MacLeod\t","\tDD Groove\t","\t0.36\t","\t1.21\t","\tBlues\t",'
            '"evaluation"',
            '4,"\t4.mp3","Kevin MacLeod\t","\tSlow Burn\t","\t1.29\t","\t2.14\t","\tBlues\t",'
            '"development"',
        ],
    )
    cols = [f"sample_{ms}ms" for ms in range(15000, 17000, 500)]
    for name, offset in (("arousal", 0.0), ("valence", 0.5)):
        rows = ["song_id," + ",".join(cols)]
        for sid in (2, 3, 4):
            rows.append(f"{sid}," + ",".join(f"{offset - 0.1 * i:.2f}" for i in range(len(cols))))
        _write_text(ann / f"{name}_cont_average.csv", rows)
    for sid in audio_ids:
        _write_audio(root / "clips_45seconds" / f"{sid}{AUDIO_EXT}")
    return root


def test_load_emomusic_fixture(tmp_path):
    root = _make_emomusic(tmp_path / "emo")
    data = load_emomusic(root)
    assert len(data.filenames) == 2  # song 4 is annotated but has no audio
    assert all(Path(f).is_file() for f in data.filenames)
    assert data.target_names == ["arousal", "valence"]
    np.testing.assert_allclose(data.target, [[-0.475, -0.5], [1.0, -1.0]])
    assert data.frame["mean_arousal"].tolist() == [3.1, 9.0]  # raw values kept
    assert data.frame["split"].tolist() == ["development", "evaluation"]
    assert data.frame["Song title"].tolist() == ["Tonight", "DD Groove"]  # TABs stripped
    assert data.frame["start of the segment (min.sec)"].tolist() == [0.48, 0.36]
    assert data.groups.tolist() == ["The Troubadours", "Kevin MacLeod"]
    assert len(data.dynamic) == 2 and data.dynamic[0].shape == (4, 2)
    np.testing.assert_allclose(data.dynamic_times[0], [15.0, 15.5, 16.0, 16.5])
    np.testing.assert_allclose(data.dynamic[1][:, 1], [0.5, 0.4, 0.3, 0.2])
    assert "1 of the 3 annotated clips have no audio" in data.DESCR
    with pytest.raises(FileNotFoundError, match="4.mp3"):
        load_emomusic(root, missing_audio="raise")
    X, y = load_emomusic(root, return_X_y=True)
    assert X.shape == (2,) and y.shape == (2, 2)


def test_load_emomusic_errors(tmp_path):
    root = _make_emomusic(tmp_path / "emo")
    (root / "annotations" / "songs_info.csv").unlink()
    with pytest.raises(FileNotFoundError, match="songs_info.csv"):
        load_emomusic(root)
    root = _make_emomusic(tmp_path / "emo2")
    static = root / "annotations" / "static_annotations.csv"
    static.write_text(static.read_text().replace("mean_valence", "valence"))
    with pytest.raises(ValueError, match="mean_valence"):
        load_emomusic(root)
    with pytest.raises(FileNotFoundError, match="clips_45seconds"):
        load_emomusic(tmp_path / "emo2" / "annotations")


# ----------------------------------------------------------------------------- PMEmo
def _make_pmemo(root: Path) -> Path:
    crlf = "\r\n"
    _write_text(
        root / "annotations" / "static_annotations.csv",
        [
            "musicId,Arousal(mean),Valence(mean)",
            "108,0.863,0.863",
            "372,0.825,0.175",
            "999,0.5,0.5",
        ],
        crlf,
    )
    dyn = ["musicId,frameTime,Arousal(mean),Valence(mean)"]
    for mid in (108, 372):
        for k in range(3):
            dyn.append(f"{mid},{15.5 + 0.5 * k},{0.5 + 0.1 * k:.1f},0.25")
    _write_text(root / "annotations" / "dynamic_annotations.csv", dyn, crlf)
    _write_text(
        root / "metadata.csv",
        [
            "musicId,fileName,title,artist,album,duration,chorus_start_time,chorus_end_time",
            "108,108.mp3,This Is What You Came For,Calvin Harris,Album,49.1,02:50,03:37",
            "372,372.mp3,Zoom,Future,FUTURE,60.2,03:37,04:35",
            "999,999.mp3,Gone,Nobody,None,30.0,00:10,00:40",
        ],
        crlf,
    )
    for mid in (108, 372):
        _write_audio(root / "chorus" / f"{mid}{AUDIO_EXT}")
    return root


def test_load_pmemo_fixture(tmp_path):
    data = load_pmemo(_make_pmemo(tmp_path / "pmemo"))
    assert len(data.filenames) == 2
    np.testing.assert_allclose(data.target, [[0.726, 0.726], [0.65, -0.65]])
    assert data.frame["Arousal(mean)"].tolist() == [0.863, 0.825]
    assert data.groups.tolist() == ["Calvin Harris", "Future"]
    assert data.frame["chorus_end_time"].tolist() == ["03:37", "04:35"]
    np.testing.assert_allclose(data.dynamic_times[1], [15.5, 16.0, 16.5])
    np.testing.assert_allclose(data.dynamic[0], [[0.0, -0.5], [0.2, -0.5], [0.4, -0.5]])
    with pytest.raises(FileNotFoundError, match="999"):
        load_pmemo(tmp_path / "pmemo", missing_audio="raise")


def test_load_pmemo_errors(tmp_path):
    root = _make_pmemo(tmp_path / "pmemo")
    (root / "metadata.csv").unlink()
    with pytest.raises(FileNotFoundError, match="metadata.csv"):
        load_pmemo(root)
    with pytest.raises(FileNotFoundError, match="chorus"):
        load_pmemo(tmp_path)


# ----------------------------------------------------------------------------- DEAM
_SONG_LEVEL = Path("annotations", "annotations averaged per song", "song_level")
_DYN = Path("annotations", "annotations averaged per song", "dynamic (per second annotations)")


def _make_deam(root: Path, *, dynamic: bool = True, swapped: bool = True) -> Path:
    """Static values as (a, v); written in DEAM's header order, swapped like the release."""
    rng = np.random.default_rng(0)
    av = {sid: rng.uniform(1.5, 8.5, size=2).round(1) for sid in range(2, 14)}
    rows = ["song_id, valence_mean, valence_std, arousal_mean, arousal_std"]
    for sid in range(2, 10):
        a, v = av[sid]
        first, second = (a, v) if swapped else (v, a)
        rows.append(f"{sid},{first},0.9,{second},0.6")
    _write_text(root / _SONG_LEVEL / "static_annotations_averaged_songs_1_2000.csv", rows)
    rows = [
        "song_id, valence_mean, valence_std, valence_ max_mean, valence_max_std, "
        "valence_min_mean, valence_min_std, arousal_mean, arousal_std, arousal_max_mean, "
        "arousal_max_std, arousal_min_mean, arousal_min_std"
    ]
    for sid in range(10, 14):  # this file is not swapped
        a, v = av[sid]
        rows.append(f"{sid},{v},0.98,5.0,1.41,2.2,0.98,{a},0.8,8.6,0.49,3.4,1.02")
    _write_text(root / _SONG_LEVEL / "static_annotations_averaged_songs_2000_2058.csv", rows)
    if dynamic:
        cols = ",".join(f"sample_{ms}ms" for ms in (15000, 15500, 16000))
        for k, name in enumerate(("arousal", "valence")):
            lines = ["song_id," + cols]
            for sid, vals in av.items():
                x = (vals[k] - 5) / 4
                tail = "" if sid % 2 else f"{x:.3f}"  # ragged rows like the release
                lines.append(f"{sid},{x:.3f},{x:.3f},{tail}")
            _write_text(root / _DYN / f"{name}.csv", lines)
    for sid in range(2, 13):  # song 13 has no audio
        _write_audio(root / "MEMD_audio" / f"{sid}{AUDIO_EXT}")
    return root, av


def test_load_deam_detects_swapped_columns(tmp_path):
    root, av = _make_deam(tmp_path / "deam")
    data = load_deam(root)
    ids = data.frame["song_id"].tolist()
    assert ids == list(range(2, 13))
    expected = np.array([(av[s] - 5) / 4 for s in ids])
    np.testing.assert_allclose(data.target, expected)
    check = data.va_check.set_index("file")
    assert check.loc["static_annotations_averaged_songs_1_2000.csv", "swapped"]
    assert not check.loc["static_annotations_averaged_songs_2000_2058.csv", "swapped"]
    assert set(check["evidence"]) == {"dynamic"}
    assert "valence_max_mean" in data.frame.columns  # whitespace removed from names
    assert data.groups is None
    assert data.dynamic[0].shape == (3, 2) and data.dynamic[1].shape == (2, 2)
    np.testing.assert_allclose(data.dynamic_times[1], [15.0, 15.5])
    with pytest.raises(FileNotFoundError, match="13"):
        load_deam(root, missing_audio="raise")


def test_load_deam_forced_order_and_no_evidence(tmp_path):
    root, av = _make_deam(tmp_path / "deam", dynamic=False)
    with pytest.warns(UserWarning, match="Could not check"):
        data = load_deam(root)
    first = data.frame["song_id"] == 2
    np.testing.assert_allclose(data.target[first][0], (av[2][::-1] - 5) / 4)  # names trusted
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        forced = load_deam(root, va_order="swapped")
    np.testing.assert_allclose(forced.target[first][0], (av[2] - 5) / 4)
    assert set(forced.va_check["evidence"]) == {"forced"}
    with pytest.raises(ValueError, match="va_order"):
        load_deam(root, va_order="guess")


def test_load_deam_checks_against_emomusic(tmp_path):
    root, av = _make_deam(tmp_path / "deam", dynamic=False)
    emo = tmp_path / "emo" / "annotations"
    lines = ["song_id,mean_arousal,std_arousal,mean_valence,std_valence"]
    lines += [f"{sid},{a},1,{v},1" for sid, (a, v) in av.items() if sid < 10]
    _write_text(emo / "static_annotations.csv", lines)
    with pytest.warns(UserWarning, match="2000_2058"):  # shares no song with emoMusic
        data = load_deam(root, emomusic_home=tmp_path / "emo")
    row = data.va_check.iloc[0]
    assert row["evidence"] == "emomusic" and row["swapped"] and row["n_songs"] == 8


def test_load_deam_errors(tmp_path):
    root, _ = _make_deam(tmp_path / "deam")
    with pytest.raises(FileNotFoundError, match="MEMD_audio"):
        load_deam(root / "annotations")
    for f in (root / _SONG_LEVEL).iterdir():
        f.unlink()
    with pytest.raises(FileNotFoundError, match="static_annotations_averaged_songs"):
        load_deam(root)
    _write_text(
        root / _SONG_LEVEL / "static_annotations_averaged_songs_1_2000.csv",
        ["song_id, valence_mean, valence_std", "2,3.1,0.9"],
    )
    with pytest.raises(ValueError, match="arousal_mean"):
        load_deam(root)


def test_load_deam_header_files_from_the_release(tmp_path):
    src = DATA / "annotation-formats"
    if not src.is_dir():
        pytest.skip(f"real data folder {str(src)!r} absent")
    dest = tmp_path / "deam" / _SONG_LEVEL
    dest.mkdir(parents=True)
    for name in ("1_2000", "2000_2058"):
        text = (src / f"deam_static_annotations_averaged_songs_{name}.head.csv").read_bytes()
        (dest / f"static_annotations_averaged_songs_{name}.csv").write_bytes(text)
    (tmp_path / "deam" / "MEMD_audio").mkdir()
    _write_audio(tmp_path / "deam" / "MEMD_audio" / f"2{AUDIO_EXT}")
    _write_audio(tmp_path / "deam" / "MEMD_audio" / f"2001{AUDIO_EXT}")
    data = load_deam(tmp_path / "deam", va_order="as_named")
    assert data.frame["song_id"].tolist() == [2, 2001]
    np.testing.assert_allclose(data.target[1], [(6.6 - 5) / 4, (3.2 - 5) / 4])


# ----------------------------------------------------------------------------- real data
@pytest.mark.realdata
def test_real_4q_dev():
    data = load_4q(_requires("4q-dev"))
    assert len(data.filenames) == 400
    assert all(Path(f).is_file() for f in data.filenames)
    assert Counter(data.target.tolist()) == {q: 100 for q in QUADRANTS}
    assert len(set(data.groups)) > 200
    assert data.frame.shape == (400, 14)


@pytest.mark.realdata
def test_real_emomusic_sample():
    data = load_emomusic(_requires("emomusic-sample"))
    assert len(data.filenames) == 10 and data.target.shape == (10, 2)
    assert all(Path(f).is_file() for f in data.filenames)
    assert np.all(np.abs(data.target) <= 1)
    assert set(data.frame["split"]) <= {"development", "evaluation"}
    assert all(d.shape == (61, 2) for d in data.dynamic)
    assert np.all(np.abs(np.concatenate(data.dynamic)) <= 1)
    assert "734 of the 744" in data.DESCR


@pytest.mark.realdata
def test_real_pmemo_sample():
    data = load_pmemo(_requires("pmemo-sample"))
    assert len(data.filenames) == 4 and data.target.shape == (4, 2)
    assert np.all(np.abs(data.target) <= 1)
    assert sorted(quadrant_from_av(*data.target.T).tolist()) == list(QUADRANTS)
    assert all(t[0] == 15.5 for t in data.dynamic_times)


def test_load_dataset_reads_every_registered_name_through_its_loader(tmp_path):
    from sk_deepsense.datasets import DATASETS, load_dataset

    assert set(DATASETS) == {"synthetic", "4q", "emomusic", "pmemo", "deam"}
    bunch = load_dataset("synthetic", tmp_path / "clips", n_samples=8, duration=1.0)
    assert bunch.task == "classification" and len(bunch.filenames) == 8
    assert all(Path(f).exists() for f in bunch.filenames)
    with pytest.raises(ValueError, match="unknown dataset 'nope'"):
        load_dataset("nope", tmp_path)
    with pytest.raises(FileNotFoundError):
        load_dataset("4q", tmp_path / "missing")
