from reporting.data.models import (  # noqa: F401
    ExportJob,
)
from reporting.donor.models import (  # noqa: F401
    DonorReport,
    DonorReportState,
)
from reporting.grantee.models import (  # noqa: F401
    Expenditure,
    GranteeReport,
    GranteeReportState,
    Indicator,
    IndicatorValue,
    ReportDocument,
    ReportKind,
)
from reporting.transparency.models import (  # noqa: F401
    Practice,
    PracticePhoto,
    PracticeState,
)
