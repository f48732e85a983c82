from grants.calls.models import (  # noqa: F401
    CURRENCIES,
    Translated,
    Donor,
    Programme,
    Contribution,
    CallState,
    Call,
    Criterion,
    HeadingKind,
    BudgetHeading,
    Question,
    RequiredDocument,
    TrancheCondition,
    TranchePlanItem,
)
from grants.agreements.models import (  # noqa: F401
    GrantState,
    Grant,
    GrantBudgetLine,
    Amendment,
)
from grants.disbursement.models import (  # noqa: F401
    ExchangeRate,
    TrancheState,
    Tranche,
    Payment,
)
