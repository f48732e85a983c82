from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.roles import user_role_names
from reporting.dashboard import dashboard_sections


@login_required
def dashboard(request):
    """One page, a section per role the user holds; each lists what waits for them."""
    roles = user_role_names(request.user)
    return render(
        request, "reporting/dashboard.html", {"roles": roles, "sections": dashboard_sections(request.user, roles)}
    )
