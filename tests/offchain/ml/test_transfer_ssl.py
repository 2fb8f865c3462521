"""benchmarks.transfer_ssl: the rotation pretext's batches, its training, and its control source's draws."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmarks import transfer_ssl
from benchmarks.transfer_bench import LABELS_PER_CLASS, TUNE_SEEDS, draw_indices
from offchain.ml.data import ImageSet, load_data

SIDE = 8


def test_each_turned_image_carries_the_label_of_its_quarter_turns() -> None:
    images = torch.zeros(64, 3, SIDE, SIDE, dtype=torch.uint8)
    images[:, :, 0, 0] = 255  # one white pixel, top left: where it lands names the turn
    # k counter-clockwise quarter turns carry the top-left corner to these corners (row, column)
    corner = {0: (0, 0), 1: (SIDE - 1, 0), 2: (SIDE - 1, SIDE - 1), 3: (0, SIDE - 1)}

    turned, turns = transfer_ssl.rotate_batch(images, torch.Generator().manual_seed(0))

    assert sorted(set(turns.tolist())) == [0, 1, 2, 3]
    for image, k in zip(turned, turns.tolist(), strict=True):
        assert torch.nonzero(image[0]).tolist() == [list(corner[k])]


def test_turning_keeps_every_pixel_and_the_batch_untouched() -> None:
    images = torch.randint(0, 256, (16, 3, SIDE, SIDE), dtype=torch.uint8)
    before = images.clone()

    turned, _ = transfer_ssl.rotate_batch(images, torch.Generator().manual_seed(1))

    assert torch.equal(images, before)
    assert torch.equal(turned.flatten(1).sort(1).values, images.flatten(1).sort(1).values)


def test_a_short_pretext_run_lowers_its_loss() -> None:
    digits = torch.from_numpy(load_data("digits", "train", per_class=10).images)  # 100 images
    # a lower rate than the recipe's: batches of 20 at 0.05 diverge before they learn
    recipe = {**transfer_ssl.ROTATION_RECIPE, "steps": 25, "batch": 20, "warmup_steps": 3, "lr": 0.01}

    model, losses = transfer_ssl.train_pretext(digits, recipe)

    assert len(losses) == 5  # 100 images a pass, 5 steps of 20
    assert losses[-1] < 0.75 * losses[0]  # 0.78-0.90 of ln 4 at the end, seeds 0-2
    assert not model.training


def test_the_control_source_holds_no_image_of_a_tuning_draw() -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(5), 1000)  # 5,000 images: each draw takes 1,125 or 1,200
    pool = ImageSet(rng.integers(0, 256, (len(labels), 3, 4, 4), dtype=np.uint8), labels, tuple("abcde"))

    rest = transfer_ssl.target_rest(pool)

    assert len(rest) > 0
    for count in LABELS_PER_CLASS:
        for seed in TUNE_SEEDS:
            assert not set(rest) & set(np.concatenate(draw_indices(pool, count, seed)))


def test_nt_xent_matches_a_loop_over_each_projection() -> None:
    z1, z2 = torch.randn(6, 5, generator=torch.Generator().manual_seed(2)).split(3)
    z = torch.nn.functional.normalize(torch.cat([z1, z2]), dim=1)
    terms = []
    for i in range(6):  # SimCLR's eq. 1: -log(exp(s(i, partner)/t) / sum over k != i of exp(s(i, k)/t))
        partner = (i + 3) % 6
        others = sum(torch.exp(z[i] @ z[k] / 0.5) for k in range(6) if k != i)
        terms.append(-torch.log(torch.exp(z[i] @ z[partner] / 0.5) / others))

    assert torch.allclose(transfer_ssl.nt_xent(z1, z2, 0.5), torch.stack(terms).mean(), atol=1e-6)


def test_a_contrastive_view_is_a_changed_uint8_image_of_the_same_shape() -> None:
    images = torch.from_numpy(load_data("digits", "train", per_class=1).images)

    view = transfer_ssl.contrastive_view(images, torch.Generator().manual_seed(3))

    assert view.dtype == torch.uint8 and view.shape == images.shape
    assert (view != images).flatten(1).any(1).all()


def test_the_control_source_is_refused_for_draws_it_may_hold() -> None:
    from benchmarks import transfer_features

    with pytest.raises(SystemExit) as exits:  # draw 7's images may lie in the control's source
        transfer_features.main(["--base", "rotation", "--source", "fashion+target-rest", "--seeds", "100,7"])

    assert exits.value.code == 2
