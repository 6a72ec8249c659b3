"""The project's URLs plus /bench/hello/: the baseline of the public pages' requests/second (bench/speed.py)."""

from django.http import HttpResponse
from django.urls import include, path


def hello(request):
    return HttpResponse("hello, world", content_type="text/plain")


urlpatterns = [path("bench/hello/", hello), path("", include("regulator.urls"))]

handler403 = "regulator.views.forbidden"
handler404 = "regulator.views.not_found"
handler500 = "regulator.views.server_error"
