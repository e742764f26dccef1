from django import template
from django.utils.translation import gettext_lazy as _

from accounts.models import Role

register = template.Library()

# Role.label is the API's machine name of a role ("curator"); people read these.
ROLE_NAMES = {
    Role.VIEWER: _("viewer"),
    Role.CURATOR: _("curator"),
    Role.REVIEWER: _("reviewer"),
    Role.OWNER: _("owner"),
}


@register.filter
def role_name(role):
    """A role (Role or its int value) in the reader's language."""
    try:
        return ROLE_NAMES[Role(role)]
    except (ValueError, KeyError):
        return ""


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
