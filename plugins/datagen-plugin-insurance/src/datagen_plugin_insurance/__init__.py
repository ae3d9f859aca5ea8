"""datagen entity pack: insurance policies of the bank's customers, their claims and premium debits."""

from datagen_plugin_insurance.entities import INSURANCE_CLAIM, INSURANCE_POLICY, INSURANCE_PREMIUM
from datagen_plugin_insurance.insurers import INSURERS

__all__ = ["INSURANCE_CLAIM", "INSURANCE_POLICY", "INSURANCE_PREMIUM", "INSURERS"]
