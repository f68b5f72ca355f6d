"""Watch rows (post, category, ticker) on the Django ORM: added and removed idempotently."""

from __future__ import annotations

from .models import PostWatch


def set_watch(model, watching: bool, **key) -> None:
    """Add or remove one watch row (post, category or ticker); either is idempotent."""
    if watching:
        model.objects.bulk_create([model(**key)], ignore_conflicts=True)
    else:
        model.objects.filter(**key).delete()


def watch_post(user_id: int, post_id: int) -> None:
    set_watch(PostWatch, True, user_id=user_id, post_id=post_id)
