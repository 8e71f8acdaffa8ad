#pragma once
// The body type the server parses requests into: a std::string, as Beast's string_body, whose
// reader appends each buffer the parser hands it. string_body's reader resizes the string first,
// writing zeros over the room it then copies into: 1.8% of the collector's instructions on
// 20-event requests (bench/collector/instructions), for bytes that are overwritten at once.
// Parsing only: the server never sends a request.
//
// The string is reserved with room for 64 bytes past the body, which a JSON parser reading ahead
// needs (simdjson's padding; event::padded()), so that the body is parsed where it lies.

#include <boost/beast/core/buffer_traits.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional/optional.hpp>

#include <cstdint>
#include <string>

namespace clicktrail::http {

struct request_body {
  using value_type = std::string;
  static constexpr std::size_t parser_padding = 64;

  static std::uint64_t size(const value_type& body) { return body.size(); }

  class reader {
   public:
    template <bool is_request, class Fields>
    reader(boost::beast::http::header<is_request, Fields>&, value_type& body) : body_(body) {}

    // The parser has checked a Content-Length against its body_limit before this.
    void init(const boost::optional<std::uint64_t>& length, boost::beast::error_code& ec) {
      ec = {};
      if (!length) return;
      if (*length > body_.max_size() - parser_padding) {
        ec = boost::beast::http::error::buffer_overflow;
        return;
      }
      body_.reserve(static_cast<std::size_t>(*length) + parser_padding);
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      const std::size_t bytes = boost::beast::buffer_bytes(buffers);
      if (bytes > body_.max_size() - body_.size()) {
        ec = boost::beast::http::error::buffer_overflow;
        return 0;
      }
      for (const auto b : boost::beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(b.data()), b.size());
      }
      ec = {};
      return bytes;
    }

    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

}  // namespace clicktrail::http
