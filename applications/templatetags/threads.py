"""`{% if application|thread_for:user %}`: whether the user may read the application's thread
(`{% if application|grant_thread_for:user %}` for its grant's), to link to it only then."""

from django import template

from applications.conversations.models import ThreadScope
from applications.conversations.visibility import thread_can_view

register = template.Library()


@register.filter
def thread_for(application, user) -> bool:
    return thread_can_view(user, application, ThreadScope.APPLICATION)


@register.filter
def grant_thread_for(application, user) -> bool:
    return thread_can_view(user, application, ThreadScope.GRANT)
