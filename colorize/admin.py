from django import forms
from django.contrib import admin, messages
from django.core.files.base import ContentFile

from archive import imaging
from colorize.admin_hints import *  # noqa
from colorize.models import Adaptation, ReferencePhoto, Review, Run, Version
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


@admin.register(Adaptation)
class AdaptationAdmin(admin.ModelAdmin):
    """Adaptations are built by the background job (docs/adaptation.md); read only, with a rebuild action."""

    list_display = ("id", "scope", "status", "passed", "n_references", "n_verified_colours", "finished_at")
    list_filter = ("status", "passed")
    search_fields = ("scope", "checksum")
    actions = ["rebuild"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Rebuild these scopes (nothing happens when their inputs are unchanged)")
    def rebuild(self, request, queryset):
        from colorize.services import adaptation

        for row in queryset:
            if row.collection_id:
                jobs.enqueue(adaptation.COLLECTION_JOB, row.collection_id)
            else:
                jobs.enqueue(adaptation.CONTEXT_JOB, row.era_id or 0, row.situation_id or 0)
        messages.info(request, "rebuild queued")


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
    list_display = ("id", "title", "collection", "era", "situation", "added_by", "created_at")
    list_filter = ("era", "situation")
    raw_id_fields = ("collection",)
    search_fields = ("title", "source")

    def save_model(self, request, obj, form, change):
        if not obj.added_by_id:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)
        from colorize.services import adaptation

        adaptation.enqueue_for_reference(obj)
