"""The insurers of the Brazilian retail market the pack sells, by line of business.

A curated table (not Faker): groups registered with SUSEP that sell each line to individuals
through banks and brokers, with a relative weight that follows their rough share of the
line's premiums. Names are trading names, as a statement or an app shows them.
"""

from __future__ import annotations

INSURERS: dict[str, tuple[tuple[str, float], ...]] = {
    "AUTO": (
        ("Porto Seguro", 24.0), ("Azul Seguros", 8.0), ("Allianz Seguros", 9.0), ("Tokio Marine Seguradora", 10.0),
        ("HDI Seguros", 12.0), ("Mapfre Seguros", 7.0), ("Bradesco Seguros", 11.0), ("Yelum Seguros", 7.0),
        ("Suhai Seguradora", 3.0), ("Itaú Seguros", 5.0), ("Sompo Seguros", 4.0),
    ),
    "LIFE": (
        ("Bradesco Vida e Previdência", 16.0), ("Brasilseg (BB Seguros)", 18.0), ("Caixa Vida e Previdência", 10.0),
        ("Icatu Seguros", 8.0), ("MetLife", 9.0), ("Prudential do Brasil", 9.0), ("SulAmérica Seguros", 7.0),
        ("Itaú Vida e Previdência", 9.0), ("Zurich Santander Seguros", 8.0), ("Mapfre Seguros", 6.0),
    ),
    "HOME": (
        ("Porto Seguro", 20.0), ("Tokio Marine Seguradora", 10.0), ("Allianz Seguros", 9.0), ("Mapfre Seguros", 9.0),
        ("Bradesco Seguros", 14.0), ("Caixa Residencial", 14.0), ("Zurich Santander Seguros", 10.0),
        ("Itaú Seguros", 8.0), ("Brasilseg (BB Seguros)", 6.0),
    ),
    "TRAVEL": (
        ("Porto Seguro", 18.0), ("Allianz Seguros", 16.0), ("Mapfre Seguros", 10.0), ("Tokio Marine Seguradora", 9.0),
        ("Sompo Seguros", 7.0), ("Zurich Santander Seguros", 10.0), ("Bradesco Seguros", 12.0),
        ("Affinity Seguros", 8.0),
        ("Itaú Seguros", 10.0),
    ),
}
"""insurance_type -> ((insurer, weight), ...)."""

NAMES = {kind: tuple(name for name, _ in table) for kind, table in INSURERS.items()}
WEIGHTS = {kind: tuple(weight for _, weight in table) for kind, table in INSURERS.items()}
