from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.roles import DONOR, FINANCE, MANAGER, REVIEWER, user_role_names
from accounts.selectors import organisation_list_visible
from grants.selectors import programme_list_for


@login_required
def dashboard(request):
    """One page, a section per role the user holds; each section lists what waits for them."""
    user = request.user
    roles = user_role_names(user)
    context = {"roles": roles}
    if "applicant" in roles:
        context["my_organisations"] = organisation_list_visible(user).filter(memberships__user=user)
    context["managed_programmes"] = programme_list_for(user, MANAGER) if MANAGER in roles else []
    context["finance_programmes"] = programme_list_for(user, FINANCE) if FINANCE in roles else []
    context["donor_programmes"] = programme_list_for(user, DONOR) if DONOR in roles else []
    context["reviewer_programmes"] = programme_list_for(user, REVIEWER) if REVIEWER in roles else []
    return render(request, "reporting/dashboard.html", context)
