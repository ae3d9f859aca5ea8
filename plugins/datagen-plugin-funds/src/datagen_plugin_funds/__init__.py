"""datagen entity pack: investment funds, fund positions of INVESTIMENTOS accounts, daily NAV quotes."""

from datagen_plugin_funds.entities import FUND, FUND_POSITION, FUND_QUOTE

__all__ = ["FUND", "FUND_POSITION", "FUND_QUOTE"]
