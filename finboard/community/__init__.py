"""The forum's community pages: notifications, moderation, reports, watches, profiles, history."""
