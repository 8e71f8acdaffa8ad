#include "config/docs.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/setting.h"

namespace clicktrail::config {
namespace {

TEST(docs, every_setting_is_documented_with_its_default_and_variable) {
  const std::string docs = reference_markdown();
  for (const auto& s : all_settings()) {
    EXPECT_NE(docs.find(fmt::format("| `{}` |", s.key)), std::string::npos) << s.name();
    if (s.has_default()) {
      EXPECT_NE(docs.find(fmt::format("`{}`", s.default_value)), std::string::npos) << s.name();
    }
    if (s.section != "sites") {
      EXPECT_NE(docs.find(s.env_name()), std::string::npos) << s.name();
    }
  }
}

TEST(docs, the_committed_reference_is_current) {
  std::ifstream file(CT_SOURCE_DIR "/docs/configuration.md");
  ASSERT_TRUE(file)
      << "docs/configuration.md is missing; run: build/clicktrail config docs > docs/configuration.md";
  std::stringstream committed;
  committed << file.rdbuf();
  EXPECT_EQ(committed.str(), reference_markdown())
      << "docs/configuration.md is out of date; run: build/clicktrail config docs > docs/configuration.md";
}

}  // namespace
}  // namespace clicktrail::config
