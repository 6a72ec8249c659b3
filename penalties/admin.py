"""Admin of the penalties app's reference data: the library of legal provisions (法律条款库)."""

from django.contrib import admin

from .models import Provision


@admin.register(Provision)
class ProvisionAdmin(admin.ModelAdmin):
    list_display = ("citation", "gist", "role", "fine_basis", "fine_min", "fine_max", "active", "checked")
    list_filter = ("law", "role", "active", "checked")
    search_fields = ("law", "article", "gist", "text")
    filter_horizontal = ("penalty_articles",)
    readonly_fields = ("created_at", "updated_at", "created_by", "updated_by")
    ordering = ("position", "id")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
