"""Each money rule on hand-computed cases (no database)."""

from datetime import date
from decimal import Decimal as D

import pytest

from core.money import cents
from grants.agreements import budget
from grants.disbursement import conditions as tr
from grants.disbursement.money import allocate, conversion_rate, convert, month_start, scale

# --- Rounding and conversion -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("0.005", "0.01"),
        ("0.0049", "0.00"),
        ("2.675", "2.68"),
        ("-2.675", "-2.68"),
        ("10", "10.00"),
        ("1.115", "1.12"),
    ],
)
def test_cents_round_half_up(value, expected):
    assert cents(D(value)) == D(expected)


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        cents(0.1)


def test_conversion_uah_to_eur_hand_computed():
    # 1 EUR = 44.951200 UAH; 100,000.00 UAH / 44.9512 = 2224.6347...  → 2224.63 EUR
    rate = conversion_rate(paid_currency="UAH", grant_currency="EUR", rates={"UAH": D("44.951200")})
    assert rate == D("44.951200")
    assert convert(D("100000.00"), rate) == D("2224.63")
    # 1 EUR = 40 UAH; 100.20 UAH / 40 = 2.505 → 2.51 (half up; banker's rounding would give 2.50)
    assert convert(D("100.20"), D("40")) == D("2.51")
    # 1 EUR = 420.5 AMD; 1,000,000 AMD / 420.5 = 2378.1212... → 2378.12
    assert convert(D("1000000"), D("420.5")) == D("2378.12")
    # a half cent rounds up: 10.00 / 8 = 1.25 exactly; 0.05 / 2 = 0.025 → 0.03
    assert convert(D("0.05"), D("2")) == D("0.03")


def test_same_currency_rate_is_one_and_cross_rates_use_the_base():
    assert conversion_rate(paid_currency="EUR", grant_currency="EUR", rates={}) == 1
    # grant in USD (1 EUR = 1.08 USD), paid in UAH (1 EUR = 44.95 UAH): 44.95 / 1.08 = 41.620370 UAH per USD
    rate = conversion_rate(paid_currency="UAH", grant_currency="USD", rates={"UAH": D("44.95"), "USD": D("1.08")})
    assert rate == D("41.620370")
    assert convert(D("41620.37"), rate) == D("1000.00")
    with pytest.raises(KeyError):
        conversion_rate(paid_currency="GEL", grant_currency="EUR", rates={"UAH": D("44")})


def test_month_start():
    assert month_start(date(2026, 3, 17)) == date(2026, 3, 1)


# --- Allocation: the last part takes the rounding remainder ----------------------------------


def test_tranche_plan_amounts_last_takes_remainder():
    # 33,333.33 × 40% = 13,333.332 → 13,333.33 (twice); balance 33,333.33 − 26,666.66 = 6,666.67
    assert tr.plan_amounts(
        D("33333.33"), [(D("40"), tr.SIGNATURE), (D("40"), tr.INTERIM_REPORT), (D("20"), tr.FINAL_REPORT)]
    ) == [D("13333.33"), D("13333.33"), D("6666.67")]
    assert sum(allocate(D("100.01"), [D("33.33"), D("33.33"), D("33.34")])) == D("100.01")


def test_budget_scaled_to_a_reduced_award():
    # lines 30,000 + 10,000 = 40,000 requested, 30,000 awarded: factor 0.75 → 22,500 + 7,500
    assert scale([D("30000"), D("10000")], D("30000")) == [D("22500.00"), D("7500.00")]
    # three equal lines of 100 scaled to 100.00: 33.33, 33.33, 33.34
    assert scale([D("100"), D("100"), D("100")], D("100")) == [D("33.33"), D("33.33"), D("33.34")]


# --- The 90% pre-financing cap ---------------------------------------------------------------


def test_plan_40_40_20_is_accepted():
    assert tr.plan_problems(tr.DEFAULT_PLAN) == []


def test_plan_with_exactly_90_percent_prefinancing_is_accepted():
    assert tr.plan_problems([(D("50"), tr.SIGNATURE), (D("40"), tr.INTERIM_REPORT), (D("10"), tr.FINAL_REPORT)]) == []


def test_plan_with_more_than_90_percent_prefinancing_is_refused():
    problems = tr.plan_problems([(D("50"), tr.SIGNATURE), (D("45"), tr.INTERIM_REPORT), (D("5"), tr.FINAL_REPORT)])
    assert len(problems) == 1 and "95" in problems[0] and "90" in problems[0]


def test_plan_must_add_up_and_end_with_the_final_report():
    assert any("100" in p for p in tr.plan_problems([(D("40"), tr.SIGNATURE), (D("40"), tr.FINAL_REPORT)]))
    assert tr.plan_problems([(D("20"), tr.FINAL_REPORT), (D("80"), tr.SIGNATURE)])
    assert tr.plan_problems([])


def test_prefinancing_amount_cap_is_exact():
    assert tr.prefinancing_cap(D("40000")) == D("36000")
    assert tr.amounts_problems(D("40000"), [D("36000"), D("4000")], [tr.SIGNATURE, tr.FINAL_REPORT]) == []
    assert tr.amounts_problems(D("40000"), [D("36000.01"), D("3999.99")], [tr.SIGNATURE, tr.FINAL_REPORT])


# --- The 70% rule ----------------------------------------------------------------------------


def test_interim_in_full_when_70_percent_of_the_previous_payment_is_spent():
    # paid 40,000 on signature; 70% = 28,000; spent 28,000 → the planned 40,000 in full
    decision = tr.interim_due(planned=D("40000"), payments=[D("40000")], spent=D("28000"))
    assert decision.amount == D("40000.00") and "in full" in decision.reason


def test_interim_reduced_by_the_unspent_part():
    # paid 40,000; required 28,000; spent 20,000 → shortfall 8,000 → 40,000 − 8,000 = 32,000
    decision = tr.interim_due(planned=D("40000"), payments=[D("40000")], spent=D("20000"))
    assert decision.amount == D("32000.00")
    assert "8000.00" in decision.reason and "reduced" in decision.reason and "20000.00" in decision.reason


def test_interim_requires_all_earlier_payments_in_full():
    # payments 20,000 then 30,000: required = 20,000 + 70% × 30,000 = 41,000; spent 40,000.50 → shortfall 999.50
    assert tr.interim_required([D("20000"), D("30000")]) == D("41000.00")
    decision = tr.interim_due(planned=D("25000"), payments=[D("20000"), D("30000")], spent=D("40000.50"))
    assert decision.amount == D("24000.50")


def test_interim_shortfall_larger_than_the_tranche_pays_nothing():
    decision = tr.interim_due(planned=D("10000"), payments=[D("40000")], spent=D("5000"))  # shortfall 23,000
    assert decision.amount == D("0.00") and "nothing" in decision.reason


# --- The balance cap -------------------------------------------------------------------------


def test_balance_is_what_is_left_when_spending_covers_it():
    # 40,000 awarded, 32,000 paid, eligible 41,000 → left 8,000, cap 9,000 → 8,000
    decision = tr.balance_due(awarded=D("40000"), paid=D("32000"), committed_other=0, eligible_spent=D("41000"))
    assert decision.amount == D("8000.00")


def test_balance_capped_at_eligible_spending_minus_paid():
    # 40,000 awarded, 32,000 paid, eligible 37,250.40 → cap 5,250.40 < left 8,000
    decision = tr.balance_due(awarded=D("40000"), paid=D("32000"), committed_other=0, eligible_spent=D("37250.40"))
    assert decision.amount == D("5250.40") and "capped" in decision.reason


def test_balance_recovers_a_reduced_interim_tranche():
    # 100,000: 40,000 + 32,000 (interim reduced by 8,000) paid; eligible 100,000 → balance 28,000, more than the planned 20,000
    decision = tr.balance_due(awarded=D("100000"), paid=D("72000"), committed_other=0, eligible_spent=D("100000"))
    assert decision.amount == D("28000.00")


def test_balance_when_spending_is_below_payments():
    decision = tr.balance_due(awarded=D("40000"), paid=D("32000"), committed_other=0, eligible_spent=D("30000"))
    assert decision.amount == D("0.00") and "2000.00" in decision.reason


# --- Budget flexibility ----------------------------------------------------------------------

APPROVED = {"staff": D("30000"), "travel": D("10000")}


def test_moves_within_25_percent_need_no_amendment():
    # travel +2,500 (25% of 10,000 exactly), staff −2,500 (8.33%)
    assert (
        budget.flexibility_breaches(
            approved=APPROVED, proposed={"staff": D("27500"), "travel": D("12500")}, limit_pct=D("25")
        )
        == []
    )


def test_moves_beyond_25_percent_need_an_amendment():
    # travel +2,500.01 → 25.0001% > 25%
    breaches = budget.flexibility_breaches(
        approved=APPROVED, proposed={"staff": D("27499.99"), "travel": D("12500.01")}, limit_pct=D("25")
    )
    assert [b.heading for b in breaches] == ["travel"]


def test_flexibility_is_cumulative_against_the_approved_budget():
    # first move travel 10,000 → 12,000 (+20%), then 12,000 → 13,000: +30% against 10,000 although +8.3% step
    assert (
        budget.flexibility_breaches(
            approved=APPROVED, proposed={"staff": D("28000"), "travel": D("12000")}, limit_pct=25
        )
        == []
    )
    breaches = budget.flexibility_breaches(
        approved=APPROVED, proposed={"staff": D("27000"), "travel": D("13000")}, limit_pct=25
    )
    assert [(b.heading, b.change_pct) for b in breaches] == [("travel", D("30.00"))]


def test_older_15_percent_rule_and_new_headings():
    assert [
        b.heading
        for b in budget.flexibility_breaches(
            approved=APPROVED, proposed={"staff": D("28000"), "travel": D("12000")}, limit_pct=15
        )
    ] == ["travel"]
    breaches = budget.flexibility_breaches(
        approved=APPROVED, proposed={"staff": D("29000"), "travel": D("10000"), "equipment": D("1000")}, limit_pct=25
    )
    assert [b.heading for b in breaches] == ["equipment"]
