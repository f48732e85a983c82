from applications.models.application import (  # noqa: F401
    ApplicationState,
    BEFORE_DECISION,
    Application,
    BudgetLine,
    Attachment,
)
from applications.review.models import (  # noqa: F401
    ReviewerProfile,
    ReviewState,
    Recommendation,
    Review,
    Score,
)
