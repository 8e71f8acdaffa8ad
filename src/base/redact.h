#pragma once
// Secrets kept out of logs and error messages. Text that quotes an answer from elsewhere (a
// credential endpoint's body, an S3 error, a request's headers) can hold a secret key, a session
// token or a signature; every log line passes through redact_secrets (log.cc), and so do the
// excerpts that error messages quote.

#include <string>
#include <string_view>

namespace clicktrail::base {

// `text` with the value of every secret-named field replaced by "[redacted]", in the forms an
// answer or a request carries it:
//   JSON   "SecretAccessKey": "…"        XML     <SecretAccessKey>…</SecretAccessKey>
//   query  X-Amz-Signature=…             header  Authorization: …   (to the end of the line)
// The names (any case): SecretAccessKey, secret_access_key, Token, SessionToken,
// X-Amz-Security-Token, Signature, X-Amz-Signature, SignatureProvided, Authorization, password,
// sasl.password, ssl.key.password, secret. Access key ids are not secret and stay.
std::string redact_secrets(std::string_view text);

// Whether `text` names any of those fields: most text does not, and is passed on as it is.
bool may_hold_secrets(std::string_view text) noexcept;

// The start of an answer from elsewhere, to quote in an error message: secrets redacted, then
// cut to `max_bytes`.
std::string excerpt(std::string_view answer, std::size_t max_bytes = 200);

}  // namespace clicktrail::base
