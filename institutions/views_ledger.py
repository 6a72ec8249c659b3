"""Ledger import (.xlsx) and export (.xlsx, .csv) of the register. (Being written.)"""

from django.http import Http404


def _pending(*args, **kwargs):
    raise Http404


register_export = import_upload = import_template = import_detail = _pending
import_progress = import_confirm = import_cancel = _pending
