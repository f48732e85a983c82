from applications.views.attachments import (  # noqa: F401
    attachment_delete,
    attachment_download,
    attachment_response,
    attachment_upload,
)
from applications.views.bulk import call_applications_bulk  # noqa: F401
from applications.views.drafts import (  # noqa: F401
    BUDGET_EMPTY_ROWS,
    _auto_checks,
    _budget_context,
    _budget_rows_for_form,
    _display,
    _event_label,
    _history,
    _json_login_required,
    _posted_fields,
    _report,
    _roles,
    _visible,
    application_autosave,
    application_detail,
    application_edit,
    application_list,
    application_url,
    call_apply,
)
from applications.views.eligibility import call_eligibility  # noqa: F401
from applications.views.screening import (  # noqa: F401
    SCREEN_ACTIONS,
    _managed_call,
    application_extend,
    application_screen,
    call_applications,
    call_applications_export,
)
from applications.views.submission import (  # noqa: F401
    application_answer,
    application_export,
    application_receipt,
    application_submit,
    application_submitted_json,
    application_withdraw,
)
