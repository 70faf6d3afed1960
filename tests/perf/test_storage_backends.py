"""Upload storage backends: the local directory (default) and S3-compatible object storage,
the latter against moto's S3 server on loopback. Both behave the same behind `Storage`."""
from __future__ import annotations

import uuid

import boto3
import pytest

from marketplace.storage import LocalStorage, S3Storage, build_storage, new_key

KEYS = ("AKIAOCOPTEST", "ocop-test-secret")


@pytest.fixture
def bucket(s3_endpoint):
    name = f"ocop-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id=KEYS[0],
                 aws_secret_access_key=KEYS[1]).create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(str(tmp_path / "uploads"))
    endpoint = request.getfixturevalue("s3_endpoint")
    name = request.getfixturevalue("bucket")
    return S3Storage(name, endpoint_url=endpoint, access_key=KEYS[0], secret_key=KEYS[1], prefix="shop")


def test_save_read_exists_delete(storage):
    key = new_key("products/7", ".webp")
    assert not storage.exists(key)
    storage.save(key, b"RIFF-image-bytes", "image/webp")
    assert storage.exists(key)
    assert storage.read(key) == b"RIFF-image-bytes"
    storage.save(key, b"replaced", "image/webp")
    assert storage.read(key) == b"replaced"
    storage.delete(key)
    assert not storage.exists(key)
    storage.delete(key)  # deleting twice is fine


def test_missing_and_malformed_keys(storage):
    with pytest.raises(KeyError):
        storage.read(new_key("products/7", ".webp"))
    with pytest.raises(KeyError):
        storage.read("../../etc/passwd")
    assert not storage.exists("../secret")


def test_s3_objects_live_under_the_prefix_with_their_content_type(s3_endpoint, bucket):
    storage = S3Storage(bucket, endpoint_url=s3_endpoint, access_key=KEYS[0], secret_key=KEYS[1], prefix="/shop/")
    key = new_key("products/1", ".webp")
    storage.save(key, b"webp", "image/webp")
    head = storage.client.head_object(Bucket=bucket, Key=f"shop/{key}")
    assert head["ContentType"] == "image/webp"
    assert storage.head(key)["size"] == 4


def test_settings_select_the_backend(tmp_path, s3_endpoint, bucket):
    assert isinstance(build_storage({"STORAGE_BACKEND": "local", "UPLOAD_DIR": str(tmp_path)}), LocalStorage)
    s3 = build_storage({"STORAGE_BACKEND": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": s3_endpoint,
                        "AWS_ACCESS_KEY_ID": KEYS[0], "AWS_SECRET_ACCESS_KEY": KEYS[1]})
    assert isinstance(s3, S3Storage) and s3.bucket == bucket
    with pytest.raises(RuntimeError, match="S3_BUCKET"):
        build_storage({"STORAGE_BACKEND": "s3"})
    with pytest.raises(RuntimeError, match="unknown STORAGE_BACKEND"):
        build_storage({"STORAGE_BACKEND": "ftp"})


@pytest.fixture
def s3_app(app, s3_endpoint, bucket):
    """The app switched to S3 storage for one test."""
    saved = {k: app.config.get(k) for k in ("STORAGE_BACKEND", "S3_BUCKET", "S3_ENDPOINT_URL",
                                            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    app.config.update(STORAGE_BACKEND="s3", S3_BUCKET=bucket, S3_ENDPOINT_URL=s3_endpoint,
                      AWS_ACCESS_KEY_ID=KEYS[0], AWS_SECRET_ACCESS_KEY=KEYS[1])
    app.extensions.pop("ocop_storage", None)
    yield app
    app.config.update(saved)
    app.extensions.pop("ocop_storage", None)


def test_media_served_from_s3_with_validators_and_304(s3_app, client):
    from marketplace.storage import get_storage

    key = new_key("products/3", ".webp")
    with s3_app.app_context():
        get_storage().save(key, b"webp-bytes", "image/webp")
    response = client.get(f"/media/{key}")
    assert response.status_code == 200
    assert response.get_data() == b"webp-bytes"
    assert response.mimetype == "image/webp"
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    assert response.headers["Last-Modified"]
    revalidated = client.get(f"/media/{key}", headers={"If-None-Match": response.headers["ETag"]})
    assert revalidated.status_code == 304 and revalidated.get_data() == b""
    assert client.get(f"/media/{new_key('products/3', '.webp')}").status_code == 404
    with s3_app.app_context():
        get_storage().save("private/scans/x.pdf", b"%PDF-1.4", "application/pdf")
    assert client.get("/media/private/scans/x.pdf").status_code == 404


def test_media_from_the_local_directory_is_conditional_too(app, client):
    from marketplace.storage import get_storage

    key = new_key("products/4", ".webp")
    with app.app_context():
        get_storage().save(key, b"local-webp", "image/webp")
    response = client.get(f"/media/{key}")
    assert response.status_code == 200 and response.get_data() == b"local-webp"
    assert client.get(f"/media/{key}", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
