"""Django's makemessages, plus the JavaScript modules' t("... %(name)s ...", {name}) helper
(frontend/static/frontend/js/i18n.js) as an extraction keyword for the djangojs catalogue."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    def handle(self, *args, **options):
        if options.get("domain") == "djangojs":
            self.xgettext_options = [*self.xgettext_options, "--keyword=t"]
        return super().handle(*args, **options)
