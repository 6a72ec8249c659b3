"""The project's URLs plus /bench/hello/: the baseline of the public pages' requests/second (bench/speed.py)."""

from django.http import HttpResponse
from django.urls import include, path


def hello(request):
    return HttpResponse("hello, world", content_type="text/plain")


def hello_user(request):
    """The same for a signed-in user: the session read and the user's query, which every staff page makes."""
    return HttpResponse(f"hello, {request.user.pk}", content_type="text/plain")


urlpatterns = [path("bench/hello/", hello), path("bench/hello-user/", hello_user), path("", include("regulator.urls"))]

handler403 = "regulator.views.forbidden"
handler404 = "regulator.views.not_found"
handler500 = "regulator.views.server_error"
