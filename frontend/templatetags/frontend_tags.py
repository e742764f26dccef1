from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, key, value):
    """The current query string with `key` set to `value` (or removed when empty); page resets."""
    params = context["request"].GET.copy()
    if key != "page":
        params.pop("page", None)
    if value in ("", None):
        params.pop(key, None)
    else:
        params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
