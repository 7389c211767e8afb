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


class HeadWithoutBodyMiddleware:
    """Answer HEAD with the headers GET would send and no body.

    Django renders the page as for GET; gunicorn would drop the body anyway, but logs a
    warning for every HEAD request (uptime monitors send many).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "HEAD" and not response.streaming:
            length = len(response.content)
            response.content = b""
            response["Content-Length"] = str(length)
        return response


class CrossOriginResourcePolicyMiddleware:
    """Send ``Cross-Origin-Resource-Policy: same-origin``, which Django does not.

    Browsers then refuse to load markup's answers (images, stylesheets, feeds) into pages
    of other sites, and nothing of markup's needs to be loaded there.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
