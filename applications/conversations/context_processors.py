from applications.conversations.selectors import inbox_unread_count


class _UnreadThreads:
    """Counted on first use by a template (one query), never on pages that do not show it."""

    def __init__(self, user):
        self.user = user
        self.value = None

    def __call__(self):
        if self.value is None:
            self.value = inbox_unread_count(self.user)
        return self.value


def threads(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"threads_unread": 0}
    return {"threads_unread": _UnreadThreads(user)}
