from django.shortcuts import render

from fangkong.core.views import page


@page
def home(request):
    return render(request, "registry/home.html", {})
