from finboard.core.models import Post


def test_index_lists_newest_first(client, make):
    alice = make.user("alice")
    make.post(alice, title="Older $MSFT post")
    make.post(alice, title="Newer $BTC post", category="crypto")
    html = client.get("/").get_data(as_text=True)
    assert html.index("Newer $BTC post") < html.index("Older $MSFT post")
    assert make.count(Post) == 2


def test_login_and_create_post(client, make, auth):
    make.user("alice")
    response = auth.login()
    assert response.status_code == 302
    token = auth.csrf("/posts/new")
    response = client.post(
        "/posts/new", data={"title": "Hello $NVDA", "body": "Text", "category": "stocks", "csrf_token": token}
    )
    assert response.status_code == 302
    post = make.get(Post, 1)
    assert post.title == "Hello $NVDA" and post.cashtags == "NVDA"
