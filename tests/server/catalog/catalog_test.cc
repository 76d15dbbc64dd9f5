#include "catalog/catalog.h"

#include <gtest/gtest.h>

#include "catalog/sqlite.h"
#include "temp_dir.h"

namespace kinglet::server {
namespace {

using kinglet::testing::TempDir;

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() + "/catalog.sqlite";
    Reopen();
    ASSERT_TRUE(catalog_->PutDeviceClass({"arm64-high", "arm64", {"neon", "dotprod"}, 4096, "high"}).ok());
    ASSERT_TRUE(catalog_->PutDeviceClass({"x86-64", "x86_64", {}, 0, "mid"}).ok());
  }

  void Reopen() {
    catalog_.reset();
    auto opened = Catalog::Open(path_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    catalog_ = std::move(*opened);
  }

  NewVersion Upload(const std::string& model, char tag) {
    NewVersion v;
    v.model = model;
    v.source_sha256 = std::string(64, tag);
    v.source_size = 1000;
    v.eval_inputs_sha256 = std::string(64, 'e');
    v.max_drop_pp = 0.5;
    return v;
  }

  // Creates a version and runs its jobs to success, with one artifact per class.
  uint32_t CompressedVersion(const std::string& model, char tag) {
    auto created = catalog_->CreateVersion(Upload(model, tag), 100);
    EXPECT_TRUE(created.ok());
    for (const JobRecord& j : created->second) {
      auto claimed = catalog_->ClaimNextJob(101);
      EXPECT_TRUE(claimed.ok() && claimed->has_value());
      ArtifactRecord a{model, created->first.version, j.device_class, std::string(63, tag) + j.device_class[0],
                       10, 40.0, 0.9, 0.895, 1.5};
      EXPECT_TRUE(catalog_->CompleteJob((*claimed)->id, a, "", 102).ok());
    }
    return created->first.version;
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(CatalogTest, DeviceClassesPutReplaceListDelete) {
  auto classes = catalog_->ListDeviceClasses();
  ASSERT_TRUE(classes.ok());
  ASSERT_EQ(classes->size(), 2u);
  EXPECT_EQ((*classes)[0].name, "arm64-high");
  EXPECT_EQ((*classes)[0].cpu_features, (std::vector<std::string>{"neon", "dotprod"}));
  EXPECT_EQ((*classes)[0].min_ram_mib, 4096u);
  ASSERT_TRUE(catalog_->PutDeviceClass({"x86-64", "x86_64", {"avx2"}, 0, "high"}).ok());
  classes = catalog_->ListDeviceClasses();
  EXPECT_EQ((*classes)[1].profile, "high");
  EXPECT_EQ((*classes)[1].cpu_features, (std::vector<std::string>{"avx2"}));
  EXPECT_EQ(catalog_->DeleteDeviceClass("nope").code(), StatusCode::kNotFound);
  EXPECT_TRUE(catalog_->DeleteDeviceClass("x86-64").ok());
  EXPECT_EQ(catalog_->DeleteDeviceClass("arm64-high").code(), StatusCode::kFailedPrecondition);
}

TEST_F(CatalogTest, EachUploadIsTheNextVersionWithOneJobPerClass) {
  auto first = catalog_->CreateVersion(Upload("scan", 'a'), 50);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->first.version, 1u);
  ASSERT_EQ(first->second.size(), 2u);
  EXPECT_EQ(first->second[0].device_class, "arm64-high");
  EXPECT_EQ(first->second[0].profile, "high");
  EXPECT_EQ(first->second[1].profile, "mid");
  EXPECT_EQ(first->second[0].state, JobState::kQueued);
  auto second = catalog_->CreateVersion(Upload("scan", 'b'), 60);
  EXPECT_EQ(second->first.version, 2u);
  auto other = catalog_->CreateVersion(Upload("faces", 'c'), 70);
  EXPECT_EQ(other->first.version, 1u);

  auto models = catalog_->ListModels();
  ASSERT_EQ(models->size(), 2u);
  EXPECT_EQ((*models)[1].name, "scan");
  EXPECT_EQ((*models)[1].latest_version, 2u);
  EXPECT_EQ((*models)[1].stable_version, 0u);
  auto versions = catalog_->ListVersions("scan");
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[1].source_sha256, std::string(64, 'b'));
  EXPECT_EQ(catalog_->ListVersions("missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog_->GetVersion("scan", 9).status().code(), StatusCode::kNotFound);
}

TEST_F(CatalogTest, JobsAreClaimedOnceInOrderAndSurviveARestart) {
  ASSERT_TRUE(catalog_->CreateVersion(Upload("scan", 'a'), 50).ok());
  auto a = catalog_->ClaimNextJob(51);
  auto b = catalog_->ClaimNextJob(51);
  ASSERT_TRUE(a.ok() && a->has_value() && b.ok() && b->has_value());
  EXPECT_LT((*a)->id, (*b)->id);
  EXPECT_EQ((*a)->state, JobState::kRunning);
  EXPECT_EQ((*a)->attempts, 1u);
  EXPECT_FALSE(catalog_->ClaimNextJob(52)->has_value());
  ASSERT_TRUE(catalog_->UpdateJobProgress((*a)->id, "sensitivity", 0.25, 53).ok());
  EXPECT_EQ(catalog_->GetJob((*a)->id)->stage, "sensitivity");
  ASSERT_TRUE(catalog_->FailJob((*b)->id, "the ONNX model has no outputs", 54).ok());

  // "Crash" with job a running, then restart: a is queued again, b stays failed.
  Reopen();
  EXPECT_EQ(*catalog_->RequeueInterruptedJobs(60), 1);
  EXPECT_EQ(catalog_->GetJob((*a)->id)->state, JobState::kQueued);
  EXPECT_EQ(catalog_->GetJob((*b)->id)->state, JobState::kFailed);
  EXPECT_EQ(catalog_->GetJob((*b)->id)->message, "the ONNX model has no outputs");
  auto again = catalog_->ClaimNextJob(61);
  EXPECT_EQ((*again)->id, (*a)->id);
  EXPECT_EQ((*again)->attempts, 2u);
  EXPECT_EQ(catalog_->ListJobs("", false)->size(), 1u);
  EXPECT_EQ(catalog_->ListJobs("", true)->size(), 2u);
  EXPECT_EQ(catalog_->ListJobs("other", true)->size(), 0u);
  EXPECT_EQ(catalog_->GetJob(999).status().code(), StatusCode::kNotFound);
}

TEST_F(CatalogTest, CompletingAJobRecordsItsArtifact) {
  const uint32_t v = CompressedVersion("scan", 'a');
  auto artifacts = catalog_->ListArtifacts("scan", v);
  ASSERT_EQ(artifacts->size(), 2u);
  EXPECT_EQ((*artifacts)[0].device_class, "arm64-high");
  EXPECT_DOUBLE_EQ((*artifacts)[0].compression_ratio, 40.0);
  auto one = catalog_->GetArtifact("scan", v, "x86-64");
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ((*one)->size, 10u);
  EXPECT_FALSE(catalog_->GetArtifact("scan", v, "armv7-low")->has_value());
}

TEST_F(CatalogTest, RolloutNeedsFinishedJobsAndEveryChangeBumpsTheSerial) {
  auto pending = catalog_->CreateVersion(Upload("scan", 'a'), 50);
  EXPECT_EQ(catalog_->SetRollout("scan", 1, 100, 51).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(catalog_->SetRollout("scan", 7, 100, 51).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog_->SetRollout("nope", 1, 100, 51).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog_->SetRollout("scan", 1, 0, 51).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(catalog_->SetRollout("scan", 1, 101, 51).status().code(), StatusCode::kInvalidArgument);
  for (const JobRecord& j : pending->second) {
    auto claimed = catalog_->ClaimNextJob(52);
    ASSERT_TRUE(catalog_->FailJob((*claimed)->id, "boom", 53).ok());
    (void)j;
  }
  EXPECT_EQ(catalog_->SetRollout("scan", 1, 100, 54).status().code(), StatusCode::kFailedPrecondition);

  const uint32_t v2 = CompressedVersion("scan", 'b');
  const uint32_t v3 = CompressedVersion("scan", 'c');
  auto r = catalog_->SetRollout("scan", v2, 100, 60);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->stable_version, v2);
  EXPECT_EQ(r->serial, 1u);
  r = catalog_->SetRollout("scan", v3, 10, 61);
  EXPECT_EQ(r->stable_version, v2);
  EXPECT_EQ(r->canary_version, v3);
  EXPECT_EQ(r->percent, 10u);
  EXPECT_EQ(r->serial, 2u);
  EXPECT_EQ(catalog_->SetRollout("scan", v2, 50, 62).status().code(), StatusCode::kInvalidArgument);

  // Rollback withdraws the partial rollout first, then returns to the previous stable version.
  r = catalog_->Rollback("scan", 63);
  EXPECT_EQ(r->stable_version, v2);
  EXPECT_EQ(r->canary_version, 0u);
  EXPECT_EQ(r->serial, 3u);
  EXPECT_EQ(catalog_->Rollback("scan", 64).status().code(), StatusCode::kFailedPrecondition);
  r = catalog_->SetRollout("scan", v3, 100, 65);
  EXPECT_EQ(r->stable_version, v3);
  r = catalog_->Rollback("scan", 66);
  EXPECT_EQ(r->stable_version, v2);
  EXPECT_EQ(r->serial, 5u);
  EXPECT_EQ(catalog_->ListModels()->at(0).stable_version, v2);

  Reopen();  // rollouts are durable
  EXPECT_EQ(catalog_->GetRollout("scan")->serial, 5u);
}

TEST_F(CatalogTest, LiveVersionsCannotBeDeletedAndOrphanedBlobsAreReported) {
  const uint32_t v1 = CompressedVersion("scan", 'a');
  const uint32_t v2 = CompressedVersion("scan", 'b');
  ASSERT_TRUE(catalog_->SetRollout("scan", v1, 100, 70).ok());
  EXPECT_EQ(catalog_->DeleteVersion("scan", v1).status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(catalog_->SetRollout("scan", v2, 20, 71).ok());
  EXPECT_EQ(catalog_->DeleteVersion("scan", v2).status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(catalog_->Rollback("scan", 72).ok());
  auto orphans = catalog_->DeleteVersion("scan", v2);
  ASSERT_TRUE(orphans.ok()) << orphans.status().ToString();
  // v2's source and two artifacts are gone; the eval inputs blob is shared with v1 and stays.
  EXPECT_EQ(orphans->size(), 3u);
  for (const std::string& sha : *orphans) EXPECT_NE(sha, std::string(64, 'e'));
  EXPECT_EQ(catalog_->ListVersions("scan")->size(), 1u);
  EXPECT_TRUE(catalog_->ListArtifacts("scan", v2)->empty());
  EXPECT_EQ(catalog_->DeleteVersion("scan", v2).status().code(), StatusCode::kNotFound);
}

TEST_F(CatalogTest, AdminTokenHashesPersist) {
  ASSERT_TRUE(catalog_->AddAdminTokenHash(std::string(64, '1'), 5).ok());
  Reopen();
  EXPECT_EQ(*catalog_->AdminTokenHashes(), (std::vector<std::string>{std::string(64, '1')}));
}

TEST(CatalogSchemaTest, ACatalogFromANewerDaemonIsRefused) {
  TempDir dir;
  const std::string path = dir.path() + "/catalog.sqlite";
  {
    auto db = sql::Database::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version = 99").ok());
  }
  auto catalog = Catalog::Open(path);
  EXPECT_EQ(catalog.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(catalog.status().message().find("newer"), std::string::npos);
}

TEST(CatalogSchemaTest, AFileThatIsNotADatabaseIsAClearError) {
  TempDir dir;
  const std::string path = dir.path() + "/catalog.sqlite";
  FILE* f = std::fopen(path.c_str(), "wb");
  std::fputs("this is not sqlite, just text that is long enough to be a header of a db file.......", f);
  std::fclose(f);
  auto catalog = Catalog::Open(path);
  EXPECT_FALSE(catalog.ok());
}

}  // namespace
}  // namespace kinglet::server
