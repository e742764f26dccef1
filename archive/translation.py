"""django-modeltranslation: the vocabularies' names and descriptions in every language of settings.LANGUAGES
(name_ko, name_en, description_ko, description_en). `name` reads the active language's value, falling back to
the other language when it is empty (MODELTRANSLATION_FALLBACK_LANGUAGES). See docs/decisions.md."""

from modeltranslation.translator import TranslationOptions, register

from archive.models import Era, Situation


@register(Era)
class EraTranslationOptions(TranslationOptions):
    fields = ("name", "description")


@register(Situation)
class SituationTranslationOptions(TranslationOptions):
    fields = ("name", "description")
