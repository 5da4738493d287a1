"""Dollars as people type them, micro-dollars as we store them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ..errors import ValidationError

MICROS_PER_USD = 1_000_000
MAX_USD = Decimal(1_000_000)


def parse_usd(value: str | float | int, *, allow_zero: bool = False) -> int:
    """``"2.50"`` → ``2_500_000``; refuses negatives, more than 6 decimals, absurd sums."""
    try:
        amount = Decimal(str(value).strip().lstrip("$"))
    except InvalidOperation:
        raise ValidationError(f"{value!r} is not an amount in dollars") from None
    if not amount.is_finite():
        raise ValidationError(f"{value!r} is not an amount in dollars")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError(
            "the amount must be more than zero"
            if not allow_zero
            else "the amount must not be negative"
        )
    if amount > MAX_USD:
        raise ValidationError(f"the amount must be at most ${MAX_USD:,}")
    micros = amount * MICROS_PER_USD
    if micros != micros.to_integral_value():
        raise ValidationError("amounts have at most six decimals (one micro-dollar)")
    return int(micros)


def format_usd(micros: int) -> str:
    """``2_500_000`` → ``"$2.50"`` (more decimals only when they matter)."""
    sign = "-" if micros < 0 else ""
    dollars = Decimal(abs(micros)) / MICROS_PER_USD
    text = f"{dollars:,.6f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"{sign}${whole}.{frac.ljust(2, '0')}"
