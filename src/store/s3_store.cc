#include "store/s3_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "base/iso8601.h"
#include "base/redact.h"
#include "store/s3_upload.h"
#include "store/xml.h"

namespace clicktrail::store {
namespace {

constexpr std::size_t max_key_bytes = 1024;  // S3's limit on a whole key

base::error malformed(std::string_view what, std::string_view object, std::string_view body) {
  return base::error::retry(fmt::format("S3 {} of {}: the server's answer is not the XML expected: \"{}\"",
                                        what, object, base::excerpt(body)));
}

}  // namespace

s3_store::s3_store(s3_store_options options, base::registry& metrics)
    : options_(std::move(options)), probe_(metrics, "s3") {}

base::result<std::unique_ptr<s3_store>> s3_store::create(s3_store_options options,
                                                         std::unique_ptr<credential_chain> credentials,
                                                         std::shared_ptr<http_client> http,
                                                         base::registry& metrics) {
  if (options.part_size < min_part_size) {
    return base::error::fail(fmt::format("S3: part size {} is below S3's minimum of {} bytes (5 MiB)",
                                         options.part_size, min_part_size));
  }
  while (options.prefix.starts_with('/')) options.prefix.erase(0, 1);
  while (options.prefix.ends_with('/')) options.prefix.pop_back();
  std::unique_ptr<s3_store> store(new s3_store(std::move(options), metrics));
  auto client =
      s3_client::create(store->options_.client, std::move(credentials), std::move(http), store->probe_);
  if (!client) return std::move(client).err();
  store->client_ = std::move(*client);
  return store;
}

std::string s3_store::describe() const {
  return options_.prefix.empty() ? fmt::format("s3://{}", options_.client.bucket)
                                 : fmt::format("s3://{}/{}", options_.client.bucket, options_.prefix);
}

base::result<std::string> s3_store::full_key(std::string_view key) const {
  std::string full = options_.prefix.empty() ? std::string(key) : options_.prefix + "/" + std::string(key);
  if (key.empty() || key.front() == '/' || full.size() > max_key_bytes) {
    return base::error::fail(
        fmt::format("S3: key \"{}\" under {} is empty, starts with '/', or is longer than {} bytes; this is "
                    "a bug in the caller",
                    key, describe(), max_key_bytes));
  }
  return full;
}

std::string s3_store::relative_key(std::string_view full) const {
  if (options_.prefix.empty()) return std::string(full);
  return std::string(full.substr(std::min(full.size(), options_.prefix.size() + 1)));
}

base::result<std::unique_ptr<upload>> s3_store::begin_upload(std::string key) {
  auto full = full_key(key);
  if (!full) return std::move(full).err();
  return std::unique_ptr<upload>(
      std::make_unique<s3_upload>(*client_, probe_, std::move(*full), options_.part_size));
}

base::status s3_store::put(std::string_view key, std::string_view bytes) {
  auto full = full_key(key);
  if (!full) return std::move(full).err();
  s3_request request(op::put, "PUT", std::move(*full));
  request.body = bytes;
  auto r = client_->send(request);
  if (!r) return std::move(r).err();
  probe_.uploaded(bytes.size());
  return base::ok_v;
}

base::result<std::optional<std::string>> s3_store::put_if(std::string_view key, std::string_view bytes,
                                                          const std::optional<std::string>& expected) {
  auto full = full_key(key);
  if (!full) return std::move(full).err();
  s3_request request(op::put, "PUT", *full);
  request.body = bytes;
  request.headers = {expected ? sigv4::name_value{"If-Match", *expected}
                              : sigv4::name_value{"If-None-Match", "*"}};
  request.precondition_ok = true;
  request.missing_ok = true;  // If-Match on an object that is gone: 404 NoSuchKey
  auto r = client_->send(request);
  if (!r) return std::move(r).err();
  if (r->status == 200) {
    probe_.uploaded(bytes.size());
    std::string etag = r->header("etag");
    if (etag.empty()) {
      return base::error::retry(
          fmt::format("S3 put of {}: the answer has no ETag header", client_->object_name(*full)));
    }
    return std::optional<std::string>(std::move(etag));
  }
  // The condition did not hold. If the object holds exactly our bytes, an earlier attempt of this
  // request succeeded and its answer was lost; the caller's bytes name their writer, so equal
  // bytes mean it was ours.
  auto there = read(key);
  if (!there) return std::move(there).err();
  if (*there && (*there)->bytes == bytes) return std::optional<std::string>((*there)->version);
  return std::optional<std::string>();
}

base::result<std::optional<stored_object>> s3_store::read(std::string_view key) {
  auto full = full_key(key);
  if (!full) return std::move(full).err();
  s3_request request(op::get, "GET", *full);
  request.missing_ok = request.denied_may_be_missing = true;
  auto r = client_->send(request);
  if (!r) return std::move(r).err();
  if (r->status == 404) return std::optional<stored_object>();
  if (r->status == 403) {
    if (auto denied = denied_unless_missing(*full, "get")) return std::move(*denied);
    return std::optional<stored_object>();
  }
  return std::optional<stored_object>(stored_object{std::move(r->body), r->header("etag")});
}

base::result<std::optional<object_info>> s3_store::head(std::string_view key) {
  auto full = full_key(key);
  if (!full) return std::move(full).err();
  s3_request request(op::head, "HEAD", *full);
  request.missing_ok = request.denied_may_be_missing = true;
  auto r = client_->send(request);
  if (!r) return std::move(r).err();
  if (r->status == 404) return std::optional<object_info>();
  if (r->status == 403) {
    if (auto denied = denied_unless_missing(*full, "head")) return std::move(*denied);
    return std::optional<object_info>();
  }
  const std::string length = r->header("content-length");
  std::int64_t size = -1;
  const auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), size);
  if (ec != std::errc() || end != length.data() + length.size()) {
    return base::error::retry(
        fmt::format("S3 head of {}: the answer has no Content-Length", client_->object_name(*full)));
  }
  return std::optional<object_info>(object_info{std::string(key), size});
}

std::optional<base::error> s3_store::denied_unless_missing(const std::string& full, std::string_view op) {
  s3_request request(op::list, "GET");
  request.query = {{"list-type", "2"}, {"prefix", full}, {"max-keys", "1"}};
  auto r = client_->send(request);
  const bool listed = r && xml::text(r->body, "Key") == std::optional<std::string>(full);
  if (r && !listed) return std::nullopt;  // not there: S3 said 403 for 404
  return base::error::fail(fmt::format(
      "S3 {} of {}: HTTP 403 AccessDenied{}; allow s3:GetObject on the store's prefix and s3:ListBucket "
      "under it (a 403 for a missing key is told from a refusal by listing)",
      op, client_->object_name(full), r ? " though the key exists" : ", and listing it was refused too"));
}

base::result<std::vector<object_info>> s3_store::list(std::string_view prefix) {
  const std::string full_prefix =
      options_.prefix.empty() ? std::string(prefix) : options_.prefix + "/" + std::string(prefix);
  const std::string object = client_->object_name(full_prefix) + "*";
  std::vector<object_info> out;
  std::string token;
  do {
    s3_request request(op::list, "GET");
    request.query = {{"list-type", "2"}, {"prefix", full_prefix}};
    if (!token.empty()) request.query.emplace_back("continuation-token", token);
    auto r = client_->send(request);
    if (!r) return std::move(r).err();
    for (const std::string_view contents : xml::elements(r->body, "Contents")) {
      auto key = xml::text(contents, "Key");
      auto size_text = xml::text(contents, "Size");
      std::int64_t size = -1;
      if (!key || !size_text ||
          std::from_chars(size_text->data(), size_text->data() + size_text->size(), size).ec != std::errc()) {
        return malformed("list", object, contents);
      }
      // The store's own prefix is "prefix/": an object named exactly "prefix" is not in it.
      if (!options_.prefix.empty() && !key->starts_with(options_.prefix + "/")) continue;
      const auto modified = xml::text(contents, "LastModified");  // 2026-11-25T10:00:00.000Z
      const std::int64_t modified_ms = modified ? base::parse_iso8601_ms(*modified).value_or(0) : 0;
      out.push_back(object_info{relative_key(*key), size, modified_ms});
    }
    token.clear();
    if (xml::text(r->body, "IsTruncated").value_or("false") == "true") {
      token = xml::text(r->body, "NextContinuationToken").value_or("");
      if (token.empty()) return malformed("list", object, r->body);
    }
  } while (!token.empty());
  // S3 lists in UTF-8 byte order already; sorting again keeps the promise for any server.
  std::sort(out.begin(), out.end(), [](const object_info& a, const object_info& b) { return a.key < b.key; });
  return out;
}

base::status s3_store::remove(std::string_view key) {
  auto full = full_key(key);
  if (!full) return std::move(full).err();
  s3_request request(op::remove, "DELETE", std::move(*full));
  request.missing_ok = true;
  auto r = client_->send(request);
  if (!r) return std::move(r).err();
  return base::ok_v;
}

base::result<std::vector<s3_store::pending_upload>> s3_store::pending_uploads(std::string_view prefix) {
  const std::string full_prefix =
      options_.prefix.empty() ? std::string(prefix) : options_.prefix + "/" + std::string(prefix);
  std::vector<pending_upload> out;
  std::string key_marker, id_marker;
  while (true) {
    s3_request request(op::list, "GET");
    request.query = {{"uploads", ""}, {"prefix", full_prefix}};
    if (!key_marker.empty()) request.query.emplace_back("key-marker", key_marker);
    if (!id_marker.empty()) request.query.emplace_back("upload-id-marker", id_marker);
    auto r = client_->send(request);
    if (!r) return std::move(r).err();
    for (const std::string_view u : xml::elements(r->body, "Upload")) {
      auto key = xml::text(u, "Key");
      auto id = xml::text(u, "UploadId");
      if (!key || !id) return malformed("list_multipart_uploads", client_->object_name(full_prefix), u);
      out.push_back(pending_upload{relative_key(*key), std::move(*id)});
    }
    if (xml::text(r->body, "IsTruncated").value_or("false") != "true") break;
    key_marker = xml::text(r->body, "NextKeyMarker").value_or("");
    id_marker = xml::text(r->body, "NextUploadIdMarker").value_or("");
    if (key_marker.empty() && id_marker.empty()) {
      return malformed("list_multipart_uploads", client_->object_name(full_prefix), r->body);
    }
  }
  return out;
}

base::status s3_store::abort_pending(const pending_upload& u) {
  auto full = full_key(u.key);
  if (!full) return std::move(full).err();
  s3_request request(op::abort_multipart, "DELETE", std::move(*full));
  request.query = {{"uploadId", u.upload_id}};
  request.missing_ok = true;
  auto r = client_->send(request);
  if (!r) return std::move(r).err();
  return base::ok_v;
}

base::status s3_store::retire(std::string_view key, std::string_view empty) {
  // The empty object first: a CompleteMultipartUpload that had already begun when the abort
  // below arrives may still publish (servers differ), and its If-None-Match then fails on it.
  auto full = full_key(key);
  if (!full) return std::move(full).err();
  s3_request request(op::put, "PUT", std::move(*full));
  request.body = empty;
  request.headers = {{"x-amz-meta-clicktrail-retired", "true"}};
  if (auto r = client_->send(request); !r) return std::move(r).err();
  return remove_unfinished(key);
}

base::status s3_store::remove_unfinished(std::string_view key) {
  auto pending = pending_uploads(key);
  if (!pending) return std::move(pending).err();
  for (const auto& u : *pending) {
    if (u.key != key) continue;  // the listing is by prefix: "a/b.jsonl.gz" also finds "a/b.jsonl.gz.x"
    if (auto s = abort_pending(u); !s) return s;
  }
  return base::ok_v;
}

}  // namespace clicktrail::store
