import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/posts/%00/",
        "/tags/%00/",
        "/posts/a%00b/",
        "/posts/" + "x" * 5000 + "/",
        "/posts/%ff%fe/",
        "/tags/..%2f..%2fetc%2fpasswd/",
    ],
)
def test_hostile_paths_answer_404_not_500(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("query", ["q=%00", "page=1&x%00=1", "page=%00"])
def test_query_strings_with_nul_answer_400(client, query):
    assert client.get(f"/?{query}").status_code == 400
