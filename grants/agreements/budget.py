"""The budget rules of an agreement: a grantee may move money between budget headings without an
amendment while each heading changes by at most the call's flexibility limit (25% by default, 15%
under the older rule), cumulatively against the approved budget; beyond it an amendment is needed.

Pure functions (no database): the services and the tests call them with plain values."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core.money import to_decimal

HUNDRED = Decimal("100")


def heading_totals(lines: Iterable[tuple]) -> dict:
    """{heading: total} from (heading, amount) pairs."""
    totals: dict = {}
    for heading, amount in lines:
        totals[heading] = totals.get(heading, Decimal("0")) + to_decimal(amount)
    return totals


@dataclass(frozen=True)
class HeadingMove:
    heading: object
    approved: Decimal
    proposed: Decimal
    change_pct: Decimal | None  # None: the heading had nothing approved (any increase is a breach)

    @property
    def change(self) -> Decimal:
        return self.proposed - self.approved


def heading_moves(*, approved: dict, proposed: dict) -> list[HeadingMove]:
    """Each heading's change against the approved budget, in percent of the approved amount."""
    moves = []
    for heading in list(approved) + [h for h in proposed if h not in approved]:
        before = to_decimal(approved.get(heading, 0))
        after = to_decimal(proposed.get(heading, 0))
        pct = (
            (abs(after - before) * HUNDRED / before).quantize(Decimal("0.01"))
            if before
            else (Decimal("0") if after == before else None)
        )
        moves.append(HeadingMove(heading, before, after, pct))
    return moves


def flexibility_breaches(*, approved: dict, proposed: dict, limit_pct) -> list[HeadingMove]:
    """Headings that move by more than `limit_pct` percent, cumulatively against the approved
    budget (the agreement as signed or the last approved amendment). Exactly the limit is allowed."""
    limit = to_decimal(limit_pct)
    breaches = []
    for move in heading_moves(approved=approved, proposed=proposed):
        if (
            move.change_pct is None
            or move.approved
            and abs(move.proposed - move.approved) * HUNDRED > limit * move.approved
        ):
            breaches.append(move)
    return breaches
