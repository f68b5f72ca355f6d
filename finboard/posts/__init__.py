"""Browsing, reading, searching and writing posts and comments."""
