"""QR codes for pages (segno): inline SVG, no styles, so it passes the CSP."""

import segno
from django.utils.safestring import mark_safe


def qr_svg(text: str, scale=6) -> str:
    """An inline SVG QR code of `text` (a link, an otpauth:// address…)."""
    return mark_safe(segno.make(text, error="m").svg_inline(scale=scale, dark="#000", light="#fff",
                                                              svgclass="qr", lineclass=None,
                                                              omitsize=True))
