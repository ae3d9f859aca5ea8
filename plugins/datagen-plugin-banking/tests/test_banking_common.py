"""The shared helpers other packs import: documents, places, names, time, money."""

from __future__ import annotations

import re

import numpy as np
import pytest
from datagen_plugin_banking.common import (
    BUSINESS_HOURS,
    CPF_SPACE,
    DAY_MS,
    SortedSearch,
    TimestampSampler,
    cnpjs_from_roots,
    cpfs_from_bases,
    emails_for,
    format_brl,
    int_column,
    invalid_cpfs,
    is_valid_cnpj,
    is_valid_cpf,
    local_parts,
    object_column,
    phones_for_ddds,
    pick,
    random_cnpjs,
    random_cpfs,
    sample_addresses,
    sample_locations,
    sample_names,
    state_by_uf,
    states,
    to_cents,
    unique_cpf_bases,
)

AS_OF = 1_767_236_400_000  # 2026-01-01T00:00-03:00


def test_cpf_check_digits_follow_mod_11() -> None:
    # check digits computed by hand: 529982247 -> 2 (sum 295, 295 % 11 = 9, 11-9) then 5
    assert cpfs_from_bases(np.array([529_982_247])) == ["529.982.247-25"]
    assert is_valid_cpf("529.982.247-25")
    assert not is_valid_cpf("529.982.247-24")
    assert not is_valid_cpf("52998224725")  # unformatted
    assert not is_valid_cpf("111.111.111-11")  # repeated digits pass mod 11 but are invalid
    assert not is_valid_cpf(None)
    assert cpfs_from_bases(np.array([1]))[0].startswith("000.000.001-")


def test_invalid_cpfs_checks_a_batch_like_is_valid_cpf() -> None:
    rng = np.random.default_rng(2)
    good = random_cpfs(rng, 1000)
    values = [*good[:3], "529.982.247-24", None, "abc", "111.111.111-11", "529.982.247-25", "529,982.247-25",
              "52a.982.247-25", "529.982.247-2\u0665", *good[3:]]
    assert invalid_cpfs(values) == [i for i, v in enumerate(values) if not is_valid_cpf(v)] == [3, 4, 5, 6, 8, 9, 10]
    assert invalid_cpfs(good) == [] and invalid_cpfs([]) == []


def test_unique_cpf_bases_are_a_bijection_avoiding_repeated_digits() -> None:
    idx = np.arange(300_000)
    bases = unique_cpf_bases(42, idx)
    assert np.unique(bases).size == idx.size
    assert bases.min() >= 0 and bases.max() < CPF_SPACE
    assert not np.isin(bases, np.arange(10) * 111_111_111).any()
    # indices near the skipped repeated-digit bases and at the end of the space stay distinct
    edge = np.array([0, 111_111_110, 111_111_111, 111_111_112, 999_999_987, 999_999_989])
    assert np.unique(unique_cpf_bases(42, edge)).size == edge.size
    assert not np.isin(unique_cpf_bases(42, edge), np.arange(10) * 111_111_111).any()
    assert not np.array_equal(unique_cpf_bases(43, idx[:100]), bases[:100])  # seed-dependent
    with pytest.raises(ValueError):
        unique_cpf_bases(42, np.array([CPF_SPACE - 10]))


def test_random_cpfs_and_cnpjs_are_valid() -> None:
    rng = np.random.default_rng(3)
    assert all(is_valid_cpf(c) for c in random_cpfs(rng, 5000))
    cnpjs = random_cnpjs(rng, 5000)
    assert all(re.fullmatch(r"\d\d\.\d{3}\.\d{3}/0001-\d\d", c) for c in cnpjs)
    assert all(is_valid_cnpj(c) for c in cnpjs)
    assert cnpjs_from_roots(np.array([11_222_333]), 1) == ["11.222.333/0001-81"]
    assert not is_valid_cnpj("11.222.333/0001-82")
    assert not is_valid_cnpj("11.111.111/1111-11")


def test_states_data_is_shipped_and_complete() -> None:
    sts = states()
    assert len(sts) == 27 and len({s.uf for s in sts}) == 27
    sp = state_by_uf()["SP"]
    assert sp.cep_ranges == ((1000, 19999),) and "11" in sp.ddds and sp.cities[0].name == "São Paulo"
    assert state_by_uf()["GO"].cep_ranges == ((72800, 72999), (73700, 76799))
    for s in sts:
        assert all(c.ddd in s.ddds for c in s.cities), s.uf


def test_locations_are_consistent_and_weighted_by_population() -> None:
    n = 50_000
    loc = sample_locations(np.random.default_rng(5), n)
    by_uf = state_by_uf()
    for uf, city, ddd, cep in zip(loc.uf, loc.city, loc.ddd, loc.cep, strict=True):
        s = by_uf[uf]
        assert re.fullmatch(r"\d{5}-\d{3}", cep)
        assert s.cep_prefix_ok(int(cep[:5])), (uf, cep)
        assert (city, ddd) in {(c.name, c.ddd) for c in s.cities}
    total = sum(s.population_millions for s in states())
    share_sp = loc.uf.count("SP") / n
    assert abs(share_sp - 44.4 / total) < 0.01
    assert loc.uf.count("RR") > 0 and "Goiânia" in loc.city
    # both CEP ranges of a two-range state are used
    go = [int(c[:5]) for u, c in zip(loc.uf, loc.cep, strict=True) if u == "GO"]
    assert min(go) < 73000 and max(go) > 73700


def test_addresses_and_phones_have_brazilian_formats() -> None:
    rng = np.random.default_rng(9)
    loc = sample_locations(rng, 2000)
    addresses = sample_addresses(rng, 2000, loc)
    assert [a["city"] for a in addresses] == loc.city and {a["country"] for a in addresses} == {"BR"}
    assert all(re.fullmatch(r"\d+|S/N", a["number"]) for a in addresses)
    assert 0.3 < sum(a["complement"] is None for a in addresses) / 2000 < 0.7
    assert all(a["street"].split()[0] in {"Rua", "Avenida", "Travessa", "Alameda"} for a in addresses)
    phones = phones_for_ddds(rng, loc.ddd)
    assert all(re.fullmatch(r"\+55 \d\d 9\d{4}-\d{4}", p) for p in phones)
    assert [p[4:6] for p in phones] == loc.ddd


def test_names_and_emails() -> None:
    rng = np.random.default_rng(11)
    names = sample_names(rng, 5000)
    emails = emails_for(rng, names)
    assert all(2 <= len(n.split()) <= 6 for n in names.full)
    assert len(set(names.full)) > 4000
    for full, email in zip(names.full, emails, strict=True):
        assert re.fullmatch(r"[a-z0-9._]+@[a-z.]+", email), email
        local = email.split("@")[0]
        last = full.split()[-1].lower()
        folded = last.translate(str.maketrans("áâãàéêíóôõúç", "aaaaeeiooouc"))
        assert folded in local, (full, email)


def test_business_hours_sampler_respects_windows_and_weights() -> None:
    rng = np.random.default_rng(13)
    n = 100_000
    start = AS_OF - np.arange(n) % 400 * DAY_MS - 5_000
    t = BUSINESS_HOURS.sample(rng, start, AS_OF, n)
    assert (t >= start).all() and (t < AS_OF).all()
    _, weekday, hour = local_parts(t)
    weekend = np.isin(weekday, [5, 6]).mean()
    assert weekend < 0.15  # 2/7 = 0.29 if uniform
    assert ((hour >= 9) & (hour < 18)).mean() > 0.6
    assert (hour < 6).mean() < 0.03
    # a custom sampler: only 01:00-04:59, any day
    night = TimestampSampler([0.0] + [1.0] * 4 + [0.0] * 19, [1.0] * 7)
    _, _, h = local_parts(night.sample(rng, AS_OF - 30 * DAY_MS, AS_OF, 10_000))
    assert set(np.unique(h).tolist()) == {1, 2, 3, 4}
    # prefix stability: the first values do not depend on how many are drawn
    a = BUSINESS_HOURS.sample(np.random.default_rng(1), AS_OF - 90 * DAY_MS, AS_OF, 10)
    b = BUSINESS_HOURS.sample(np.random.default_rng(1), AS_OF - 90 * DAY_MS, AS_OF, 1000)
    assert np.array_equal(a, b[:10])


def test_money_helpers() -> None:
    assert to_cents(np.array([1.005, 2.5, 0.0])).tolist() == [100, 250, 1]
    assert format_brl(123_456_789) == "R$ 1.234.567,89"
    assert format_brl(-5) == "-R$ 0,05"


@pytest.mark.parametrize("hi", [1.0, 88.2, 0.01])
def test_sorted_search_equals_a_binary_search(hi: float) -> None:
    rng = np.random.default_rng(5)
    for size in (1, 6, 49):
        edges = np.sort(rng.random(size) * hi * 1.1)
        edges[: size // 2] = np.round(edges[: size // 2] * 64) / 64  # some edges on bucket bounds
        edges.sort()
        search = SortedSearch(edges, hi=hi, buckets=256)
        x = np.concatenate([rng.random(3000) * hi, edges, np.nextafter(edges, -np.inf),
                            np.nextafter(edges, np.inf), [-hi, -0.0, 0.0, hi, 2 * hi]])
        assert search(x).tolist() == np.searchsorted(edges, x, side="right").tolist()


def test_pick_and_the_sampler_match_their_plain_definitions() -> None:
    rng = np.random.default_rng(9)
    cdf = np.cumsum([0.45, 0.15, 0.15, 0.10, 0.10, 0.05])
    cdf[-1] = 1.0
    u = rng.random(5000)
    assert pick(cdf, u).tolist() == np.minimum(np.searchsorted(cdf, u, side="right"), 5).tolist()
    draws = rng.random((5000, 3))
    midnight = 3 * 3_600_000  # 1970-01-01T00:00-03:00: whole local days, so nothing is clipped
    stamps = BUSINESS_HOURS.from_uniform(draws, midnight, midnight + 400 * DAY_MS)
    expected_hour = np.searchsorted(BUSINESS_HOURS.hour_cdf, draws[:, 1], side="right")
    assert local_parts(stamps)[2].tolist() == expected_hour.tolist()


def test_columns_of_dicts_and_batches_agree() -> None:
    from datagen_kernel import Batch

    rows = [{"id": "a", "n": 3}, {"id": "b", "n": -1}]
    batch = Batch({"id": ["a", "b"], "n": np.array([3, -1], dtype=np.int64)})
    for records in (rows, batch):
        assert int_column(records, "n").dtype == np.int64
        assert int_column(records, "n").tolist() == [3, -1]
        assert object_column(records, "id").tolist() == ["a", "b"]


def test_sampler_windows_per_group_give_the_same_instants() -> None:
    rng = np.random.default_rng(11)
    starts = AS_OF - rng.integers(DAY_MS, 900 * DAY_MS, 40)
    ends = starts + rng.integers(-DAY_MS, 400 * DAY_MS, 40)
    group = np.sort(rng.integers(0, 40, 4000))
    u = rng.random((4000, 3))
    grouped = BUSINESS_HOURS.from_uniform(u, starts, ends, group)
    assert grouped.tolist() == BUSINESS_HOURS.from_uniform(u, starts[group], ends[group]).tolist()
    drawn = BUSINESS_HOURS.sample(np.random.default_rng(3), starts, ends, group=group)
    expected = BUSINESS_HOURS.sample(np.random.default_rng(3), starts[group], ends[group])
    assert drawn.tolist() == expected.tolist()
