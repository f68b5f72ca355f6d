"""Account recovery and the address in the forum: forgotten password, verification, e-mail change."""
