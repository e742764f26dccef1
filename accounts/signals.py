"""API tokens die with the password they were issued under: a password change (by the user, an admin or
`changepassword`) deletes the user's tokens, as it already invalidates their other sessions."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver


@receiver(pre_save, sender=get_user_model())
def _note_password_change(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance._findcolor_password_changed = stored is not None and stored != instance.password


@receiver(post_save, sender=get_user_model())
def _revoke_tokens_after_password_change(sender, instance, created=False, raw=False, **kwargs):
    if raw or created or not getattr(instance, "_findcolor_password_changed", False):
        return
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=instance).delete()
    instance._findcolor_password_changed = False
