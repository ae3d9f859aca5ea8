"""Merchant categories (MCC), their amount bands and weights, merchants and travel places."""

from __future__ import annotations

from typing import NamedTuple


class Category(NamedTuple):
    mcc: str
    name: str
    low_cents: int
    high_cents: int
    weight: float
    merchants: tuple[str, ...]
    installment_affinity: float = 0.0
    """Added to log(amount) when a card's installment counts are handed out (parcelado is
    common in department stores and online shops, rare for food and rides)."""


MCC_TABLE: tuple[Category, ...] = (
    Category("5411", "GROCERY_STORES", 15_000, 30_000, 0.25, (
        "Carrefour", "Pão de Açúcar", "Assaí Atacadista", "Atacadão", "Extra Mercado", "Sonda Supermercados",
        "Supermercados BH", "Zaffari", "Savegnago", "Condor Super Center", "Muffato", "Bretas",
        "Hortifruti", "Dia Supermercado", "Mercado São Luiz",
    ), -0.4),
    Category("5812", "RESTAURANTS", 5_000, 20_000, 0.20, (
        "Coco Bambu", "Outback Steakhouse", "Madero", "Fogo de Chão", "Paris 6", "Churrascaria Gaúcha",
        "Cantina Bella Napoli", "Restaurante Sabor Caseiro", "Galeto Sat's", "Spoleto", "Sushi Yassu",
        "Bar do Mineiro",
    ), -0.3),
    Category("5541", "SERVICE_STATIONS", 10_000, 25_000, 0.15, (
        "Posto Ipiranga", "Posto Shell", "Posto Petrobras BR", "Posto Ale", "Auto Posto Avenida",
        "Posto Sete Estrelas",
    ), -0.3),
    Category("5311", "DEPARTMENT_STORES", 10_000, 50_000, 0.10, (
        "Lojas Americanas", "Magazine Luiza", "Casas Bahia", "Lojas Renner", "C&A", "Riachuelo",
        "Marisa", "Pernambucanas", "Havan",
    ), 0.9),
    Category("5912", "DRUG_STORES", 3_000, 15_000, 0.10, (
        "Drogasil", "Droga Raia", "Pague Menos", "Drogaria São Paulo", "Panvel", "Drogaria Pacheco",
        "Farmácias Nissei", "Drogaria Araújo",
    ), -0.2),
    Category("5814", "FAST_FOOD", 2_000, 8_000, 0.10, (
        "McDonald's", "Burger King", "Habib's", "Bob's", "Subway", "Giraffas", "KFC", "China in Box",
        "Pizza Hut",
    ), -0.5),
    Category("4121", "TAXI_RIDE_HAILING", 1_500, 6_000, 0.05, (
        "Uber", "99", "Cabify", "inDrive", "Rádio Táxi",
    ), -0.5),
    Category("5999", "MISC_RETAIL", 5_000, 30_000, 0.05, (
        "Mercado Livre", "Amazon.com.br", "Shopee", "Kalunga", "Centauro", "Decathlon", "Leroy Merlin",
        "Petz", "Cobasi", "Livraria Leitura",
    ), 0.9),
)
"""The catalog's MCC table: code, category, typical amount band (cents, inclusive), weight."""

CATEGORIES = tuple(c.name for c in MCC_TABLE)

INSTALLMENT_BUCKETS: tuple[tuple[int, int, float], ...] = ((1, 1, 0.60), (2, 3, 0.20), (4, 6, 0.15), (7, 12, 0.05))
"""(fewest, most, share): number of installments (parcelas) of a purchase, uniform inside a bucket."""

ABROAD: tuple[tuple[str, str], ...] = (
    ("US", "Miami"), ("US", "Orlando"), ("US", "New York"), ("PT", "Lisboa"), ("PT", "Porto"),
    ("AR", "Buenos Aires"), ("UY", "Montevideo"), ("CL", "Santiago"), ("FR", "Paris"), ("ES", "Madrid"),
    ("IT", "Roma"), ("GB", "London"),
)
"""(country, city) of purchases made abroad."""

LOCATION_SHARES = (0.88, 0.09, 0.03)
"""Purchases in the holder's city, in another Brazilian city, abroad."""
