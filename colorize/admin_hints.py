"""Admin for hints (read-mostly) and their append-only event log."""

from django.contrib import admin

from colorize.models.hints import Hint, HintEvent, RoomPresence

__all__ = ["HintAdmin", "HintEventAdmin", "RoomPresenceAdmin"]


@admin.register(Hint)
class HintAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "photo",
        "color",
        "shape",
        "status",
        "revision",
        "created_by",
        "verified_by",
        "deleted_at",
    )
    list_filter = ("status", "shape")
    search_fields = ("evidence_note", "evidence_source", "color")
    raw_id_fields = ("photo", "created_by", "verified_by")
    readonly_fields = ("lab_l", "lab_a", "lab_b", "revision", "created_at", "updated_at")

    def has_change_permission(self, request, obj=None):
        return False  # changes go through the services, which log and broadcast them

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(HintEvent)
class HintEventAdmin(admin.ModelAdmin):
    list_display = ("photo", "room_revision", "action", "kind", "hint", "actor", "created_at", "request_id")
    list_filter = ("action",)
    raw_id_fields = ("photo", "hint", "actor", "undo_of")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RoomPresence)
class RoomPresenceAdmin(admin.ModelAdmin):
    list_display = ("photo", "user", "connection", "role", "joined_at", "last_seen")
    raw_id_fields = ("photo", "user")
