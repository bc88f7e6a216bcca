"""The CIFAR-10 chapter's pipeline (paper 1 section 3.6): frozen convolutions stay frozen, cached features equal
features computed on the fly, the public and private parts of CIFAR-10 are disjoint, privacy is accounted on the
private set, and the input-space analyses run through the whole network.

Most tests use small synthetic "CIFAR" sets (monkeypatched loader) and tiny channel counts, so the file runs in
seconds; one test checks the split on the real CIFAR-10 when it is available."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from dprob_utils.book import settings
from dprob_utils.config.errors import DataError
from dprob_utils.config.profiles import SMOKE, Cifar, TrainSettings, customise
from dprob_utils.config.training import TrainConfig
from dprob_utils.data.datasets import ImageDataset
from dprob_utils.dp.training import fit
from dprob_utils.experiments.p1_cifar import chapter, heads, measures, pretrain
from dprob_utils.experiments.p1_cifar import data as cifar_data
from dprob_utils.models.architectures import make_cifar_head
from dprob_utils.store import memo

TINY = Cifar(channels=(4, 4), public_size=100, pretrain_epochs=1, pretrain_batch_size=32,
             head=TrainSettings(lr=0.05, batch_size=40, epochs=2), distance_samples=40, hessian_samples=2,
             hessian_method="gauss-newton-gram")
TINY_PROFILE = customise(SMOKE, cifar=TINY)


def fake_dataset(name: str, split: str, n: int, seed: int) -> ImageDataset:
    gen = torch.Generator().manual_seed(seed)
    classes = 100 if name == "cifar100" else 10
    y = torch.arange(n) % classes
    # class-dependent mean colour so that a model can learn something
    x = (torch.rand(n, 3, 32, 32, generator=gen) * 0.5 + (y.float() / classes).view(-1, 1, 1, 1) * 0.5)
    return ImageDataset(x, y, name, split, f"fake {name} {split}", torch.arange(n))


@pytest.fixture
def fake_data(monkeypatch):
    """CIFAR-10 (300 train, 60 test) without CIFAR-100, like the offline machine."""
    have = {"cifar100": False}

    def load(name, split="train", data_dir=None, download=True):
        if name == "cifar100" and not have["cifar100"]:
            raise DataError("CIFAR100 not found (fake)")
        n = {"train": 300, "test": 60}[split]
        return fake_dataset(name, split, n, seed=(split == "test") + 2 * (name == "cifar100"))

    monkeypatch.setattr(cifar_data, "load_dataset", load)
    monkeypatch.setattr(pretrain, "load_dataset", load)
    return have


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One store for the module, so the tiny convolutions are pre-trained once."""
    return cifar_data.CifarStore(tmp_path_factory.mktemp("cifar"))


def test_public_and_private_parts_are_disjoint(fake_data):
    data = cifar_data.load_cifar_data(TINY)
    assert data.source == "cifar10-public"
    pub, priv = set(data.public.indices.tolist()), set(data.private.indices.tolist())
    assert len(pub) == 100 and not pub & priv and pub | priv == set(range(300))
    again = cifar_data.load_cifar_data(TINY)  # fixed: the same split every time
    assert torch.equal(again.public.indices, data.public.indices)
    small = cifar_data.load_cifar_data(Cifar(public_size=100, pretrain_subset=50,
                                        head=TrainSettings(lr=0.1, batch_size=10, epochs=1, train_subset=80)))
    spub, spriv = set(small.public.indices.tolist()), set(small.private.indices.tolist())
    assert len(spub) == 50 and len(spriv) == 80 and spub <= pub and spriv <= priv


def test_cifar100_used_when_available_and_required_when_asked(fake_data):
    with pytest.raises(DataError):
        cifar_data.load_cifar_data(Cifar(pretrain_source="cifar100"))
    with pytest.raises(ValueError):
        cifar_data.load_cifar_data(Cifar(pretrain_source="imagenet"))
    fake_data["cifar100"] = True
    data = cifar_data.load_cifar_data(Cifar(pretrain_source="auto"))
    assert data.source == "cifar100" and data.public.name == "cifar100" and data.public.num_classes == 100
    assert len(data.private) == 300  # all of CIFAR-10 train is private when CIFAR-100 is the public data


def test_real_cifar10_public_private_disjoint():
    from dprob_utils.data.datasets import load_dataset

    try:
        train10 = load_dataset("cifar10", "train", download=False)
    except DataError:
        pytest.skip("CIFAR-10 not available")
    public, private = cifar_data.public_private_split(train10, Cifar(public_size=10000))
    pub, priv = public.indices.numpy(), private.indices.numpy()
    assert len(pub) == 10000 and len(priv) == 40000
    assert len(np.intersect1d(pub, priv)) == 0 and len(np.union1d(pub, priv)) == 50000


def test_frozen_convolutions_do_not_change(fake_data, store):
    data = cifar_data.load_cifar_data(TINY)
    pre = pretrain.pretrain_convs(TINY, data, store=store)
    assert not any(p.requires_grad for p in pre.features.parameters())
    before = {k: v.clone() for k, v in pre.features.state_dict().items()}
    trained = {mode: heads.train_head(TINY_PROFILE, pre, data, mode, store=store) for mode in ("sgd", "dpsgd")}
    for k, v in pre.features.state_dict().items():
        assert torch.equal(v, before[k])
    torch.manual_seed(0)
    init = make_cifar_head(4 * 49, 10)
    for head, _ in trained.values():
        assert not torch.equal(head[0].weight, init[0].weight)  # the dense layers did train
    # Training the whole assembled net (images in, SGD and Opacus DP-SGD) moves only the dense layers.
    for mode in ("sgd", "dpsgd"):
        net = heads.assemble(pre, trained["sgd"][0], TINY)
        for p in net.head.parameters():
            p.requires_grad_(True)
        conv0, head0 = net.features[0].weight.clone(), net.head[0].weight.clone()
        cfg = TrainConfig(arch="p1_cifar_net", mode=mode, sigma=1.0, clip=3.0, lr=0.1, batch_size=50, epochs=1)
        fit(net, data.private.x, data.private.y, cfg)
        assert torch.equal(net.features[0].weight, conv0)
        assert not torch.equal(net.head[0].weight, head0)


def test_cached_features_equal_features_on_the_fly(fake_data, tmp_path):
    store = cifar_data.CifarStore(tmp_path / "own")
    data = cifar_data.load_cifar_data(TINY)
    pre = pretrain.pretrain_convs(TINY, data, store=store)
    first = pretrain.features_for(pre, data.test, store=store)
    assert len(list((store.root / "features").glob("*.pt"))) == 1
    cached = pretrain.features_for(pre, data.test, store=store)  # read back from disk
    with torch.no_grad():
        on_the_fly = torch.cat([pre.features(data.test.x[i : i + 1]) for i in range(len(data.test))])
    assert torch.equal(first, cached)
    assert torch.allclose(cached, on_the_fly, atol=1e-6, rtol=1e-5)
    head, _ = heads.train_head(TINY_PROFILE, pre, data, "sgd", store=store)
    net = heads.assemble(pre, head, TINY)
    with torch.no_grad():
        assert torch.allclose(head(cached), net(data.test.x), atol=1e-5, rtol=1e-4)
    other = pretrain.features_for(pre, data.private, store=store)  # another dataset gets another entry
    assert other.shape == (len(data.private), 4 * 49)
    assert len(list((store.root / "features").glob("*.pt"))) == 2


def test_cache_hits_and_keys(fake_data, tmp_path):
    store = cifar_data.CifarStore(tmp_path / "own")
    data = cifar_data.load_cifar_data(TINY)
    pre = pretrain.pretrain_convs(TINY, data, store=store)
    again = pretrain.pretrain_convs(TINY, data, store=store)
    assert again.cached and not pre.cached and again.key == pre.key
    for k, v in pre.features.state_dict().items():
        assert torch.equal(v, again.features.state_dict()[k])
    other = replace(TINY, pretrain_lr=0.002)
    assert pretrain.pretrain_convs(other, data, store=store).key != pre.key
    h1, r1 = heads.train_head(TINY_PROFILE, pre, data, "dpsgd", store=store)
    h2, r2 = heads.train_head(TINY_PROFILE, pre, data, "dpsgd", store=store)
    assert r2.cached and not r1.cached and r1.accuracy == r2.accuracy
    assert torch.equal(h1[0].weight, h2[0].weight)


def test_privacy_is_accounted_on_the_private_set(fake_data, store):
    data = cifar_data.load_cifar_data(TINY)
    pre = pretrain.pretrain_convs(TINY, data, store=store)
    _, res = heads.train_head(TINY_PROFILE, pre, data, "dpsgd", store=store)
    n = len(data.private)
    assert n == 200
    assert res.privacy["sample_rate"] == pytest.approx(TINY.head.batch_size / n)
    assert res.privacy["steps"] == TINY.head.epochs * round(n / TINY.head.batch_size)
    assert res.privacy["noise_multiplier"] == TINY.dp[0] and math.isfinite(res.privacy["epsilon_rdp"])
    _, sgd = heads.train_head(TINY_PROFILE, pre, data, "sgd", store=store)
    assert sgd.privacy is None


def test_analyses_run_in_input_space(fake_data, monkeypatch, tmp_path):
    monkeypatch.setenv("DPROB_CACHE", str(tmp_path / "cache"))
    models = heads.build_models(TINY_PROFILE)
    dist = measures.boundary_distance_study(models)
    for tag in ("sgd", "dpsgd"):
        linf, l2 = dist["linf"][tag]["distances"], dist["l2"][tag]["distances"]
        assert len(linf) == len(l2) == dist["linf"][tag]["n"] <= 40
        finite = np.isfinite(linf) & np.isfinite(l2)
        assert np.all(linf[finite] <= l2[finite] + 1e-12)  # ||v||_inf <= ||v||_2
    curv = measures.curvature_study(models)
    for tag in ("sgd", "dpsgd"):
        assert curv[tag]["per_sample"].shape == (2, 10)
        assert abs(curv[tag]["per_sample"][:, 9]).max() <= 1e-4 * max(abs(curv[tag]["per_sample"][:, 0]).max(), 1e-12)
    res = chapter.results_dict(models, dist, curv)
    assert res["pretrain_source"] == "cifar10-public"
    assert set(res["accuracy"]) == {"sgd", "dpsgd", "gap"} and res["epsilon"] > 0
    assert res["distances"]["mean_l2"]["sgd"] == pytest.approx(float(np.mean(dist["l2"]["sgd"]["distances"])))
    assert len(res["curvature"]["mean_profile"]["dpsgd"]) == 10
    assert {r["norm"] for r in chapter.distance_rows(dist)} == {"linf", "l2"}


def test_gram_eigenvalues_equal_the_full_hessian():
    from torch import nn

    from dprob_utils.analysis.curvature import top_eigenvalues

    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(36, 32), nn.ReLU(),
                        nn.Linear(32, 10)).double().eval()
    x, y = torch.rand(3, 3, 8, 8, dtype=torch.float64), torch.tensor([0, 4, 9])
    gram = measures.gram_top_eigenvalues(net, x, y, k=12)
    assert gram.shape == (3, 12)
    assert gram[:, 9:].abs().max() < 1e-10 * gram[:, 0].abs().max()  # rank <= K - 1 = 9: zero up to round-off
    for method in ("exact", "gauss-newton"):
        full = top_eigenvalues(net, x, y, k=12, method=method)
        assert torch.allclose(gram[:, :9], full[:, :9], rtol=1e-6, atol=1e-10)
        assert full[:, 9:].abs().max() < 1e-8 * full[:, 0].abs().max()
    with pytest.raises(ValueError):
        measures.gram_top_eigenvalues(net, x, y, k=0)


def test_paper_profile_has_the_papers_settings():
    from dprob_utils.config.profiles import PAPER

    c = PAPER.cifar
    assert (c.head.lr, c.head.batch_size, c.head.epochs, c.head.train_subset) == (0.01, 200, 200, None)
    assert c.dp == (1.0, 3.0) and c.pretrain_source == "auto"
    assert (c.hessian_samples, c.hessian_top, c.hessian_method, c.distance_samples) == (100, 10, "exact", None)
    rows = {r["setting"]: r["ours"] for r in settings.cifar_rows(PAPER)}
    assert "lr 0.01, batch 200, 200 epochs" in rows["dense-layer training"]


def test_a_warm_study_reads_its_intervals_and_membership(fake_data, monkeypatch, tmp_path):
    monkeypatch.setenv("DPROB_CACHE", str(tmp_path / "cache"))
    prof = customise(TINY_PROFILE, privacy=replace(TINY_PROFILE.privacy, mia_points=20))
    memo.clear()
    first = chapter.study(prof)
    memo.clear()

    def fail(*args):
        raise AssertionError("recomputed")

    monkeypatch.setattr(chapter, "study_intervals", fail)
    monkeypatch.setattr(chapter, "membership_study", fail)
    again = chapter.study(prof)
    assert again.intervals == first.intervals and again.membership == first.membership
