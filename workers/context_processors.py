from workers.selectors import notifications_unread_count


class _UnreadCount:
    """Counted on first use by a template (one query), never on pages that do not show it."""

    def __init__(self, user):
        self.user = user
        self.value = None

    def __call__(self):
        if self.value is None:
            self.value = notifications_unread_count(self.user)
        return self.value


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notifications_unread": 0}
    return {"notifications_unread": _UnreadCount(user)}
