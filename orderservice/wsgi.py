"""The WSGI application gunicorn serves (`orderservice.wsgi:application`): Django's, with chunked bodies read."""

import io
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orderservice.settings")


class ChunkedBodies:
    """Django (and DRF after it) reads a body only as far as its Content-Length, so a body sent with
    `Transfer-Encoding: chunked` and no Content-Length would read as empty. A server that decodes the chunks and
    ends wsgi.input where the body ends says so with `wsgi.input_terminated` (gunicorn does): such a body is read
    here, up to one byte past MAX_REQUEST_BODY_BYTES, and handed on with its length. A body over the limit then
    gets the answer a declared one gets: 413 under /api/, Django's 400 elsewhere."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if (
            environ.get("wsgi.input_terminated")
            and "HTTP_TRANSFER_ENCODING" in environ
            and not environ.get("CONTENT_LENGTH")
        ):
            body = environ["wsgi.input"].read(settings.MAX_REQUEST_BODY_BYTES + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.application(environ, start_response)


application = ChunkedBodies(get_wsgi_application())
