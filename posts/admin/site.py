"""The site settings in the admin: one row, with its navigation."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import URLField
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from posts.models import NavigationLink, SiteSettings


class NavigationLinkInline(admin.TabularInline):
    model = NavigationLink
    fields = ["position", "label", "page", "tag", "url"]
    extra = 1
    formfield_overrides = {URLField: {"assume_scheme": "https"}}

    # Whoever may change the site settings may change its navigation.
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("posts.view_sitesettings") or self.has_change_permission(
            request, obj
        )

    def has_add_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("posts.change_sitesettings")

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    """One row, changed in place: never added beside it, never deleted."""

    inlines = [NavigationLinkInline]
    fieldsets = [
        (None, {"fields": ["title", "description", "publisher_name", "footer_text"]}),
        (_("Lists and previews"), {"fields": ["posts_per_page", "default_social_image"]}),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return redirect("admin:posts_sitesettings_change", SiteSettings.load().pk)
