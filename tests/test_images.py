"""Uploaded images: what is accepted, what is refused, what is stored, how posts show them."""

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as Pillow
from PIL import ImageCms, PngImagePlugin
from pytest_django.asserts import assertContains, assertHTMLEqual

from posts import images
from posts.models import Image, Post

pytestmark = pytest.mark.django_db

UPLOAD = reverse("admin:posts_image_upload")
ADD = reverse("admin:posts_image_add")


def picture_file(image_format="PNG", size=(64, 48), name=None, **options) -> SimpleUploadedFile:
    output = io.BytesIO()
    mode = "RGB" if image_format == "JPEG" else "RGBA"
    Pillow.new(mode, size, (200, 30, 60, 255)[: len(mode)]).save(output, image_format, **options)
    extension = images.FORMATS[image_format][0]
    return SimpleUploadedFile(name or f"picture.{extension}", output.getvalue())


@pytest.fixture
def editor_client(client, staff):
    client.force_login(staff)
    return client


def upload(file, alt="A red square") -> Image:
    return Image.upload(file, alt_text=alt)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "GIF", "WEBP"])
def test_each_accepted_format_is_stored_under_its_content_hash(image_format):
    image = upload(picture_file(image_format))
    with default_storage.open(image.file.name) as stored:
        assert Pillow.open(stored).format == image_format
    extension = images.FORMATS[image_format][0]
    assert image.file.name == f"images/{image.content_hash}.{extension}"
    assert (image.width, image.height) == (64, 48)


def test_the_content_decides_not_the_name():
    image = upload(picture_file("PNG", name="holiday.jpg"))
    assert image.file.name.endswith(".png")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "drawing.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "not a JPEG, PNG, GIF or WebP",
        ),
        ("page.jpg", b"<!doctype html><script>alert(1)</script>", "not a JPEG, PNG, GIF or WebP"),
        ("tiny.bmp", b"BM" + b"\0" * 60, "not a JPEG, PNG, GIF or WebP"),
    ],
)
def test_files_that_are_not_accepted_images_are_refused(name, content, message):
    with pytest.raises(ValidationError, match=message):
        upload(SimpleUploadedFile(name, content))


def test_a_truncated_image_is_refused():
    data = picture_file("PNG", size=(300, 300)).read()
    with pytest.raises(ValidationError, match="damaged or truncated"):
        upload(SimpleUploadedFile("cut.png", data[: len(data) // 2]))


def test_an_oversized_file_is_refused_naming_the_limit(settings):
    settings.MARKUP_IMAGE_MAX_BYTES = 1000
    with pytest.raises(ValidationError, match="at most 0.001 MB"):
        upload(picture_file("PNG", size=(400, 400), compress_level=0))


def test_a_decompression_bomb_is_refused_before_it_is_decoded(settings):
    settings.MARKUP_IMAGE_MAX_PIXELS = 40_000_000
    # 10,000 x 10,000 pixels: a few KB of PNG that would take 100 MB or more once decoded.
    output = io.BytesIO()
    Pillow.new("1", (10_000, 10_000)).save(output, "PNG")
    assert len(output.getvalue()) < 100_000
    with pytest.raises(ValidationError, match="more than 40 megapixels"):
        upload(SimpleUploadedFile("bomb.png", output.getvalue()))


def test_a_polyglot_keeps_only_its_pixels():
    """An image with a script appended (read as HTML by a sniffing browser) is re-encoded."""
    clean = picture_file("GIF").read()
    polyglot = SimpleUploadedFile("x.gif", clean + b"<script>alert(document.domain)</script>")
    image = upload(polyglot)
    with default_storage.open(image.file.name) as stored:
        assert b"<script>" not in stored.read()


def test_metadata_is_stripped_and_orientation_applied():
    exif = Pillow.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x010F] = "Camera maker"
    exif[0x8825] = {2: (48.0, 51.0, 0.0)}  # GPS latitude
    image = upload(picture_file("JPEG", size=(64, 48), exif=exif.tobytes(), comment=b"secret"))
    with default_storage.open(image.file.name) as stored:
        cleaned = Pillow.open(stored)
        assert cleaned.size == (48, 64)
        assert not cleaned.getexif()
        assert "comment" not in cleaned.info and "exif" not in cleaned.info
    assert (image.width, image.height) == (48, 64)


def test_png_text_chunks_are_stripped():
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Someone private")
    image = upload(picture_file("PNG", pnginfo=text))
    with default_storage.open(image.file.name) as stored:
        assert "Author" not in Pillow.open(stored).info


def test_an_srgb_colour_profile_is_dropped_and_another_kept():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    plain = upload(picture_file("PNG", icc_profile=srgb))
    wide = upload(picture_file("PNG", size=(65, 48), icc_profile=lab))
    with default_storage.open(plain.file.name) as stored:
        assert "icc_profile" not in Pillow.open(stored).info
    with default_storage.open(wide.file.name) as stored:
        assert Pillow.open(stored).info["icc_profile"] == lab


def test_the_same_picture_uploaded_twice_is_stored_once():
    first = upload(picture_file("JPEG"))
    second = upload(picture_file("JPEG"), alt="Again")
    assert first.pk == second.pk
    assert Image.objects.count() == 1
    assert default_storage.listdir("images")[1] == [first.file.name.removeprefix("images/")]


def test_smaller_copies_are_made_at_upload_never_larger_ones():
    image = upload(picture_file("PNG", size=(1200, 600)))
    assert image.widths == [480, 960]
    for width, name in image.variant_names.items():
        with default_storage.open(name) as stored:
            assert Pillow.open(stored).size == (width, width // 2)


def test_a_post_shows_an_uploaded_image_with_its_size_and_srcset(make_post):
    image = upload(picture_file("JPEG", size=(2000, 1000)))
    post = make_post(body=f"![A red square]({image.url})")
    url = image.url.removesuffix(".jpg")
    assertHTMLEqual(
        post.body_html,
        f'<p><img src="{image.url}" alt="A red square" width="2000" height="1000" '
        f'srcset="{url}-480w.jpg 480w, {url}-960w.jpg 960w, {url}-1600w.jpg 1600w, '
        f'{image.url} 2000w" sizes="{images.SIZES}" loading="lazy"></p>',
    )


def test_an_author_cannot_write_a_srcset_pointing_elsewhere(make_post):
    post = make_post(body='<img src="/a.png" alt="" srcset="https://evil.example/x.png 2x">')
    assert "srcset" not in post.body_html


def test_a_post_renders_again_when_an_image_it_shows_is_deleted(
    make_post, django_capture_on_commit_callbacks
):
    image = upload(picture_file("PNG", size=(600, 300)))
    post = make_post(body=f"![Square]({image.url})")
    assert 'width="600"' in post.body_html
    files = [image.file.name, *image.variant_names.values()]
    with django_capture_on_commit_callbacks(execute=True):
        image.delete()
    post.refresh_from_db()
    assert 'width="600"' not in post.body_html
    assert not any(default_storage.exists(name) for name in files)


def test_the_upload_endpoint_answers_markdown_to_insert(editor_client):
    response = editor_client.post(UPLOAD, {"file": picture_file("PNG"), "alt_text": "A [red] dot"})
    assert response.status_code == 201
    image = Image.objects.get()
    assert response.json() == {"markdown": f"![A \\[red\\] dot]({image.url})", "url": image.url}
    assert image.uploaded_by.username == "editor"


def test_the_upload_endpoint_names_the_problem(editor_client):
    svg = SimpleUploadedFile("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    response = editor_client.post(UPLOAD, {"file": svg, "alt_text": "Logo"})
    assert response.status_code == 400
    assert "not a JPEG, PNG, GIF or WebP" in json.dumps(response.json())


def test_the_upload_endpoint_requires_alt_text(editor_client):
    response = editor_client.post(UPLOAD, {"file": picture_file("PNG"), "alt_text": ""})
    assert response.status_code == 400
    assert "alt_text" in response.json()["errors"]


def test_the_upload_endpoint_is_for_staff_only(client, author):
    client.force_login(author)
    response = client.post(UPLOAD, {"file": picture_file("PNG"), "alt_text": "x"})
    assert response.status_code == 302
    assert not Image.objects.exists()


def test_the_upload_endpoint_checks_the_csrf_token(staff):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.post(UPLOAD, {"file": picture_file("PNG"), "alt_text": "x"})
    assert response.status_code == 403
    assert not Image.objects.exists()


def test_the_admin_add_form_shows_refusals_as_form_errors(editor_client, settings):
    settings.MARKUP_IMAGE_MAX_PIXELS = 1000
    response = editor_client.post(ADD, {"upload": picture_file("PNG"), "alt_text": "Big"})
    assertContains(response, "more than 0.001 megapixels")
    assert not Image.objects.exists()


def test_the_admin_lists_images_with_thumbnails_and_searches_alt_text(editor_client):
    upload(picture_file("PNG"), alt="A red square")
    upload(picture_file("PNG", size=(10, 10)), alt="A small thing")
    changelist = reverse("admin:posts_image_changelist")
    response = editor_client.get(changelist, {"q": "red"})
    assert [image.alt_text for image in response.context["cl"].result_list] == ["A red square"]
    assertContains(response, '<img src="/media/images/')


def test_deleting_an_image_a_post_shows_is_refused_naming_the_post(editor_client, make_post):
    image = upload(picture_file("PNG"))
    make_post(title="Shows the square", body=f"![Square]({image.url})")
    delete = reverse("admin:posts_image_delete", args=[image.pk])
    response = editor_client.post(delete, {"post": "yes"})
    assertContains(response, "Shows the square")
    assert Image.objects.filter(pk=image.pk).exists()
    assert Post.objects.get().body_html.count('width="64"') == 1


def animated_gif() -> bytes:
    frames = [Pillow.effect_noise((120, 90), 64).convert("RGB") for _ in range(4)]
    output = io.BytesIO()
    frames[0].save(output, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return output.getvalue()


def test_an_animation_keeps_its_frames():
    image = upload(SimpleUploadedFile("moving.gif", animated_gif()))
    with default_storage.open(image.file.name) as stored:
        assert Pillow.open(stored).n_frames == 4


def test_an_animation_damaged_after_its_first_frame_is_refused():
    data = animated_gif()
    with pytest.raises(ValidationError, match="damaged or truncated"):
        upload(SimpleUploadedFile("cut.gif", data[: len(data) * 3 // 4]))
