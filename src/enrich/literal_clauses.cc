#include "enrich/literal_clauses.h"

#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>

namespace clicktrail::enrich {

namespace {

using clause = std::vector<std::string>;
using clauses = std::vector<clause>;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

double likelihood(const clause& c) {
  double sum = 0;
  for (const std::string& atom : c) sum += std::pow(0.1, static_cast<double>(atom.size()));
  return sum;
}

// A recursive reader of RE2's syntax, as far as uap-core uses it; `failed` once it meets
// anything else.
class reader {
 public:
  reader(std::string_view regex, bool caseless, std::size_t min_atom_length)
      : text_(regex), caseless_(caseless), min_(min_atom_length) {}

  std::optional<clauses> read() {
    clauses out = alternation();
    if (failed_ || at_ != text_.size()) return std::nullopt;
    return out;
  }

 private:
  // alternatives separated by '|', up to a ')' or the end
  clauses alternation() {
    std::vector<clauses> alternatives{sequence()};
    while (!failed_ && at_ < text_.size() && text_[at_] == '|') {
      ++at_;
      alternatives.push_back(sequence());
    }
    if (alternatives.size() == 1) return std::move(alternatives.front());
    clause united;
    for (const clauses& alternative : alternatives) {
      if (alternative.empty()) return {};
      const clause* best = &alternative.front();
      for (const clause& c : alternative)
        if (likelihood(c) < likelihood(*best)) best = &c;
      united.insert(united.end(), best->begin(), best->end());
    }
    return {united};
  }

  // items up to a '|', a ')' or the end
  clauses sequence() {
    clauses out;
    std::string run;
    auto end_run = [&] {
      if (run.size() >= min_) out.push_back({run});
      run.clear();
    };
    while (!failed_ && at_ < text_.size() && text_[at_] != '|' && text_[at_] != ')') {
      const char c = text_[at_];
      std::optional<char> literal;
      clauses group;
      if (c == '(') {
        ++at_;
        if (at_ < text_.size() && text_[at_] == '?') {
          if (at_ + 1 >= text_.size() || text_[at_ + 1] != ':') return fail();
          at_ += 2;
        }
        group = alternation();
        if (at_ >= text_.size() || text_[at_] != ')') return fail();
        ++at_;
      } else if (c == '[') {
        skip_class();
      } else if (c == '\\') {
        if (at_ + 1 >= text_.size()) return fail();
        const char e = text_[at_ + 1];
        at_ += 2;
        if (is_alnum(e)) {
          if (std::string_view("dDwWsSbB").find(e) == std::string_view::npos) return fail();
        } else {
          literal = e;
        }
      } else if (c == '.' || c == '^' || c == '$') {
        ++at_;
      } else if (c == '*' || c == '+' || c == '?' || c == '{') {
        // a quantifier with nothing before it: RE2 refuses it (or reads '{' literally); give up
        return fail();
      } else {
        literal = c;
        ++at_;
      }
      const std::size_t least = quantifier();
      if (failed_) return {};
      const bool plain_literal = literal && (static_cast<unsigned char>(*literal) < 0x80) &&
                                 !(caseless_ && (to_lower(*literal) == 'k' || to_lower(*literal) == 's'));
      if (!plain_literal) {
        end_run();
      } else if (least == 0) {
        end_run();
      } else if (quantified_) {
        // "ab+c": "ab" and "bc" occur
        run += to_lower(*literal);
        end_run();
        run += to_lower(*literal);
      } else {
        run += to_lower(*literal);
      }
      if (least > 0) out.insert(out.end(), group.begin(), group.end());
    }
    end_run();
    return out;
  }

  // Skips a quantifier if there is one; the least count it allows (1 without one).
  std::size_t quantifier() {
    quantified_ = false;
    if (at_ >= text_.size()) return 1;
    std::size_t least = 1;
    const char c = text_[at_];
    if (c == '?' || c == '*') {
      least = 0;
      ++at_;
    } else if (c == '+') {
      ++at_;
    } else if (c == '{') {
      std::size_t i = at_ + 1, n = 0;
      if (i >= text_.size() || !is_digit(text_[i])) return fail_count();
      while (i < text_.size() && is_digit(text_[i])) n = n * 10 + static_cast<std::size_t>(text_[i++] - '0');
      if (i < text_.size() && text_[i] == ',') {
        ++i;
        while (i < text_.size() && is_digit(text_[i])) ++i;
      }
      if (i >= text_.size() || text_[i] != '}') return fail_count();
      at_ = i + 1;
      least = n;
    } else {
      return 1;
    }
    quantified_ = true;
    if (at_ < text_.size() &&
        (text_[at_] == '?' || text_[at_] == '+' || text_[at_] == '*' || text_[at_] == '{')) {
      if (text_[at_] != '?') return fail_count();  // possessive or stacked: not RE2's
      ++at_;
    }
    return least;
  }

  void skip_class() {
    ++at_;  // '['
    if (at_ < text_.size() && text_[at_] == '^') ++at_;
    if (at_ < text_.size() && text_[at_] == ']') ++at_;
    while (at_ < text_.size() && text_[at_] != ']') {
      if (text_[at_] == '\\') {
        at_ += 2;
      } else if (text_[at_] == '[' && at_ + 1 < text_.size() && text_[at_ + 1] == ':') {
        const std::size_t end = text_.find(":]", at_ + 2);
        if (end == std::string_view::npos) return void(failed_ = true);
        at_ = end + 2;
      } else {
        ++at_;
      }
    }
    if (at_ >= text_.size()) return void(failed_ = true);
    ++at_;  // ']'
  }

  clauses fail() {
    failed_ = true;
    return {};
  }
  std::size_t fail_count() {
    failed_ = true;
    return 0;
  }

  std::string_view text_;
  bool caseless_;
  std::size_t min_;
  std::size_t at_ = 0;
  bool failed_ = false, quantified_ = false;
};

}  // namespace

std::vector<std::vector<std::string>> literal_clauses(std::string_view regex, bool caseless,
                                                      std::size_t min_atom_length) {
  auto read = reader(regex, caseless, min_atom_length).read();
  return read ? std::move(*read) : clauses{};
}

}  // namespace clicktrail::enrich
