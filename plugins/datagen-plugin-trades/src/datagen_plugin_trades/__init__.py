"""datagen entity pack: the 42 B3 stocks and equity trades on INVESTIMENTOS accounts."""

from datagen_plugin_trades.entities import STOCK, TRADE
from datagen_plugin_trades.listing import LISTINGS, isin_check_digit, isin_for_ticker

__all__ = ["LISTINGS", "STOCK", "TRADE", "isin_check_digit", "isin_for_ticker"]
