from grants.agreements.models import (  # noqa: F401
    Amendment,
    Grant,
    GrantBudgetLine,
    GrantState,
)
from grants.calls.form.models import (  # noqa: F401
    ChecklistItem,
    FormChange,
    FormSection,
)
from grants.calls.models import (  # noqa: F401
    CURRENCIES,
    BudgetHeading,
    Call,
    CallAlert,
    CallState,
    Contribution,
    Criterion,
    Donor,
    HeadingKind,
    IndicatorLevel,
    Programme,
    ProgrammeIndicator,
    Question,
    RequiredDocument,
    TrancheCondition,
    TranchePlanItem,
)
from grants.disbursement.models import (  # noqa: F401
    ExchangeRate,
    Payment,
    Tranche,
    TrancheState,
)
