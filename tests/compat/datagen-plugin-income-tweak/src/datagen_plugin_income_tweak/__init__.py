"""datagen-plugin-income-tweak: changes customer income and adds ``social_class``, without a fork."""

from datagen_plugin_income_tweak.tweak import SOCIAL_CLASS, social_class, tweak_customers

__all__ = ["SOCIAL_CLASS", "social_class", "tweak_customers"]
