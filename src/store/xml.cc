#include "store/xml.h"

#include <charconv>
#include <cstdint>

namespace clicktrail::store::xml {
namespace {

// Where the element `name` opens at or after `from`: the position of '<', or npos.
size_t find_open(std::string_view doc, std::string_view name, size_t from) {
  while (true) {
    const size_t lt = doc.find('<', from);
    if (lt == std::string_view::npos) return lt;
    if (doc.compare(lt + 1, name.size(), name) == 0 && lt + 1 + name.size() < doc.size()) {
      const char after = doc[lt + 1 + name.size()];
      if (after == '>' || after == '/' || after == ' ' || after == '\t' || after == '\r' || after == '\n')
        return lt;
    }
    from = lt + 1;
  }
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

bool decode_entity(std::string_view entity, std::string& out) {
  if (entity == "amp") {
    out.push_back('&');
  } else if (entity == "lt") {
    out.push_back('<');
  } else if (entity == "gt") {
    out.push_back('>');
  } else if (entity == "quot") {
    out.push_back('"');
  } else if (entity == "apos") {
    out.push_back('\'');
  } else if (entity.size() > 1 && entity[0] == '#') {
    const bool hex = entity[1] == 'x' || entity[1] == 'X';
    const std::string_view digits = entity.substr(hex ? 2 : 1);
    std::uint32_t cp = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) return false;
    if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    append_utf8(out, cp);
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::vector<std::string_view> elements(std::string_view doc, std::string_view name) {
  std::vector<std::string_view> out;
  const std::string close = "</" + std::string(name) + ">";
  size_t at = 0;
  while ((at = find_open(doc, name, at)) != std::string_view::npos) {
    const size_t gt = doc.find('>', at);
    if (gt == std::string_view::npos) break;
    if (doc[gt - 1] == '/') {  // <name/> or <name attr="…"/>
      out.emplace_back();
      at = gt + 1;
      continue;
    }
    const size_t end = doc.find(close, gt + 1);
    if (end == std::string_view::npos) break;
    out.push_back(doc.substr(gt + 1, end - gt - 1));
    at = end + close.size();
  }
  return out;
}

std::optional<std::string_view> element(std::string_view doc, std::string_view name) {
  const size_t at = find_open(doc, name, 0);
  if (at == std::string_view::npos) return std::nullopt;
  const size_t gt = doc.find('>', at);
  if (gt == std::string_view::npos) return std::nullopt;
  if (doc[gt - 1] == '/') return std::string_view();
  const std::string close = "</" + std::string(name) + ">";
  const size_t end = doc.find(close, gt + 1);
  if (end == std::string_view::npos) return std::nullopt;
  return doc.substr(gt + 1, end - gt - 1);
}

std::optional<std::string> unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 9, "<![CDATA[") == 0) {
      const size_t end = text.find("]]>", i + 9);
      if (end == std::string_view::npos) return std::nullopt;
      out.append(text.substr(i + 9, end - i - 9));
      i = end + 3;
    } else if (text[i] == '&') {
      const size_t semi = text.find(';', i);
      if (semi == std::string_view::npos || !decode_entity(text.substr(i + 1, semi - i - 1), out))
        return std::nullopt;
      i = semi + 1;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string> text(std::string_view doc, std::string_view name) {
  const auto e = element(doc, name);
  if (!e) return std::nullopt;
  return unescape(*e);
}

}  // namespace clicktrail::store::xml
