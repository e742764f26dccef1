from django.conf import settings
from django.db import models


class Role(models.IntegerChoices):
    """Roles are ordered: each one can do everything the ones below it can."""

    VIEWER = 10, "viewer"
    CURATOR = 20, "curator"
    REVIEWER = 30, "reviewer"
    OWNER = 40, "owner"

    @classmethod
    def from_name(cls, name: str) -> "Role":
        for role in cls:
            if role.label == name:
                return role
        raise ValueError(f"unknown role {name!r}; use one of {', '.join(r.label for r in cls)}")


class Membership(models.Model):
    collection = models.ForeignKey("archive.Collection", on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.PositiveSmallIntegerField(choices=Role.choices, default=Role.VIEWER)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["collection", "user"], name="one_membership_per_user")]
        ordering = ["collection_id", "-role", "user_id"]

    def __str__(self):
        return f"{self.user} is {self.get_role_display()} of {self.collection}"


class Profile(models.Model):
    """A person's own settings. `named_publicly`: whether the public face (annotations of published
    restorations, for readers who are not members) may show their username; off until they choose it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    named_publicly = models.BooleanField(default=False)

    def __str__(self):
        return f"profile of {self.user}"

    @classmethod
    def publicly_named(cls, usernames) -> set[str]:
        """Those of `usernames` whose owners chose to be named in public (one query)."""
        names = {u for u in usernames if u}
        if not names:
            return set()
        return set(
            cls.objects.filter(user__username__in=names, named_publicly=True).values_list(
                "user__username", flat=True
            )
        )
