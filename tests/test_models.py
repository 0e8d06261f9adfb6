"""The paper tier runs only on GPUs: here every paper-tier model and data setting takes real
optimizer steps through the training code on CPU, on a few images, so it cannot break unseen."""
import pytest
import torch

from repro.config import DATASETS, MODELS, RunSpec
from repro.data import Dataset, Split
from repro.engine import _build, train_epoch
from repro.tiers import TIERS

SHAPES = {"cifar10": (3, 32, 32), "mnist": (1, 28, 28)}

# Every distinct model/data setting of the tiers, plus the models the follow-up claims use.
SETTINGS = sorted({(t.base["dataset"], t.base["model"], tuple(t.base.get("width", ())),
                    t.base.get("resolution")) for t in TIERS.values()}
                  | {("mnist", "fc", (), 32), ("cifar10", "resnet18", (), None),
                     ("cifar10", "allcnn-c", (16, 32), 16)})


def test_the_settings_take_every_model_and_dataset():
    assert {m for _, m, _, _ in SETTINGS} == set(MODELS)
    assert {d for d, _, _, _ in SETTINGS} == set(DATASETS)


def fake_dataset(name, resolution, n=4):
    c, h, w = SHAPES[name]
    h = w = resolution or h
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (n, c, h, w), dtype=torch.uint8, generator=g)
    y = torch.arange(n) % 10
    return Dataset(name, Split(x, y), Split(x, y), torch.full((c,), 0.5), torch.full((c,), 0.25),
                   10, "fake")


@pytest.mark.parametrize("dataset, model, width, resolution", SETTINGS)
@pytest.mark.parametrize("deficit", [None, "blur"])
def test_one_optimizer_step_of_each_setting(dataset, model, width, resolution, deficit):
    tier_base = next((t.base for t in TIERS.values() if t.base["model"] == model), {})
    spec = RunSpec(**{**tier_base, "dataset": dataset, "model": model, "width": width,
                      "resolution": resolution, "train_size": None, "batch_size": 4},
                   phases=((1, deficit),), seed=0)
    data = fake_dataset(dataset, resolution)
    model_, opt = _build(spec, data, torch.device("cpu"))
    before = [p.detach().clone() for p in model_.parameters()]
    row = train_epoch(model_, opt, data, spec, 0, torch.device("cpu"))
    assert torch.isfinite(torch.tensor(row["train_loss"]))
    assert any(not torch.equal(a, b) for a, b in zip(before, model_.parameters()))


def test_paper_widths():
    from repro.models import build_model

    allcnn = build_model("allcnn", (3, 32, 32), 10)
    widths = [m.out_channels for m in allcnn.modules() if isinstance(m, torch.nn.Conv2d)]
    assert widths == [96, 96, 192, 192, 192, 192, 192, 192, 10]
    strides = [m.stride[0] for m in allcnn.modules() if isinstance(m, torch.nn.Conv2d)]
    assert strides == [1, 1, 2, 1, 1, 2, 1, 1, 1]
    springenberg = build_model("allcnn-c", (3, 32, 32), 10)
    assert [m.out_channels for m in springenberg.modules() if isinstance(m, torch.nn.Conv2d)] == [
        96, 96, 96, 192, 192, 192, 192, 192, 10]
    fc = build_model("fc", (1, 32, 32), 10)
    dims = [m.out_features for m in fc.modules() if isinstance(m, torch.nn.Linear)]
    assert dims == [2500, 2000, 1500, 1000, 500, 10]
    assert fc.net[1].in_features == 1024
    resnet = build_model("resnet18", (3, 32, 32), 10)
    assert sum(p.numel() for p in resnet.parameters()) == pytest.approx(11.17e6, rel=0.01)
