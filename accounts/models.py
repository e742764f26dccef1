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
