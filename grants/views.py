from django.shortcuts import render

from . import selectors


def home(request):
    return render(request, "grants/home.html", {"calls": selectors.call_list_public()})
