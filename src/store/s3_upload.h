#pragma once
// One object being written to S3. Bytes collect in a buffer of at most one part; when it is
// full and more bytes come, the part is sent (the multipart upload is created with the first
// one). commit() sends a small object as one PUT, or the last part and then
// CompleteMultipartUpload. abort() — and the destructor of an upload not committed — sends
// AbortMultipartUpload so no parts stay behind.
//
// The publishing request (PUT or CompleteMultipartUpload) carries If-None-Match: *, so an object
// already under the key is never replaced, and a metadata token (x-amz-meta-clicktrail-upload)
// unique to this upload: when S3 refuses the publish, or says the upload is gone, a HEAD tells
// whether the object there is ours (an earlier attempt whose answer was lost) or someone else's
// (outcome::conflict).
//
// Thread: one at a time (the one writing the object); write() blocks while a full part is sent.
// After any error the upload is aborted and every further call returns that same error; its
// outcome says whether writing the object again from the start may succeed.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/object_store.h"
#include "store/probe.h"
#include "store/s3_client.h"

namespace clicktrail::store {

class s3_upload final : public upload {
 public:
  // `client` and `probe` must outlive the upload. `key` is the whole S3 key.
  s3_upload(s3_client& client, store_probe& probe, std::string key, std::size_t part_size);
  s3_upload(const s3_upload&) = delete;
  s3_upload& operator=(const s3_upload&) = delete;
  ~s3_upload() override;

  base::status write(std::string_view bytes) override;
  base::status commit() override;
  void abort() override;
  std::int64_t bytes_written() const override { return written_; }
  std::int64_t buffered_bytes() const override { return static_cast<std::int64_t>(buffer_.size()); }

 private:
  base::status send_part();
  base::status complete();
  // After a refused publish: success when the object under the key carries our token.
  base::status published_by_us(std::string_view refused_how);
  base::status failed(base::error e);
  base::error finished_error() const;

  s3_client& client_;
  store_probe& probe_;
  std::string key_;
  std::string token_;  // x-amz-meta-clicktrail-upload of the object this upload publishes
  std::size_t part_size_;
  std::string buffer_;     // the part being filled; never above part_size_
  std::string upload_id_;  // empty until the first part goes
  std::vector<std::string> etags_;
  std::int64_t written_ = 0;
  std::optional<base::error> failure_;  // what ended the upload, repeated by later calls
  enum class state { open, committed, aborted } state_ = state::open;
};

}  // namespace clicktrail::store
