#include "store/s3_upload.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/log.h"
#include "base/redact.h"
#include "base/uuid.h"
#include "store/xml.h"

namespace clicktrail::store {
namespace {

constexpr std::size_t max_parts = 10000;  // S3's limit
constexpr const char* token_header = "x-amz-meta-clicktrail-upload";

}  // namespace

s3_upload::s3_upload(s3_client& client, store_probe& probe, std::string key, std::size_t part_size)
    : client_(client),
      probe_(probe),
      key_(std::move(key)),
      token_(base::make_uuid_v7().to_string()),
      part_size_(part_size) {}

s3_upload::~s3_upload() {
  abort();
}

base::error s3_upload::finished_error() const {
  if (failure_) return *failure_;  // the same outcome again: the caller's plan should not change
  return base::error::fail(fmt::format("S3 upload of {} was already committed or aborted; start a new upload",
                                       client_.object_name(key_)));
}

base::status s3_upload::failed(base::error e) {
  abort();
  failure_ = e;
  return e;
}

base::status s3_upload::write(std::string_view bytes) {
  if (state_ != state::open) return finished_error();
  const auto n = static_cast<std::int64_t>(bytes.size());
  while (!bytes.empty()) {
    // Send a full part only once more bytes come: the last part is never empty, and an object
    // of exactly one part goes as a single PUT.
    if (buffer_.size() == part_size_) {
      if (auto s = send_part(); !s) return failed(std::move(s).err());
    }
    const std::size_t take = std::min(bytes.size(), part_size_ - buffer_.size());
    if (buffer_.capacity() < buffer_.size() + take) {
      // Grow geometrically but never past one part, so a full buffer is exactly part_size_.
      buffer_.reserve(std::min(part_size_, std::max(buffer_.capacity() * 2, buffer_.size() + take)));
    }
    buffer_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
  }
  written_ += n;
  return base::ok_v;
}

base::status s3_upload::send_part() {
  if (upload_id_.empty()) {
    s3_request create(op::create_multipart, "POST", key_);
    create.query = {{"uploads", ""}};
    create.headers = {{token_header, token_}};
    auto created = client_.send(create);
    if (!created) return std::move(created).err();
    auto id = xml::text(created->body, "UploadId");
    if (!id || id->empty()) {
      return base::error::retry(fmt::format("S3 create_multipart of {}: the answer has no UploadId: \"{}\"",
                                            client_.object_name(key_), base::excerpt(created->body)));
    }
    upload_id_ = std::move(*id);
  }
  if (etags_.size() == max_parts) {
    return base::error::fail(
        fmt::format("S3 upload of {}: more than {} parts of {} bytes; raise the part size",
                    client_.object_name(key_), max_parts, part_size_));
  }
  const std::string number = std::to_string(etags_.size() + 1);
  s3_request part(op::upload_part, "PUT", key_);
  part.query = {{"partNumber", number}, {"uploadId", upload_id_}};
  part.body = buffer_;
  part.missing_ok = true;
  auto sent = client_.send(part);
  if (!sent) return std::move(sent).err();
  if (sent->status == 404) {
    return base::error::conflict(fmt::format(
        "S3 upload_part {} of {}: the upload {} was aborted by another writer (the key was retired: its "
        "partition has a new owner)",
        number, client_.object_name(key_), upload_id_));
  }
  std::string etag = sent->header("etag");
  if (etag.empty()) {
    return base::error::retry(fmt::format("S3 upload_part {} of {}: the answer has no ETag header", number,
                                          client_.object_name(key_)));
  }
  etags_.push_back(std::move(etag));
  probe_.uploaded(buffer_.size());
  buffer_.clear();  // keeps the capacity: the next part fills the same memory
  return base::ok_v;
}

base::status s3_upload::complete() {
  std::string body = "<CompleteMultipartUpload>";
  for (std::size_t i = 0; i < etags_.size(); ++i) {
    body +=
        fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1, xml::escape(etags_[i]));
  }
  body += "</CompleteMultipartUpload>";
  s3_request complete(op::complete_multipart, "POST", key_);
  complete.query = {{"uploadId", upload_id_}};
  complete.headers = {{"Content-Type", "application/xml"}, {"If-None-Match", "*"}};
  complete.body = body;
  complete.missing_ok = true;
  complete.precondition_ok = true;
  complete.error_in_body = true;
  auto done = client_.send(complete);
  if (!done) return std::move(done).err();
  if (done->status == 200) return base::ok_v;
  // 412: an object is there already. 404 NoSuchUpload: an earlier attempt whose answer was lost
  // may have completed it — or another writer aborted it.
  auto s =
      published_by_us(done->status == 412 ? "an object is there already" : "the upload no longer exists");
  if (s) upload_id_.clear();  // completed: nothing left to abort
  return s;
}

base::status s3_upload::published_by_us(std::string_view refused_how) {
  s3_request head(op::head, "HEAD", key_);
  head.missing_ok = true;
  auto there = client_.send(head);
  if (!there) return std::move(there).err();
  if (there->status == 200 && there->header(token_header) == token_) {
    base::logger_for("store").info(
        "S3 refused to publish an object that an earlier attempt of this upload published already (its "
        "answer "
        "was lost); nothing to do object={}",
        client_.object_name(key_));
    return base::ok_v;
  }
  return base::error::conflict(
      fmt::format("S3 publish of {} refused: {}, and it is not this upload's: another writer took the key "
                  "(its partition has "
                  "a new owner); nothing was overwritten",
                  client_.object_name(key_), refused_how));
}

base::status s3_upload::commit() {
  if (state_ != state::open) return finished_error();
  if (upload_id_.empty()) {
    s3_request request(op::put, "PUT", key_);
    request.body = buffer_;
    request.headers = {{"If-None-Match", "*"}, {token_header, token_}};
    request.precondition_ok = true;
    auto put = client_.send(request);
    if (!put) return failed(std::move(put).err());
    if (put->status == 412) {
      if (auto s = published_by_us("an object is there already"); !s) return failed(std::move(s).err());
    }
    probe_.uploaded(buffer_.size());
  } else {
    if (!buffer_.empty()) {
      if (auto s = send_part(); !s) return failed(std::move(s).err());
    }
    if (auto s = complete(); !s) return failed(std::move(s).err());
  }
  state_ = state::committed;
  std::string().swap(buffer_);
  return base::ok_v;
}

void s3_upload::abort() {
  if (state_ != state::open) return;
  state_ = state::aborted;
  std::string().swap(buffer_);
  if (upload_id_.empty()) return;
  s3_request request(op::abort_multipart, "DELETE", key_);
  request.query = {{"uploadId", upload_id_}};
  request.missing_ok = true;
  auto aborted = client_.send(request);
  if (!aborted) {
    base::logger_for("store").warn(
        "could not abort a multipart upload; its parts stay (and are billed) until a lifecycle rule "
        "(AbortIncompleteMultipartUpload) removes them object={} upload_id={} error={}",
        client_.object_name(key_), upload_id_, aborted.err().message);
  }
  upload_id_.clear();
}

}  // namespace clicktrail::store
