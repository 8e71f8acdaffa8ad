"""Objects in a bucket whose versioning was turned on, then suspended, as S3 treats them.

- An object written before versioning was turned on has the version ID "null" (S3 User Guide,
  "Working with objects in a versioning-enabled bucket"). moto lists it so, but leaves the
  x-amz-version-id header out of HeadObject and GetObject. The provider records an
  aws_s3_object's version from that header, and deletes an object it holds no version of with a
  DeleteObject without one, which in a versioned bucket hides the object behind a delete marker:
  `terraform destroy` then fails on the bucket, BucketNotEmpty. Here such an object carries
  "x-amz-version-id: null" once the bucket's versioning has been set.
- DeleteObject in a suspended bucket: moto treats one as never versioned and removes every
  version of the key, with or without a version ID (and fails with a 500 when one of them is a
  delete marker). S3 keeps the versions written while versioning was on, removes only the
  version "null" and adds a delete marker "null" (S3 User Guide, "Deleting objects from
  versioning-suspended buckets"); given a version ID, it removes that version alone. `terraform
  destroy` suspends the data bucket's versioning (it deletes aws_s3_bucket_versioning) before it
  reaches the bucket, so emptying the bucket after a refused destroy, as the example's README
  describes, needs the old versions removed too; in moto they were gone at the first `aws s3 rm`.
  (Object Lock is not checked on this path: the example's bucket has none.)
"""

from __future__ import annotations


def register() -> None:
    from moto.s3.models import FakeDeleteMarker, FakeKey, S3Backend, s3_backends

    response_dict = FakeKey.response_dict.fget

    def response_dict_with_null_version(self) -> dict:
        headers = response_dict(self)
        if "x-amz-version-id" not in headers:
            bucket = s3_backends[self.account_id][self.partition].buckets.get(self.bucket_name)
            if bucket is not None and bucket.versioning_status in ("Enabled", "Suspended"):
                headers["x-amz-version-id"] = "null"
        return headers

    FakeKey.response_dict = property(response_dict_with_null_version)

    delete_object = S3Backend.delete_object

    def delete_object_as_s3(self, bucket_name: str, key_name: str, version_id: str | None = None,
                            bypass: bool = False):
        bucket = self.get_bucket(bucket_name)
        if bucket.versioning_status != "Suspended" or key_name not in bucket.keys:
            return delete_object(self, bucket_name, key_name, version_id, bypass)
        versions = bucket.keys.getlist(key_name)
        if version_id is None:
            marker = FakeDeleteMarker(key=bucket.keys[key_name])
            marker._version_id = "null"
            bucket.keys.setlist(key_name, [v for v in versions if str(v.version_id) != "null"] + [marker])
            return True, {"version-id": "null", "delete-marker": "true"}
        gone = [v for v in versions if str(v.version_id) == str(version_id)]
        kept = [v for v in versions if v not in gone]
        if kept:
            bucket.keys.setlist(key_name, kept)
        else:
            dict.pop(bucket.keys, key_name)
        for version in gone:
            if hasattr(version, "dispose"):
                version.dispose()
        meta = {"version-id": version_id}
        if any(isinstance(v, FakeDeleteMarker) for v in gone):
            meta["delete-marker"] = "true"
        return True, meta

    S3Backend.delete_object = delete_object_as_s3
