"""The API's JSON parser (DEFAULT_PARSER_CLASSES): its own module, as DRF imports it while loading its views."""

from django.utils.translation import gettext
from rest_framework.parsers import JSONParser


class JSONObjectParser(JSONParser):
    """JSON bodies of this API are objects: an array, a number or a string at the top is refused (400) instead
    of reaching views that call `.get` on it; so are lone surrogates ("\\ud800", which no database or file takes)
    and nesting too deep for Python's parser."""

    def parse(self, stream, media_type=None, parser_context=None):
        from rest_framework.exceptions import ParseError

        from config.unicode import has_lone_surrogate

        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(gettext("JSON parse error - nested too deeply")) from None
        if not isinstance(data, dict):
            raise ParseError(gettext("the JSON body must be an object"))
        if has_lone_surrogate(data):
            raise ParseError(gettext("the JSON body holds a lone surrogate: text must be valid Unicode"))
        return data
