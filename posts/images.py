"""Uploaded pictures: decoded by Pillow, checked, cleaned and stored under their content hash.

The decoded content decides what a file is, never its name or declared type. Only the
re-encoded pixels are stored, so metadata (EXIF, GPS, comments) and anything appended to
the file (a script in a polyglot) never reach the storage.
"""

import hashlib
import io
import re
import warnings
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image as Pillow
from PIL import ImageCms, ImageOps, UnidentifiedImageError

# Pillow's format name: (file extension, Content-Type).
FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
}
CONTENT_TYPES = dict(FORMATS.values())
# Widths made at upload for srcset; an image is never enlarged.
RESPONSIVE_WIDTHS = (480, 960, 1600)
# The column a post's pictures fill at most, for the sizes attribute.
SIZES = "(max-width: 48rem) 100vw, 48rem"
FOLDER = "images"
DAMAGED = "This image is damaged or truncated: it cannot be read."
KEPT_INFO = {"duration", "loop", "transparency", "background", "disposal"}
# A stored name: the content hash, then a width for the smaller copies.
STORED_NAME = re.compile(
    rf"{FOLDER}/(?P<hash>[0-9a-f]{{64}})(?:-(?P<width>[0-9]{{1,5}})w)?"
    rf"\.(?P<extension>{'|'.join(CONTENT_TYPES)})"
)


@dataclass
class ProcessedImage:
    """An upload, decoded and cleaned, ready to store."""

    content: bytes
    extension: str
    width: int
    height: int
    content_hash: str
    variants: dict[int, bytes] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return stored_name(self.content_hash, self.extension)

    def save(self) -> None:
        """Write the image and its smaller copies, unless stored already (same content)."""
        files = {self.name: self.content} | {
            stored_name(self.content_hash, self.extension, width): content
            for width, content in self.variants.items()
        }
        for name, content in files.items():
            if not default_storage.exists(name):
                default_storage.save(name, ContentFile(content))


def stored_name(content_hash: str, extension: str, width: int | None = None) -> str:
    suffix = f"-{width}w" if width else ""
    return f"{FOLDER}/{content_hash}{suffix}.{extension}"


def process(upload, keep_bytes: bool = False) -> ProcessedImage:
    """Check and clean an uploaded file; a ``ValidationError`` says what is wrong.

    ``keep_bytes`` is for files markup cleaned itself (an export, named by its content
    hash): they are checked as any upload, then kept byte for byte, so exporting again
    gives the same files.
    """
    max_bytes = settings.MARKUP_IMAGE_MAX_BYTES
    if upload.size > max_bytes:
        raise ValidationError(
            f"This file is {upload.size / 1_000_000:.1f} MB; images may be at most "
            f"{max_bytes / 1_000_000:g} MB (MARKUP_IMAGE_MAX_BYTES)."
        )
    data = upload.read()
    picture = _decode(data)
    try:
        # Later frames, the EXIF orientation and the pixels are read while cleaning.
        return _clean(picture, data, keep_bytes)
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ValidationError(DAMAGED) from error


def _clean(picture: Pillow.Image, data: bytes, keep_bytes: bool) -> ProcessedImage:
    image_format = picture.format
    extension = FORMATS[image_format][0]
    animated = getattr(picture, "is_animated", False)
    icc_profile = _icc_profile_needed(picture.info.get("icc_profile"))
    if not animated:
        picture = ImageOps.exif_transpose(picture)
    # Only what animation and transparency need survives; EXIF, XMP and comments do not.
    picture.info = {key: value for key, value in picture.info.items() if key in KEPT_INFO}
    content = data if keep_bytes else _encode(picture, image_format, icc_profile, animated)
    variants = {}
    if not animated:
        for width in RESPONSIVE_WIDTHS:
            if width < picture.width:
                height = max(1, round(picture.height * width / picture.width))
                smaller = picture.resize((width, height), Pillow.Resampling.LANCZOS)
                variants[width] = _encode(smaller, image_format, icc_profile, animated=False)
    return ProcessedImage(
        content=content,
        extension=extension,
        width=picture.width,
        height=picture.height,
        content_hash=hashlib.sha256(content).hexdigest(),
        variants=variants,
    )


def _decode(data: bytes) -> Pillow.Image:
    max_pixels = settings.MARKUP_IMAGE_MAX_PIXELS
    too_large = ValidationError(
        f"This image has more than {max_pixels / 1_000_000:g} megapixels, the limit "
        "(MARKUP_IMAGE_MAX_PIXELS). Scale it down before uploading."
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Pillow.DecompressionBombWarning)
            picture = Pillow.open(io.BytesIO(data), formats=list(FORMATS))
            frames = getattr(picture, "n_frames", 1)
            if picture.width * picture.height * frames > max_pixels:
                raise too_large
            picture.load()
    except (Pillow.DecompressionBombError, Pillow.DecompressionBombWarning) as error:
        raise too_large from error
    except UnidentifiedImageError as error:
        raise ValidationError(
            "This file is not a JPEG, PNG, GIF or WebP image (SVG and other formats are "
            "not accepted)."
        ) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ValidationError(DAMAGED) from error
    return picture


def _icc_profile_needed(profile: bytes | None) -> bytes | None:
    """A colour profile is kept only when it is not plain sRGB, which browsers assume."""
    if not profile:
        return None
    try:
        description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(profile)))
    except (OSError, ImageCms.PyCMSError):
        return None
    return None if "srgb" in description.lower() else profile


def _encode(picture: Pillow.Image, image_format: str, icc_profile, animated: bool) -> bytes:
    options = {"icc_profile": icc_profile} if icc_profile else {}
    if image_format == "JPEG":
        if picture.mode not in ("RGB", "L"):
            picture = picture.convert("RGB")
        options |= {"quality": 85, "optimize": True, "progressive": True}
    elif image_format == "PNG":
        options |= {"optimize": True}
    elif image_format == "WEBP":
        options |= {"quality": 85}
    if animated:
        options |= {"save_all": True}
    output = io.BytesIO()
    picture.save(output, format=image_format, **options)
    return output.getvalue()
