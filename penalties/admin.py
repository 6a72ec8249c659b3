"""Document settings kept by administrators: each department's number patterns (文号格式) and contact line."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import DocumentLetterhead, DocumentNumberPattern


@admin.register(DocumentNumberPattern)
class DocumentNumberPatternAdmin(admin.ModelAdmin):
    list_display = ["department", "kind", "abbreviation", "kind_word", "example"]
    list_filter = ["kind"]
    list_select_related = ["department"]
    search_fields = ["department__name", "abbreviation"]
    autocomplete_fields = ["department"]

    @admin.display(description=_("示例"))
    def example(self, obj):
        return obj.format(year=2026, serial=1)


@admin.register(DocumentLetterhead)
class DocumentLetterheadAdmin(admin.ModelAdmin):
    list_display = ["department", "address", "phone"]
    list_select_related = ["department"]
    search_fields = ["department__name"]
    autocomplete_fields = ["department"]
