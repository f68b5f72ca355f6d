"""A bounded write load: a few members post through the load balancer for a fixed time.

Run on the client host of the multi-host test (``ip netns exec … python -m
tests.reliability.writeload``): each thread logs one member in through the API, then posts
as fast as the answers come for ``--seconds``, recording every request's wall-clock start
and end, status, the post id it was given and the app host that answered (nginx's
``X-Upstream``). The test reads the JSON and holds the database to it.
"""

from __future__ import annotations

import argparse
import json
import threading
import time

import httpx

PASSWORD = "multihost-password"


def _poster(base_url: str, username: str, body: str, seconds: float, out: list[dict], go: threading.Barrier) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as client:  # a slow answer is measured, not given up on
        token = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        go.wait()  # every member logged in (or not): the load starts at once for all
        if token.status_code != 200:  # recorded, so the test fails saying why instead of seeing no load
            out.append({"title": f"{username} login", "status": -1, "error": token.text, "start": 0, "end": 0})
            return
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        deadline = time.time() + seconds
        n = 0
        while time.time() < deadline:
            n += 1
            title = f"{username} post {n}"
            record = {"title": title, "start": time.time()}
            try:
                answer = client.post("/api/v1/posts", headers=headers,
                                     json={"title": title, "body": body, "category": "stocks"})  # fmt: skip
                record.update(status=answer.status_code, upstream=answer.headers.get("x-upstream"))
                if answer.status_code == 201:
                    record["id"] = answer.json()["id"]
            except httpx.HTTPError as exc:  # no answer at all: counted as an error, never as acknowledged
                record.update(status=0, error=repr(exc))
            record["end"] = time.time()
            out.append(record)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base_url")
    parser.add_argument("--users", required=True, help="comma-separated members, one thread each")
    parser.add_argument("--body", required=True)
    parser.add_argument("--seconds", type=float, default=25)
    parser.add_argument("--out", required=True)
    parser.add_argument("--ready", required=True, help="file created when the load starts (the test times from it)")
    args = parser.parse_args()
    records: list[dict] = []
    users = args.users.split(",")
    go = threading.Barrier(len(users) + 1)
    threads = [
        threading.Thread(target=_poster, args=(args.base_url, user, args.body, args.seconds, records, go))
        for user in users
    ]
    for thread in threads:
        thread.start()
    go.wait()
    with open(args.ready, "w") as ready:
        ready.write(str(time.time()))
    for thread in threads:
        thread.join()
    with open(args.out, "w") as out:
        json.dump(records, out)


if __name__ == "__main__":
    main()
