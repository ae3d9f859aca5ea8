"""The 42 listed companies and their ISINs."""

from __future__ import annotations

from collections import Counter

import pytest
from datagen_plugin_trades.listing import (
    LISTINGS,
    SECTORS,
    isin_check_digit,
    isin_for_ticker,
    isin_is_valid,
    segment_quota,
)


def test_catalog_has_42_distinct_tickers_with_sane_bands() -> None:
    assert len(LISTINGS) == 42
    assert len({li.ticker for li in LISTINGS}) == 42
    for li in LISTINGS:
        assert 0 < li.low < li.high, li.ticker
        assert li.sector in SECTORS
    assert {li.sector for li in LISTINGS} == set(SECTORS)


@pytest.mark.parametrize(
    ("ticker", "isin"),
    # ISINs as published for these B3 shares
    [("PETR4", "BRPETRACNPR6"), ("VALE3", "BRVALEACNOR0"), ("ITUB4", "BRITUBACNPR1"),
     ("SANB11", "BRSANBCDAM13"), ("ELET6", "BRELETACNPB7")],
)
def test_isin_matches_published_codes(ticker: str, isin: str) -> None:
    assert isin_for_ticker(ticker) == isin


def test_isin_check_digit_is_the_standard_algorithm() -> None:
    assert isin_check_digit("US037833100") == 5  # Apple, US0378331005
    assert isin_is_valid("US0378331005")
    assert not isin_is_valid("US0378331006")
    assert not isin_is_valid("BRPETRACNPR")
    assert not isin_is_valid("brpetracnpr6")
    assert not isin_is_valid(None)


def test_every_listing_has_a_unique_valid_isin() -> None:
    isins = [li.isin for li in LISTINGS]
    assert len(set(isins)) == 42
    for isin in isins:
        assert isin_is_valid(isin) and isin.startswith("BR") and len(isin) == 12


def test_every_single_digit_change_breaks_the_check() -> None:
    isin = isin_for_ticker("PETR4")
    for d in "0123456789":
        if d != isin[-1]:
            assert not isin_is_valid(isin[:-1] + d)


def test_segment_quota_follows_the_catalog_weights() -> None:
    counts = Counter(segment_quota(42))
    assert counts == {"NOVO_MERCADO": 21, "N1": 9, "N2": 6, "TRADICIONAL": 6}
    assert Counter(segment_quota(100)) == {"NOVO_MERCADO": 50, "N1": 20, "N2": 15, "TRADICIONAL": 15}


def test_unknown_share_class_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="share class"):
        isin_for_ticker("ABCD9")
