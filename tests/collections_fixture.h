// A GoogleTest fixture for tests of Collections: one engine for the whole
// suite, and a fresh store directory per test, removed afterwards.
#ifndef CANDOR_TESTS_COLLECTIONS_FIXTURE_H_
#define CANDOR_TESTS_COLLECTIONS_FIXTURE_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "candor/collections.h"

namespace candor::testing {

class CollectionsFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (engine_ != nullptr) return;
    auto e = Engine::Create({});
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value().release();  // lives for the whole run
  }
  void SetUp() override {
    char pattern[] = "/tmp/candor-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    Reopen();
  }
  void TearDown() override {
    collections_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Closes and opens the store again, as a restart would.
  void Reopen() {
    collections_.reset();
    auto c = Collections::Open(engine_, {.data_dir = dir_});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    collections_ = std::move(c).value();
  }

  static inline Engine* engine_ = nullptr;
  std::string dir_;
  std::unique_ptr<Collections> collections_;
};

}  // namespace candor::testing

#endif  // CANDOR_TESTS_COLLECTIONS_FIXTURE_H_
