from django.core.exceptions import BadRequest


class RejectNulCharactersMiddleware:
    """Answer 400 to query strings holding NUL characters.

    PostgreSQL cannot compare text with NUL, so a search or filter containing one would
    fail deep in a query with a 500; forms already refuse NUL in what they store.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any(
            "\x00" in key or "\x00" in value
            for key, values in request.GET.lists()
            for value in values
        ):
            raise BadRequest("The query string contains a NUL character.")
        return self.get_response(request)
