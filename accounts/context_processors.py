from accounts.roles import user_role_names


def roles(request):
    user = getattr(request, "user", None)
    return {"user_roles": user_role_names(user) if user is not None else []}
