#include "admin/upload_store.h"

#include <gtest/gtest.h>
#include <utime.h>

#include "common/file_io.h"
#include "common/sha256.h"
#include "temp_dir.h"

namespace kinglet::server {
namespace {

using kinglet::testing::TempDir;

UploadPlan Plan(const std::string& id, const std::string& model_bytes) {
  UploadPlan p;
  p.upload_id = id;
  p.model = "scan";
  p.files = {{UploadRole::kModel, model_bytes.size(), Sha256Hex(model_bytes)},
             {UploadRole::kEvalInputs, 10, std::string(64, 'e')}};
  return p;
}

TEST(UploadStoreTest, ChunksMustContinueWhereTheFileEnds) {
  TempDir dir;
  UploadStore store(dir.path(), 1 << 20);
  const std::string model = "0123456789abcdef";
  const UploadPlan plan = Plan("upload-0123456789abcdef", model);
  ASSERT_TRUE(store.Begin(plan).ok());
  const UploadFileSpec& file = plan.files[0];
  ASSERT_TRUE(store.Append(plan.upload_id, file, 0, model.substr(0, 6)).ok());
  EXPECT_EQ(store.Append(plan.upload_id, file, 0, "xx").code(), StatusCode::kFailedPrecondition);  // replay
  EXPECT_EQ(store.Append(plan.upload_id, file, 9, "xx").code(), StatusCode::kFailedPrecondition);  // gap
  EXPECT_EQ(store.Append(plan.upload_id, file, 6, std::string(11, 'x')).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store.Append(plan.upload_id, file, 6, model.substr(6)).ok());
  EXPECT_EQ(*store.Received(plan.upload_id, UploadRole::kModel), model.size());
  EXPECT_EQ(*ReadFile(store.PartPath(plan.upload_id, UploadRole::kModel)), model);
  // Resuming with the same plan is fine; the same id for other files is not.
  EXPECT_TRUE(store.Begin(plan).ok());
  EXPECT_EQ(store.Begin(Plan(plan.upload_id, "other")).code(), StatusCode::kFailedPrecondition);
}

TEST(UploadStoreTest, PlansAreValidated) {
  TempDir dir;
  UploadStore store(dir.path(), 100);
  UploadPlan plan = Plan("upload-0123456789abcdef", "m");
  plan.upload_id = "../../etc";
  EXPECT_EQ(store.Validate(plan).code(), StatusCode::kInvalidArgument);
  plan = Plan("upload-0123456789abcdef", "m");
  plan.files.pop_back();
  EXPECT_EQ(store.Validate(plan).code(), StatusCode::kInvalidArgument);  // no eval inputs
  plan = Plan("upload-0123456789abcdef", "m");
  plan.files[1].size = 100;  // 1 + 100 bytes > the 100-byte limit
  EXPECT_EQ(store.Validate(plan).code(), StatusCode::kResourceExhausted);
  plan = Plan("upload-0123456789abcdef", "m");
  plan.max_drop_pp = -1;
  EXPECT_EQ(store.Validate(plan).code(), StatusCode::kInvalidArgument);
  plan = Plan("upload-0123456789abcdef", "m");
  plan.files.push_back(plan.files[0]);
  EXPECT_EQ(store.Validate(plan).code(), StatusCode::kInvalidArgument);  // a role twice
  EXPECT_EQ(store.Load("never-started-0123456").status().code(), StatusCode::kNotFound);
}

TEST(UploadStoreTest, AbandonedUploadsAreRemovedAndFreshOnesKept) {
  TempDir dir;
  UploadStore store(dir.path(), 1 << 20);
  ASSERT_TRUE(store.Begin(Plan("upload-old-0123456789", "m")).ok());
  ASSERT_TRUE(store.Begin(Plan("upload-new-0123456789", "m")).ok());
  const std::string old_plan = dir.path() + "/upload-old-0123456789/plan.json";
  const utimbuf long_ago{1000, 1000};
  ASSERT_EQ(::utime(old_plan.c_str(), &long_ago), 0);
  ASSERT_EQ(::utime((dir.path() + "/upload-old-0123456789").c_str(), &long_ago), 0);
  EXPECT_EQ(store.RemoveStale(3600), 1);
  EXPECT_EQ(store.Load("upload-old-0123456789").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store.Load("upload-new-0123456789").ok());
}

}  // namespace
}  // namespace kinglet::server
