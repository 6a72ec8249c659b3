"""The public site's masthead and contacts (settings.PUBLIC_SITE, REPORT_HOTLINES), for every public page."""

from django.conf import settings


def public_site(request):
    return {"public_site": settings.PUBLIC_SITE, "report_hotlines": settings.REPORT_HOTLINES}
