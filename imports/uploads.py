"""Streams an uploaded import file to disk while enforcing the size limit."""

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler

# Room for the multipart boundaries and headers around the file itself.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


def upload_content_length_too_large(*, content_length: int | None) -> bool:
    """Whether a declared body size alone already exceeds the limit."""
    if content_length is None:
        return False
    return content_length > settings.IMPORT_MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES


class ImportUploadHandler(TemporaryFileUploadHandler):
    """Writes the file part straight to a temporary file, chunk by chunk.

    Django's default handlers may keep small uploads in memory; this one never
    does. Counting the bytes as they arrive catches a body that lies about its
    Content-Length (or has none). ``request.import_upload_too_large`` tells the
    view to answer 413.
    """

    chunk_size = 1024 * 1024

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.received = 0
        request.import_upload_too_large = False

    def handle_raw_input(
        self, input_data, META, content_length, boundary, encoding=None
    ):
        if upload_content_length_too_large(content_length=content_length):
            # Raising here would escape the parser; the first chunk stops it.
            self.request.import_upload_too_large = True
        return None

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if (
            self.request.import_upload_too_large
            or self.received > settings.IMPORT_MAX_UPLOAD_BYTES
        ):
            self.request.import_upload_too_large = True
            self.file.close()
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)
