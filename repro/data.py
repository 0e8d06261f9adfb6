"""Datasets as whole uint8 tensors on the run's device.

Sources, in order: `<data_dir>/<name>.npz` (keys x_train, y_train, x_test, y_test; the offline
copies in ../shared/data), torchvision's own folders under `data_dir`, and, when the user allows
it, a torchvision download into `data_dir`.
"""
from __future__ import annotations

import functools
import hashlib
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

NUM_CLASSES = {"cifar10": 10, "mnist": 10}
SUBSET_SEED = 0  # subsets are the same for every run seed: the seed varies init and data order
# The original datasets' pixels, fingerprinted: SHA-256 of the named array's first `count` images
# (None: all of them), uint8 in torchvision's layout (CIFAR-10 [N, 32, 32, 3], MNIST [N, 28, 28]),
# original order. A file that does not match is not the original: a lossy copy, such as a
# JPEG-decoded CIFAR-10, on which a blur deficit meets images already low-passed.
#   cifar10: the first 4,000 training images of the original batches (computed from a lossless
#            copy of them: `python -m repro.fingerprint cifar10_lossless_subset.npz x_train 4000`);
#   mnist:   the 10,000 test images of the original idx files.
ORIGINAL_FINGERPRINTS = {
    "cifar10": ("x_train", 4000,
                "bac45b45504ed1289a3f437be4bfbefece248abbc094a428a0b4dfab00e776ae"),
    "mnist": ("x_test", None, "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161"),
}


ARRAYS = ("x_train", "y_train", "x_test", "y_test")
# torchvision checks its own archives (CIFAR-10's batches, MNIST's idx files) against the MD5
# digests it ships, and says "not found or corrupted" when one does not match.
TORCHVISION_FOLDER = {"cifar10": "cifar-10-batches-py/", "mnist": "MNIST/raw/"}


class DataError(Exception):
    """A dataset that cannot be used; the message names the file and what to do."""


class DataNotFound(DataError, FileNotFoundError):
    pass


class DataUnreadable(DataError, ValueError):
    pass


@dataclass(frozen=True)
class Split:
    x: torch.Tensor  # uint8 [N, C, H, W]
    y: torch.Tensor  # int64 [N]


@dataclass(frozen=True)
class Dataset:
    name: str
    train: Split
    test: Split
    mean: torch.Tensor  # float [C], of the training images in [0, 1]
    std: torch.Tensor
    num_classes: int
    source: str

    @functools.cached_property
    def input_affine(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(shift, scale), [1, C, 1, 1] each: uint8 pixels p -> network input p * scale + shift,
        the per-channel normalisation. Computed once, not once per batch."""
        mean, std = self.mean * 255, self.std * 255
        return (-mean / std)[None, :, None, None], (1 / std)[None, :, None, None]


def default_data_dir() -> Path:
    env = os.environ.get("REPRO_DATA_DIR")
    return Path(env) if env else Path.home() / ".cache" / "repro" / "data"


def load_dataset(
    name: str,
    data_dir: str | os.PathLike | None = None,
    *,
    train_size: int | None = None,
    resolution: int | None = None,
    pad_to: int | None = None,
    device: str | torch.device = "cpu",
    download: bool = False,
) -> Dataset:
    if name not in NUM_CLASSES:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(NUM_CLASSES)}")
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    return _load(name, str(data_dir.resolve()), train_size, resolution, pad_to, str(device),
                 download)


@functools.lru_cache(maxsize=8)
def _load(name, data_dir, train_size, resolution, pad_to, device, download) -> Dataset:
    xtr, ytr, xte, yte, source = _read_arrays(name, Path(data_dir), download)
    train = _to_split(xtr, ytr)
    test = _to_split(xte, yte)
    k = NUM_CLASSES[name]
    if train_size is not None:
        train = balanced_subset(train, train_size, k)
    if resolution is not None:
        train = Split(resize(train.x, resolution), train.y)
        test = Split(resize(test.x, resolution), test.y)
    if pad_to is not None:
        train, test = Split(pad(train.x, pad_to), train.y), Split(pad(test.x, pad_to), test.y)
    xf = train.x.float() / 255
    mean, std = xf.mean(dim=(0, 2, 3)), xf.std(dim=(0, 2, 3))
    dev = torch.device(device)

    def mv(s: Split) -> Split:
        return Split(s.x.to(dev), s.y.to(dev))

    return Dataset(name, mv(train), mv(test), mean.to(dev), std.to(dev), k, source)


def _to_split(x: np.ndarray, y: np.ndarray) -> Split:
    t = torch.from_numpy(np.ascontiguousarray(x))
    t = t.unsqueeze(1) if t.ndim == 3 else t.permute(0, 3, 1, 2)  # -> [N, C, H, W]
    return Split(t.contiguous(), torch.from_numpy(np.asarray(y)).long())


def balanced_subset(split: Split, size: int, num_classes: int) -> Split:
    """`size` images, the same number from each class, chosen by a fixed generator."""
    if size % num_classes or not 0 < size <= len(split.y):
        raise ValueError(
            f"train_size {size} must be a positive multiple of {num_classes} and at most "
            f"{len(split.y)}"
        )
    g = torch.Generator().manual_seed(SUBSET_SEED)
    per = size // num_classes
    picked = []
    for c in range(num_classes):
        idx = torch.nonzero(split.y == c).flatten()
        if len(idx) < per:
            raise ValueError(f"class {c} has {len(idx)} images, fewer than {per}")
        picked.append(idx[torch.randperm(len(idx), generator=g)[:per]])
    order = torch.cat(picked).sort().values
    return Split(split.x[order], split.y[order])


def resize(x: torch.Tensor, resolution: int) -> torch.Tensor:
    if x.shape[-1] == resolution and x.shape[-2] == resolution:
        return x
    out = F.interpolate(x.float(), size=(resolution, resolution), mode="bilinear",
                        align_corners=False, antialias=True)
    return out.round().clamp(0, 255).to(torch.uint8)


def pad(x: torch.Tensor, size: int) -> torch.Tensor:
    """Zero-pad images to size x size, centred (MNIST's 28x28 digits to the paper's 32x32)."""
    h, w = x.shape[-2:]
    if h > size or w > size:
        raise ValueError(f"cannot pad {h}x{w} images to {size}x{size}")
    top, left = (size - h) // 2, (size - w) // 2
    return F.pad(x, (left, size - w - left, top, size - h - top))


def _read_arrays(name: str, data_dir: Path, download: bool):
    npz = data_dir / f"{name}.npz"
    if npz.is_file():
        return (*read_npz(npz), str(npz))
    try:
        return (*_torchvision_arrays(name, data_dir, download), f"torchvision:{data_dir}")
    except (RuntimeError, OSError) as err:
        raise DataNotFound(
            f"no {name} data in {data_dir}: expected {npz.name} (x_train, y_train, "
            f"x_test, y_test as uint8) or torchvision's {TORCHVISION_FOLDER[name]} folder. "
            f"Point --data-dir (or REPRO_DATA_DIR) at a directory holding one of them, or pass "
            f"--download to let torchvision fetch {name} there. ({err})"
        ) from None


def read_npz(path: Path) -> tuple[np.ndarray, ...]:
    """The four arrays of an .npz dataset file, checked against the SHA256SUMS beside it when it
    lists the file; DataUnreadable, naming the file, when it is damaged or incomplete."""
    expected = expected_digest(path)
    if expected is not None and file_digest(path) != expected:
        raise DataUnreadable(
            f"{path} does not match its SHA-256 in {path.parent / 'SHA256SUMS'} (expected "
            f"{expected}, found {file_digest(path)}): the file is damaged. Copy it again.")
    try:
        with np.load(path) as d:
            missing = [k for k in ARRAYS if k not in d.files]
            if missing:
                raise DataUnreadable(
                    f"{path} lacks the array(s) {', '.join(missing)}: a dataset file holds "
                    f"{', '.join(ARRAYS)} (uint8 images, integer labels)")
            return tuple(d[k] for k in ARRAYS)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as err:
        if isinstance(err, DataUnreadable):
            raise
        digest = (f"its expected SHA-256 is {expected} (SHA256SUMS)" if expected else
                  "no digest of it is known (no SHA256SUMS beside it lists it)")
        raise DataUnreadable(
            f"{path} cannot be read as an .npz dataset file ({type(err).__name__}: {err}): it "
            f"is truncated or damaged; {digest}. Copy it again, or remove it and pass "
            f"--download to let torchvision fetch the original.") from None


def check_data(name: str, data_dir: str | os.PathLike | None = None,
               download: bool = False) -> str | None:
    """None when `name` is present and readable under `data_dir` (or `download` will fetch it);
    else what is wrong, naming the file (for the dry run, which trains nothing)."""
    root = (Path(data_dir) if data_dir is not None else default_data_dir()).resolve()
    try:
        _read_arrays(name, root, download=False)
    except DataNotFound as err:
        return None if download else str(err)
    except DataError as err:
        return str(err)
    return None


def _torchvision_arrays(name: str, root: Path, download: bool):
    import torchvision

    cls = {"cifar10": torchvision.datasets.CIFAR10, "mnist": torchvision.datasets.MNIST}[name]
    out = []
    for train in (True, False):
        ds = cls(root=str(root), train=train, download=download)
        x = ds.data.numpy() if isinstance(ds.data, torch.Tensor) else np.asarray(ds.data)
        out += [x, np.asarray(ds.targets)]
    return tuple(out)


_SOURCES: dict[tuple, dict] = {}


def data_source(name: str, data_dir: str | os.PathLike | None = None,
                download: bool = False) -> dict:
    """Where `name` is read from and the SHA-256 digest of what is read ("missing" when it is not
    there yet): part of every run's key, since two files of one dataset (the JPEG-decoded
    offline CIFAR-10 and the original, say) train different runs."""
    root = (Path(data_dir) if data_dir is not None else default_data_dir()).resolve()
    npz = root / f"{name}.npz"
    cache_key = (name, str(root), npz.stat().st_mtime_ns if npz.is_file() else None)
    if cache_key in _SOURCES:
        return _SOURCES[cache_key]
    if npz.is_file():
        x_train, _, x_test, _ = read_npz(npz)
        original = is_original(name, {"x_train": x_train, "x_test": x_test})
        found = {"source": str(npz), "digest": file_digest(npz)[:16], "original": original}
    else:
        try:
            arrays = _torchvision_arrays(name, root, download=False)
        except (RuntimeError, OSError):
            return {"source": f"missing ({root})", "digest": "missing", "original": None}
        h = hashlib.sha256()
        for a in arrays:
            h.update(np.ascontiguousarray(a).tobytes())
        original = is_original(name, {"x_train": arrays[0], "x_test": arrays[2]})
        found = {"source": f"torchvision:{root}", "digest": h.hexdigest()[:16],
                 "original": original}
    _SOURCES[cache_key] = found
    return found


def fingerprint(x: np.ndarray, count: int | None = None) -> str:
    """SHA-256 of the first `count` images of `x` (all of them when None)."""
    return hashlib.sha256(np.ascontiguousarray(x[:count]).tobytes()).hexdigest()


def is_original(name: str, arrays: dict[str, np.ndarray]) -> bool:
    """Whether these are the original dataset's pixels (ORIGINAL_FINGERPRINTS)."""
    field, count, expected = ORIGINAL_FINGERPRINTS[name]
    x = arrays[field]
    return (count is None or len(x) >= count) and fingerprint(x, count) == expected


def report_source(info: dict) -> dict:
    """`info` (data_source's) for a report: the file by name, never the machine's path."""
    src = info["source"]
    name = ("torchvision's folder" if src.startswith("torchvision:") else
            "missing" if src.startswith("missing") else Path(src).name)
    return {**info, "source": name}


def describe(info: dict) -> str:
    """A data source in a sentence, for refusals and reports."""
    state = {True: "the original pixels (fingerprint matched)",
             False: "NOT the original pixels (a lossy or altered copy)",
             None: "not checked"}[info.get("original")]
    return f"`{info['source']}` (SHA-256 {info['digest']}...), {state}"


def file_digest(path: Path) -> str:
    st = path.stat()
    return _file_digest(str(path), st.st_size, st.st_mtime_ns)


@functools.cache
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def expected_digest(path: Path) -> str | None:
    """`path`'s SHA-256 as the SHA256SUMS file beside it lists it; None when none does."""
    sums = path.parent / "SHA256SUMS"
    if not sums.is_file():
        return None
    expected = {ln.split()[1].lstrip("*"): ln.split()[0]
                for ln in sums.read_text().splitlines() if len(ln.split()) == 2}
    return expected.get(path.name)

