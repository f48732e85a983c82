from reporting.grantee.models import (  # noqa: F401
    ReportKind,
    GranteeReportState,
    GranteeReport,
    Expenditure,
    Indicator,
    IndicatorValue,
    ReportDocument,
)
from reporting.donor.models import (  # noqa: F401
    DonorReportState,
    DonorReport,
)
from reporting.data.models import (  # noqa: F401
    ExportJob,
)
