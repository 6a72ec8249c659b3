"""The project's URLs plus /bench/hello/: the baseline of the public pages' requests/second (bench/speed.py)."""

from django.http import HttpResponse
from django.urls import include, path


def hello(request):
    return HttpResponse("hello, world", content_type="text/plain")


def hello_user(request):
    """The same for a signed-in user: the session read and the user's query, which every staff page makes."""
    return HttpResponse(f"hello, {request.user.pk}", content_type="text/plain")


def register_rows(request):
    """The register page without its page: the same selector (the shared institutions' query, the rows' compiled
    SQL) and the same rows' HTML (institutions/templatetags/register.py), no template, no filter form, no
    navigation. What the page would cost if all it showed were its table: the framework's ceiling for it."""
    from django.conf import settings
    from django.urls import reverse

    from institutions import selectors
    from institutions.templatetags.register import register_rows as rows_html
    from regulator.paging import after_param

    page = selectors.register_list_page(user=request.user, params=request.GET, request=request,
                                        size=settings.REGISTER_PAGE_SIZE, after=after_param(request.GET))
    return HttpResponse(f"<table><tbody>{rows_html(page.rows, reverse('institutions:list'))}</tbody></table>")


urlpatterns = [path("bench/hello/", hello), path("bench/hello-user/", hello_user),
               path("bench/register-rows/", register_rows), path("", include("regulator.urls"))]

handler403 = "regulator.views.forbidden"
handler404 = "regulator.views.not_found"
handler500 = "regulator.views.server_error"
