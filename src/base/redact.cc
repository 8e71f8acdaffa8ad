#include "base/redact.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace clicktrail::base {
namespace {

constexpr std::string_view redacted = "[redacted]";

// Longest first, so that "X-Amz-Signature" is matched before "Signature" where both would.
constexpr std::array<std::string_view, 14> secret_names = {"x-amz-security-token",
                                                           "secret_access_key",
                                                           "signatureprovided",
                                                           "ssl.key.password",
                                                           "secretaccesskey",
                                                           "x-amz-signature",
                                                           "authorization",
                                                           "sasl.password",
                                                           "sessiontoken",
                                                           "signature",
                                                           "password",
                                                           "secret",
                                                           "token",
                                                           "session_token"};

char lower(char c) noexcept {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool name_char(char c) noexcept {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

// The secret name that starts at text[at] as a whole name (not inside a longer one), or empty.
std::string_view name_at(std::string_view text, std::size_t at) noexcept {
  if (at > 0 && name_char(text[at - 1])) return {};
  for (const std::string_view name : secret_names) {
    if (text.size() - at < name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) same = lower(text[at + i]) == name[i];
    if (same && (at + name.size() == text.size() || !name_char(text[at + name.size()]))) return name;
  }
  return {};
}

std::size_t skip_spaces(std::string_view text, std::size_t i) noexcept {
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  return i;
}

// Where the value after a secret name ends, its start in `begin`; npos when what follows the
// name is not a value of one of the forms.
std::size_t value_end(std::string_view text, std::size_t after_name, char opened_by, std::size_t& begin) {
  std::size_t i = after_name;
  if (opened_by == '<') {  // <Name>value</Name>
    if (i >= text.size() || text[i] != '>') return std::string_view::npos;
    begin = i + 1;
    const std::size_t close = text.find("</", begin);
    return close == std::string_view::npos ? text.size() : close;
  }
  if (opened_by == '"' && i < text.size() && text[i] == '"') ++i;  // "Name": "value"
  i = skip_spaces(text, i);
  if (i >= text.size()) return std::string_view::npos;
  if (text[i] == ':' || text[i] == '=') {
    const bool header = text[i] == ':' && opened_by != '"';
    i = skip_spaces(text, i + 1);
    begin = i;
    if (header) {  // Authorization: … to the end of the line
      const std::size_t eol = text.find_first_of("\r\n", i);
      return eol == std::string_view::npos ? text.size() : eol;
    }
    if (i < text.size() && text[i] == '"') {
      begin = i + 1;
      std::size_t j = begin;
      while (j < text.size() && text[j] != '"') j += text[j] == '\\' ? 2u : 1u;
      return std::min(j, text.size());
    }
    std::size_t j = i;
    while (j < text.size() && text[j] != '&' && text[j] != ',' && text[j] != ';' && text[j] != '"' &&
           text[j] != '\'' && text[j] != ' ' && text[j] != '\n' && text[j] != '}' && text[j] != '<')
      ++j;
    return j;
  }
  return std::string_view::npos;
}

}  // namespace

bool may_hold_secrets(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = lower(text[i]);
    if ((c == 's' || c == 't' || c == 'x' || c == 'a' || c == 'p') && !name_at(text, i).empty()) return true;
  }
  return false;
}

std::string redact_secrets(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::string_view name = name_at(text, i);
    if (name.empty()) continue;
    const char opened_by = i > 0 ? text[i - 1] : '\0';
    std::size_t begin = 0;
    const std::size_t end = value_end(text, i + name.size(), opened_by, begin);
    if (end == std::string_view::npos || end <= begin) continue;
    out.append(text.substr(copied, begin - copied));
    out.append(redacted);
    copied = end;
    i = end - 1;
  }
  out.append(text.substr(copied));
  return out;
}

std::string excerpt(std::string_view answer, std::size_t max_bytes) {
  // A secret straddling the cut would be missed: redact a generous head first.
  std::string clean = redact_secrets(answer.substr(0, std::max<std::size_t>(max_bytes, 4096)));
  if (clean.size() > max_bytes) clean.resize(max_bytes);
  return clean;
}

}  // namespace clicktrail::base
