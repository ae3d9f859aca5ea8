"""The 42 listed companies of the catalog, their price bands, and ISIN codes."""

from __future__ import annotations

from dataclasses import dataclass

SECTORS = (
    "ENERGY",
    "FINANCE",
    "MINING",
    "RETAIL",
    "TELECOM",
    "FOOD_BEVERAGE",
    "UTILITIES",
    "REAL_ESTATE",
    "HEALTHCARE",
    "TECHNOLOGY",
    "TRANSPORTATION",
)
SEGMENTS = ("NOVO_MERCADO", "N1", "N2", "TRADICIONAL")
SEGMENT_WEIGHTS = (0.50, 0.20, 0.15, 0.15)
LOT_SIZE = 100
CURRENCY = "BRL"


@dataclass(frozen=True)
class Listing:
    """One listed share: ``low``/``high`` bound its price in centavos; ``weight`` is how
    often investors hold it relative to the others (liquid blue chips more often)."""

    ticker: str
    company_name: str
    sector: str
    low: int
    high: int
    weight: float

    @property
    def isin(self) -> str:
        return isin_for_ticker(self.ticker)


def _l(ticker: str, name: str, sector: str, low: float, high: float, weight: float = 1.0) -> Listing:
    return Listing(ticker, name, sector, round(low * 100), round(high * 100), weight)


LISTINGS: tuple[Listing, ...] = (
    _l("PETR4", "Petrobras", "ENERGY", 25, 40, 10),
    _l("PETR3", "Petrobras ON", "ENERGY", 28, 42, 4),
    _l("CSAN3", "Cosan", "ENERGY", 15, 25, 1.5),
    _l("PRIO3", "PRIO", "ENERGY", 40, 55, 2.5),
    _l("UGPA3", "Ultrapar", "ENERGY", 20, 35, 1.5),
    _l("ITUB4", "Itaú Unibanco", "FINANCE", 25, 35, 8),
    _l("BBDC4", "Bradesco", "FINANCE", 12, 18, 6),
    _l("BBAS3", "Banco do Brasil", "FINANCE", 45, 60, 6),
    _l("SANB11", "Santander Brasil", "FINANCE", 25, 35, 1.5),
    _l("B3SA3", "B3", "FINANCE", 10, 15, 5),
    _l("BBSE3", "BB Seguridade", "FINANCE", 30, 40, 2.5),
    _l("VALE3", "Vale", "MINING", 60, 85, 10),
    _l("CMIN3", "CSN Mineração", "MINING", 4, 8, 1),
    _l("CSNA3", "CSN", "MINING", 10, 18, 1.5),
    _l("MGLU3", "Magazine Luiza", "RETAIL", 1, 5, 4),
    _l("LREN3", "Lojas Renner", "RETAIL", 12, 20, 2),
    _l("AMER3", "Americanas", "RETAIL", 0.5, 2, 1.5),
    _l("VIIA3", "Via", "RETAIL", 1, 4, 1.5),
    _l("PETZ3", "Petz", "RETAIL", 3, 8, 1),
    _l("VIVT3", "Telefônica Vivo", "TELECOM", 45, 55, 1.5),
    _l("TIMS3", "TIM", "TELECOM", 15, 22, 1.5),
    _l("ABEV3", "Ambev", "FOOD_BEVERAGE", 10, 16, 4),
    _l("JBSS3", "JBS", "FOOD_BEVERAGE", 25, 40, 2),
    _l("BRFS3", "BRF", "FOOD_BEVERAGE", 15, 25, 1.5),
    _l("MDIA3", "M. Dias Branco", "FOOD_BEVERAGE", 25, 40, 1),
    _l("ELET3", "Eletrobras ON", "UTILITIES", 35, 50, 2.5),
    _l("ELET6", "Eletrobras PNB", "UTILITIES", 38, 52, 1),
    _l("EGIE3", "Engie Brasil", "UTILITIES", 40, 50, 1.5),
    _l("SBSP3", "Sabesp", "UTILITIES", 70, 95, 2),
    _l("CMIG4", "Cemig", "UTILITIES", 10, 15, 2),
    _l("CYRE3", "Cyrela", "REAL_ESTATE", 18, 28, 1.5),
    _l("MRVE3", "MRV", "REAL_ESTATE", 6, 12, 1.5),
    _l("EZTC3", "EZTEC", "REAL_ESTATE", 12, 20, 1),
    _l("RDOR3", "Rede D'Or", "HEALTHCARE", 25, 35, 2),
    _l("HAPV3", "Hapvida", "HEALTHCARE", 3, 6, 2),
    _l("FLRY3", "Fleury", "HEALTHCARE", 13, 20, 1),
    _l("TOTS3", "TOTVS", "TECHNOLOGY", 28, 38, 1.5),
    _l("LWSA3", "Locaweb", "TECHNOLOGY", 4, 8, 1),
    _l("RAIL3", "Rumo", "TRANSPORTATION", 20, 28, 1.5),
    _l("CCRO3", "CCR", "TRANSPORTATION", 11, 16, 1.5),
    _l("AZUL4", "Azul", "TRANSPORTATION", 10, 20, 1.5),
    _l("GOLL4", "Gol", "TRANSPORTATION", 5, 12, 1.5),
)
BY_TICKER = {listing.ticker: listing for listing in LISTINGS}

# B3 ISINs: BR + 4-letter issuer code + security code (ACN = shares, then OR = ordinary,
# PR = preferred, PA/PB = preferred class A/B; CDAM = units) + check digit.
_SECURITY_CODE = {"3": "ACNOR", "4": "ACNPR", "5": "ACNPA", "6": "ACNPB", "11": "CDAM1"}


def isin_for_ticker(ticker: str) -> str:
    """The ISIN of a B3 share from its ticker, following B3's code layout."""
    issuer, share_class = ticker[:4], ticker[4:]
    try:
        body = "BR" + issuer + _SECURITY_CODE[share_class]
    except KeyError:
        raise ValueError(f"ticker {ticker!r} has no known share class (expected suffix 3, 4, 5, 6 or 11)") from None
    return body + str(isin_check_digit(body))


def isin_check_digit(body: str) -> int:
    """ISIN check digit of the first 11 characters: letters become 10..35, then Luhn."""
    if len(body) != 11 or not body.isalnum() or not body.isascii():
        raise ValueError(f"ISIN body {body!r} must be 11 ASCII letters or digits")
    digits = "".join(str(int(c, 36)) for c in body.upper())
    total = 0
    # the rightmost digit of the expanded body is doubled (the check digit will follow it)
    for pos, ch in enumerate(reversed(digits)):
        d = int(ch)
        if pos % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def isin_is_valid(isin: object) -> bool:
    """Whether ``isin`` is 2 letters + 9 alphanumerics + a correct check digit."""
    if not isinstance(isin, str) or len(isin) != 12 or not isin.isascii():
        return False
    if not isin[:2].isalpha() or not isin[:2].isupper() or not isin[2:11].isalnum() or not isin[11].isdigit():
        return False
    if isin[2:11] != isin[2:11].upper():
        return False
    return isin_check_digit(isin[:11]) == int(isin[11])


def segment_quota(n: int) -> list[str]:
    """Segments for ``n`` stocks in the catalog's proportions (largest remainder rounding)."""
    raw = [w * n for w in SEGMENT_WEIGHTS]
    counts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    return [s for s, c in zip(SEGMENTS, counts, strict=True) for _ in range(c)]
