"""What a completion costs, in integer micro-dollars (SPEC §5.3).

``provider_cost`` is the provider's price of the tokens, rounded *up* to a whole
micro-dollar so the platform never pays the provider more than it collected. The app's
margin (basis points of the provider cost) is rounded *down*, in the user's favour. The
developer earns 75% of the margin (rounded down) and the platform the rest, so
``total = provider_cost + margin`` and ``margin = developer_earning + platform`` hold
exactly for every row.
"""

from __future__ import annotations

from dataclasses import dataclass

MICROS_PER_MTOK_DIVISOR = 1_000_000
BASIS_POINTS = 10_000
DEVELOPER_SHARE_BP = 7_500


@dataclass(frozen=True)
class Prices:
    input_micros_per_mtok: int
    output_micros_per_mtok: int


@dataclass(frozen=True)
class Charge:
    prompt_tokens: int
    completion_tokens: int
    provider_cost_micros: int
    margin_micros: int
    developer_earning_micros: int
    platform_micros: int

    @property
    def total_micros(self) -> int:
        return self.provider_cost_micros + self.margin_micros


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def split_margin(provider_cost: int, margin: int) -> tuple[int, int]:
    developer = margin * DEVELOPER_SHARE_BP // BASIS_POINTS
    return developer, margin - developer


def price(prices: Prices, prompt_tokens: int, completion_tokens: int, margin_bp: int) -> Charge:
    prompt_tokens = max(0, prompt_tokens)
    completion_tokens = max(0, completion_tokens)
    provider_cost = _ceil_div(
        prompt_tokens * prices.input_micros_per_mtok
        + completion_tokens * prices.output_micros_per_mtok,
        MICROS_PER_MTOK_DIVISOR,
    )
    margin = provider_cost * margin_bp // BASIS_POINTS
    developer, platform = split_margin(provider_cost, margin)
    return Charge(prompt_tokens, completion_tokens, provider_cost, margin, developer, platform)


def cap(charge: Charge, most_micros: int) -> Charge:
    """The charge, cut down to ``most_micros`` (all the wallet can pay) if it is more.

    Only reached when a provider reports more tokens than the wallet can cover (see
    :mod:`.settlement`). The provider cost is kept first, the margin takes the cut.
    """
    if charge.total_micros <= most_micros:
        return charge
    provider_cost = min(charge.provider_cost_micros, most_micros)
    margin = most_micros - provider_cost
    developer, platform = split_margin(provider_cost, margin)
    return Charge(
        charge.prompt_tokens,
        charge.completion_tokens,
        provider_cost,
        margin,
        developer,
        platform,
    )
