from applications.call_questions.models import CallQuestion  # noqa: F401
from applications.conversations.models import (  # noqa: F401
    EventKind,
    Message,
    MessageAttachment,
    Thread,
    ThreadRead,
    ThreadScope,
)
from applications.models.application import (  # noqa: F401
    APPLICATION_SEARCH,
    BEFORE_DECISION,
    Application,
    ApplicationState,
    Attachment,
    BudgetLine,
    ProposedIndicator,
)
from applications.review.models import (  # noqa: F401
    Recommendation,
    Review,
    ReviewerProfile,
    ReviewState,
    Score,
)
