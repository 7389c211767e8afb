"""Uploaded images served by the app itself, where no proxy serves MEDIA_ROOT (bin/demo).

Only names that uploads are stored under answer, each with the Content-Type its
extension says (the content was checked at upload), so nothing in the storage can be
served as HTML or script; the policy forbids a browser to run anything in it anyway.
"""

from csp.decorators import csp
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from posts import images

# Names are content hashes: a name never gets other content.
CACHE_FOREVER = "public, max-age=31536000, immutable"


@require_safe
@csp({"default-src": ["'none'"]})
def serve(request, name):
    stored = images.STORED_NAME.fullmatch(name)
    if stored is None:
        raise Http404("There is no such image.")
    try:
        file = default_storage.open(name)
    except FileNotFoundError as error:
        raise Http404("There is no such image.") from error
    response = FileResponse(file, content_type=images.CONTENT_TYPES[stored["extension"]])
    response["Cache-Control"] = CACHE_FOREVER
    response["Content-Disposition"] = "inline"
    return response
