from django import forms
from django.contrib import admin, messages
from django.core.files.base import ContentFile

from archive import imaging
from colorize.admin_hints import *  # noqa
from colorize.models import ContextProfile, ReferencePhoto, Review, Run, Version
from config import jobs


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "photo",
        "status",
        "progress",
        "hints_mode",
        "requested_by",
        "attempts",
        "created_at",
    )
    list_filter = ("status", "hints_mode")
    search_fields = ("photo__title", "error", "job_id")
    readonly_fields = [f.name for f in Run._meta.fields]
    actions = ["requeue"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Re-enqueue (idempotent: a finished run does nothing)")
    def requeue(self, request, queryset):
        for run in queryset:
            jobs.enqueue("colorize.services.runs.execute.execute_run", run.pk)
        messages.info(request, f"re-enqueued {queryset.count()} run(s)")


class ReviewInline(admin.TabularInline):
    model = Review
    fk_name = "version"
    extra = 0
    can_delete = False
    readonly_fields = ("reviewer", "decision", "comment", "created_at", "replaced_version", "replace_reason")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Version)
class VersionAdmin(admin.ModelAdmin):
    """Read only: versions are immutable (the model refuses edits and deletes)."""

    list_display = ("id", "photo", "number", "model_name", "model_version", "created_by", "created_at")
    list_filter = ("model_name", "hints_mode")
    search_fields = ("photo__title", "model_version", "result_sha256")
    readonly_fields = [f.name for f in Version._meta.fields]
    inlines = [ReviewInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("id", "version", "decision", "reviewer", "created_at")
    list_filter = ("decision",)
    readonly_fields = ("version", "reviewer", "decision", "comment", "created_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ContextProfile)
class ContextProfileAdmin(admin.ModelAdmin):
    """Profiles are built from approved versions and reference photos; tick `manual` to keep a hand edit."""

    list_display = ("key", "era", "situation", "n_sources", "manual", "updated_at")
    list_filter = ("manual", "era", "situation")
    readonly_fields = ("key", "sources", "updated_at")
    fields = ("key", "era", "situation", "manual", "profile", "sources", "updated_at")
    actions = ["rebuild"]

    @admin.display(description="sources")
    def n_sources(self, obj):
        return len(obj.sources or [])

    @admin.action(description="Rebuild from approved versions and reference photos")
    def rebuild(self, request, queryset):
        from colorize.services.profiles import rebuild_profile

        for profile in queryset:
            if profile.manual:
                messages.warning(request, f"{profile.key} is manual: untick 'manual' to rebuild it")
                continue
            rebuild_profile(profile.era, profile.situation)
        messages.info(request, "rebuilt")


class ReferencePhotoForm(forms.ModelForm):
    class Meta:
        model = ReferencePhoto
        fields = "__all__"

    def clean_image(self):
        """An image uploaded here is re-encoded and named from its format, like POST /api/references/."""
        image = self.cleaned_data.get("image")
        if not image or "image" not in self.changed_data:
            return image
        try:
            clean = imaging.check_reference_upload(image)
        except imaging.ImageRejected as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        return ContentFile(clean.content, name=f"reference{clean.extension}")


@admin.register(ReferencePhoto)
class ReferencePhotoAdmin(admin.ModelAdmin):
    form = ReferencePhotoForm
    list_display = ("id", "title", "era", "situation", "added_by", "created_at")
    list_filter = ("era", "situation")
    search_fields = ("title", "source")

    def save_model(self, request, obj, form, change):
        if not obj.added_by_id:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)
        jobs.enqueue("colorize.services.profiles.feed_profiles_from_reference", obj.pk)
