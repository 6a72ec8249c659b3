"""Home, accounts and error pages."""

from axes.helpers import get_client_ip_address
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render

from . import services


@login_required
def home(request):
    return redirect("institutions:list")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page, with the change made (and audited) by regulator.services.user_password_change."""

    def form_valid(self, form):
        services.user_password_change(user=form.user, password=form.cleaned_data["new_password1"],
                                      ip_address=get_client_ip_address(self.request))
        update_session_auth_hash(self.request, form.user)
        return HttpResponseRedirect(self.get_success_url())


def forbidden(request, exception=None):
    message = str(exception) if exception and str(exception) else ""
    return render(request, "403.html", {"message": message}, status=403)


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)


def verify_document(request, token: str):
    """Public page reached by a document's QR code: what was issued, by whom, when, and its SHA-256."""
    from django.shortcuts import get_object_or_404

    from .models import VerificationRecord

    record = get_object_or_404(VerificationRecord, token=token)
    return render(request, "regulator/verify.html", {"record": record})


def verify_lookup(request):
    """Typing the number printed on a paper notice finds its verification page."""
    from .models import VerificationRecord

    number = request.GET.get("number", "").strip()[:80]
    record = VerificationRecord.objects.filter(number=number).first() if number else None
    return render(request, "regulator/verify.html", {"record": record, "number": number, "lookup": True})
