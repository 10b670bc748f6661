import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_application = get_asgi_application()

# Imported after Django is set up: the middleware reads settings and models.
from imports.asgi import UploadSizeLimitMiddleware  # noqa: E402

# Refuses oversized uploads before Django's handler spools the whole body.
application = UploadSizeLimitMiddleware(django_application)
