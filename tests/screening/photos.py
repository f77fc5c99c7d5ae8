"""Small real images for the antigen tests (a cassette photo stand-in)."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile


def png(colour=(200, 30, 30), name="cassette.png") -> SimpleUploadedFile:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 16), colour).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")
