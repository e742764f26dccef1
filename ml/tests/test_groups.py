"""Training collections (ml.groups): a photo's profile is made of other photos of its group, never of itself."""

import torch

from ml import bins as B
from ml.groups import Groups, kmeans, photo_hints, photo_role, short_name


def _hints(n):
    Q = len(B.ab_bins())
    h = torch.zeros(n, Q + 2)
    for i in range(n):
        h[i, i] = 1.0  # photo i's histogram is all in bin i
        h[i, Q] = i / 10
        h[i, Q + 1] = 1.0
    return h


def test_a_photos_profile_is_built_from_the_other_photos_of_its_group_only():
    groups = Groups(labels=torch.tensor([0, 0, 0, 1, 1]), hints=_hints(5))
    gen = torch.Generator().manual_seed(0)
    gh = groups.profile_hints(torch.tensor([0, 3, 4]), gen, lo=4, hi=4)
    assert gh[0, 0] == 0 and gh[0, 1] == 0.5 and gh[0, 2] == 0.5  # photos 1 and 2, not 0 itself
    assert gh[1, 4] == 1.0 and gh[1, 3] == 0  # photo 3 gets photo 4's colours
    assert gh[2, 3] == 1.0
    assert torch.all(gh[:, -1] == 1.0)


def test_a_photo_alone_in_its_group_gets_its_own_hint():
    groups = Groups(labels=torch.tensor([0, 1]), hints=_hints(2))
    gh = groups.profile_hints(torch.tensor([1]), torch.Generator().manual_seed(0))
    assert gh[0, 1] == 1.0


def test_the_bench_role_is_a_fixed_tenth_whatever_the_data_folders_location():
    names = [f"people/{i:04d}.jpg" for i in range(2000)]
    share = sum(photo_role(n) == "bench" for n in names) / len(names)
    assert 0.07 < share < 0.13
    assert photo_role("/a/b/train/people/0042.jpg") == photo_role("people/0042.jpg")
    assert short_name("/x/train/streets/f.png") == "streets/f.png"


def test_kmeans_separates_two_clear_clusters():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(30, 4, generator=g).numpy() * 0.1
    b = a + 5.0
    labels = kmeans(__import__("numpy").concatenate([a, b]), 2)
    assert len(set(labels[:30])) == 1 and len(set(labels[30:])) == 1 and labels[0] != labels[30]


def test_photo_hints_of_a_red_photo_put_its_mass_in_red_bins():
    img = torch.zeros(2, 3, 16, 16, dtype=torch.uint8)
    img[0, 0] = 200  # red
    img[1] = 128  # gray
    h = photo_hints(img, side=16)
    Q = len(B.ab_bins())
    assert torch.allclose(h[:, :Q].sum(1), torch.ones(2))
    assert h[0, Q] > 0.5 and h[1, Q] < 0.05  # saturation: red is chromatic, gray is not
