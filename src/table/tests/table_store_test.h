#pragma once
// A fresh directory store for one table test, removed after it, and data files to commit to it
// (the files themselves are not written: a table's metadata only names them).

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "store/local_store.h"
#include "table/iceberg_table.h"

namespace clicktrail::table {

class table_store_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("table_test_" + std::to_string(std::random_device{}()));
    auto s = store::local_store::open(dir_.string(), metrics_);
    ASSERT_TRUE(s) << s.err().message;
    store_ = std::move(s).value();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  iceberg_table open_table() { return iceberg_table(*store_, "file://" + dir_.string(), partitioning{}); }

  // `n` files of partition `hour`, named after it, of 10, 11, … records.
  std::vector<data_file> files(int n, std::int32_t hour) const {
    std::vector<data_file> out;
    for (int i = 0; i < n; ++i)
      out.push_back({.path = "file://" + dir_.string() + "/data/f" + std::to_string(hour) + "-" +
                             std::to_string(i) + ".parquet",
                     .size = 1000 + i,
                     .records = 10 + i,
                     .partition = hour});
    return out;
  }

  std::filesystem::path dir_;
  base::registry metrics_;
  std::unique_ptr<store::local_store> store_;
};

}  // namespace clicktrail::table
