"""Notification preferences for the Django adapter's API, in its own ORM.

The same rules as ``finboard.core.account_settings``: only kinds whose delivery is not the
default are stored; a PATCH locks the member's row before reading the current choices, so
two at once both apply.
"""

from __future__ import annotations

from django.db import transaction

from finboard.contract.notifications import (
    DEFAULT_DELIVERY,
    NotificationPreferences,
    NotificationPreferencesUpdate,
    preferences_public,
)

from .models import NotificationPreference, User


def _stored(user: User) -> dict[str, str]:
    return dict(NotificationPreference.objects.filter(user_id=user.id).values_list("kind", "delivery"))


def preferences(user: User) -> NotificationPreferences:
    return preferences_public(_stored(user))


def update_preferences(user: User, payload: NotificationPreferencesUpdate) -> NotificationPreferences:
    with transaction.atomic():
        list(User.objects.select_for_update().filter(id=user.id).values_list("id"))
        choices = {**_stored(user), **payload.preferences}
        NotificationPreference.objects.filter(user_id=user.id).delete()
        NotificationPreference.objects.bulk_create(
            NotificationPreference(user_id=user.id, kind=kind, delivery=delivery)
            for kind, delivery in sorted(choices.items())
            if delivery != DEFAULT_DELIVERY
        )
    return preferences(user)
