// A GoogleTest fixture for tests of Collections: one engine for the whole
// suite, and a fresh store directory per test, removed afterwards.
#ifndef CANDOR_TESTS_COLLECTIONS_FIXTURE_H_
#define CANDOR_TESTS_COLLECTIONS_FIXTURE_H_

#include <gtest/gtest.h>
#include <memory>
#include <string>

#include "candor/collections.h"
#include "test_support.h"

namespace candor::testing {

class CollectionsFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (engine_ != nullptr) return;
    auto e = Engine::Create({});
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value().release();  // lives for the whole run
  }
  void SetUp() override { Reopen(); }
  // The store closes before temp_dir_ removes its directory.
  void TearDown() override { collections_.reset(); }
  // Closes and opens the store again, as a restart would.
  void Reopen() {
    collections_.reset();
    auto c = Collections::Open(engine_, {.data_dir = dir_});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    collections_ = std::move(c).value();
  }

  static inline Engine* engine_ = nullptr;
  TempDir temp_dir_;
  const std::string dir_ = temp_dir_.path();
  std::unique_ptr<Collections> collections_;
};

}  // namespace candor::testing

#endif  // CANDOR_TESTS_COLLECTIONS_FIXTURE_H_
