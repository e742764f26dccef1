from django.contrib import admin

from accounts.models import Membership


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("collection", "user", "role", "created")
    list_filter = ("role",)
    search_fields = ("user__username", "collection__title")
