"""Images for Markdown on the forum: the upload page, ``/media`` files, the moderators' list."""
