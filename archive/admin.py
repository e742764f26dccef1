from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from accounts.models import Membership
from archive.models import Collection, Era, Photo, Situation


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "visibility", "created")
    list_filter = ("visibility",)
    search_fields = ("title", "description")
    inlines = [MembershipInline]


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ("__str__", "collection", "status", "era", "format", "width", "height", "created")
    list_filter = ("status", "era", "situations", "format")
    search_fields = ("title", "description", "identifier", "sha256", "place", "creator")
    readonly_fields = ("original", "sha256", "byte_size", "format", "width", "height", "mode", "bit_depth")


# The vocabularies' names and descriptions are edited in Korean and English side by side (modeltranslation).
@admin.register(Era)
class EraAdmin(TranslationAdmin):
    list_display = ("name", "slug", "kind", "parent", "year_from", "year_to", "order")
    list_filter = ("kind",)
    search_fields = ("slug", "name_ko", "name_en")
    prepopulated_fields = {"slug": ("name_en",)}


@admin.register(Situation)
class SituationAdmin(TranslationAdmin):
    list_display = ("name", "slug")
    search_fields = ("slug", "name_ko", "name_en")
    prepopulated_fields = {"slug": ("name_en",)}
