"""The ``reltime`` filter (finboard/relative_time.py): pure, against a fixed "now"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from finboard.relative_time import relative_time, time_tag

NOW = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ago", "spoken"),
    [
        (timedelta(seconds=0), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(seconds=60), "1 min ago"),
        (timedelta(minutes=59, seconds=59), "59 min ago"),
        (timedelta(hours=1), "1 h ago"),
        (timedelta(hours=3, minutes=40), "3 h ago"),
        (timedelta(hours=23, minutes=59), "23 h ago"),
        (timedelta(days=1), "yesterday"),
        (timedelta(days=1, hours=23), "yesterday"),
        (timedelta(days=2), "2 days ago"),
        (timedelta(days=6, hours=23), "6 days ago"),
        (timedelta(days=7), "1 week ago"),
        (timedelta(days=27), "3 weeks ago"),
        (timedelta(days=28), "9 Nov 2026"),
        (timedelta(days=400), "2 Nov 2025"),
    ],
)
def test_relative_time_reads_as_people_say_it(ago, spoken):
    assert relative_time(NOW - ago, NOW) == spoken


def test_a_time_ahead_of_now_is_just_now_and_naive_times_are_utc():
    assert relative_time(NOW + timedelta(minutes=5), NOW) == "just now"  # another host's clock ahead
    naive = datetime(2026, 12, 7, 9, 0, 0)  # SQLite hands back naive UTC
    assert relative_time(naive, NOW) == "3 h ago"


def test_the_tag_keeps_the_exact_time_for_hover_and_machines():
    stamp = datetime(2026, 12, 7, 9, 5, 0)
    assert str(time_tag(stamp, NOW)) == (
        '<time datetime="2026-12-07T09:05:00+00:00" title="2026-12-07 09:05 UTC">2 h ago</time>'
    )
    assert str(time_tag(None, NOW)) == ""


def test_the_filter_renders_in_templates(app):
    with app.app_context():
        template = app.jinja_env.from_string("{{ when | reltime }}")
        html = template.render(when=datetime.now(UTC) - timedelta(minutes=5))
    assert html.startswith("<time datetime=") and ">5 min ago</time>" in html
