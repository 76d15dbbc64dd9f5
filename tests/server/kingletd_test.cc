// kingletd end to end: a real daemon process on free loopback ports with a temp data dir,
// driven through the real `kinglet` CLI and, where the CLI cannot misbehave on purpose (a cut
// upload), through gRPC directly. Processes are killed with SIGKILL to prove restarts are safe.
#include <arpa/inet.h>
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/fashion_mnist.h"
#include "common/file_io.h"
#include "common/sha256.h"
#include "crypto/signing_key.h"
#include "delivery/manifest.h"
#include "http_client.h"
#include "kingletd_process.h"
#include "kinglet/admin/v1/admin.grpc.pb.h"
#include "kinglet/npy.h"
#include "temp_dir.h"

namespace kinglet {
namespace {

namespace pb = ::kinglet::admin::v1;
using nlohmann::json;

using testing::Kingletd;
using testing::Outcome;
using testing::Shell;

const std::string kCli = KINGLET_CLI_PATH;
const std::string kLeNet300 = std::string(KINGLET_FIXTURES_DIR) + "/lenet300.onnx";

class KingletdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::FashionMnistAvailable()) GTEST_SKIP() << "install Debian's dataset-fashion-mnist";
    Tensor images, labels;
    std::string error;
    ASSERT_TRUE(testing::LoadFashionMnist("t10k", 1000, &images, &labels, &error)) << error;
    x_ = tmp_.path() + "/x.npy";
    y_ = tmp_.path() + "/y.npy";
    ASSERT_TRUE(server::WriteFileAtomically(x_, *SerializeNpy(images)).ok());
    ASSERT_TRUE(server::WriteFileAtomically(y_, *SerializeNpy(labels)).ok());
    daemon_ = std::make_unique<Kingletd>(tmp_.path() + "/data");
    daemon_->Start();
    // One quick device class keeps each upload to one fast job.
    ASSERT_TRUE(daemon_->UseOneTestClass());
  }

  Outcome Upload(const std::string& extra = "") {
    return daemon_->Cli("upload " + kLeNet300 + " --name fashion --eval " + x_ + " " + y_ + " " + extra);
  }

  kinglet::testing::TempDir tmp_;
  std::string x_, y_;
  std::unique_ptr<Kingletd> daemon_;
};

TEST_F(KingletdTest, UploadCompressesStoresAndRollsOut) {
  const Outcome up = Upload();
  ASSERT_EQ(up.code, 0) << up.output;
  EXPECT_NE(up.output.find("version 1"), std::string::npos) << up.output;
  EXPECT_NE(up.output.find("test-x86: done"), std::string::npos) << up.output;

  const json model = daemon_->CliJson("model fashion");
  const json& artifact = model["versions"][0]["artifacts"][0];
  EXPECT_EQ(artifact["deviceClass"], "test-x86");
  EXPECT_EQ(artifact["job"]["state"], "JOB_STATE_SUCCEEDED");
  EXPECT_GT(artifact["compressionRatio"].get<double>(), 3.0);
  EXPECT_GT(artifact["accuracyBefore"].get<double>(), 0.8);
  EXPECT_LE(artifact["accuracyBefore"].get<double>() - artifact["accuracyAfter"].get<double>(), 0.005);
  // The artifact is in the blob store under its own hash.
  const std::string sha = artifact["sha256"];
  auto bytes = server::ReadFile(daemon_->data_dir() + "/blobs/" + sha.substr(0, 2) + "/" + sha);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(server::Sha256Hex(*bytes), sha);
  EXPECT_EQ(std::to_string(bytes->size()), artifact["sizeBytes"].get<std::string>());  // uint64 is a JSON string

  ASSERT_EQ(daemon_->Cli("rollout fashion --version 1").code, 0);
  ASSERT_EQ(Upload("--max-drop 1").code, 0);
  const Outcome canary = daemon_->Cli("rollout fashion --version 2 --percent 10");
  ASSERT_EQ(canary.code, 0) << canary.output;
  EXPECT_NE(canary.output.find("version 2 to 10%"), std::string::npos) << canary.output;
  // Live versions cannot be deleted.
  EXPECT_EQ(daemon_->Cli("delete fashion --version 2").code, 1);
  const Outcome back = daemon_->Cli("rollback fashion");
  ASSERT_EQ(back.code, 0) << back.output;
  EXPECT_NE(back.output.find("stable version 1 (serial 3)"), std::string::npos) << back.output;
  const Outcome nothing = daemon_->Cli("rollback fashion");
  EXPECT_EQ(nothing.code, 1);
  EXPECT_NE(nothing.output.find("no earlier rollout"), std::string::npos) << nothing.output;
  EXPECT_EQ(daemon_->Cli("delete fashion --version 2").code, 0);
  EXPECT_EQ(daemon_->CliJson("model fashion")["versions"].size(), 1u);
}

TEST_F(KingletdTest, WrongOrMissingTokenIsRefusedEverywhere) {
  for (const char* command : {"models", "jobs", "device-classes", "model fashion", "rollback fashion"}) {
    const Outcome out = daemon_->Cli(command, "kgl_" + std::string(64, '0'));
    EXPECT_EQ(out.code, 4) << command << ": " << out.output;
  }
  pb::ListModelsResponse response;
  grpc::ClientContext no_token;
  EXPECT_EQ(daemon_->Stub()->ListModels(&no_token, {}, &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(KingletdTest, BadNamesAndCorruptModelsLeaveTheCatalogUntouched) {
  for (const std::string& name : std::vector<std::string>{"../etc", "UPPER", "a/b", std::string(65, 'a'), "-dash"}) {
    const Outcome out = daemon_->Cli("upload " + kLeNet300 + " --name '" + name + "' --eval " + x_ + " --no-wait");
    EXPECT_EQ(out.code, 1) << name << ": " << out.output;
    EXPECT_NE(out.output.find("not valid"), std::string::npos) << out.output;
  }
  const std::string garbage = tmp_.path() + "/garbage.onnx";
  ASSERT_TRUE(server::WriteFileAtomically(garbage, std::string(5000, '\x07')).ok());
  const Outcome corrupt = daemon_->Cli("upload " + garbage + " --name fashion --eval " + x_ + " --no-wait");
  EXPECT_EQ(corrupt.code, 1) << corrupt.output;
  EXPECT_NE(corrupt.output.find("not a usable ONNX file"), std::string::npos) << corrupt.output;
  const std::string garbage_sha = server::Sha256Hex(*server::ReadFile(garbage));
  EXPECT_FALSE(server::PathExists(daemon_->data_dir() + "/blobs/" + garbage_sha.substr(0, 2) + "/" + garbage_sha));
  const Outcome labels = daemon_->Cli("upload " + kLeNet300 + " --name fashion --eval " + x_ + " " + x_ + " --no-wait");
  EXPECT_EQ(labels.code, 1) << labels.output;
  EXPECT_TRUE(daemon_->CliJson("models")["models"].empty());
  EXPECT_EQ(daemon_->Cli("model ../../x").code, 1);
  EXPECT_EQ(daemon_->Cli("device-classes put Bad --profile low").code, 1);
  EXPECT_EQ(daemon_->Cli("device-classes put ok --profile extreme").code, 1);
}

// Outside the Kingletd helper (which always passes --server/--token): the three other ways to
// say where the server is and which token to use.
TEST_F(KingletdTest, LoginFileAndEnvironmentFindTheServer) {
  const std::string home = tmp_.path() + "/home";
  ASSERT_TRUE(server::MakeDirectories(home).ok());
  const std::string env = "env -u KINGLET_SERVER -u KINGLET_TOKEN -u XDG_CONFIG_HOME HOME=" + home + " ";
  EXPECT_EQ(Shell(env + kCli + " models").code, 2);  // nothing configured: a usage error naming the ways
  const Outcome bad = Shell(env + kCli + " login --server " + daemon_->grpc() + " --token kgl_wrong");
  EXPECT_EQ(bad.code, 4) << bad.output;
  EXPECT_FALSE(server::PathExists(home + "/.config/kinglet/config.json"));  // a refused token is not saved
  const Outcome login = Shell(env + kCli + " login --server " + daemon_->grpc() + " --token " + daemon_->Token());
  ASSERT_EQ(login.code, 0) << login.output;
  struct stat st {};
  ASSERT_EQ(::stat((home + "/.config/kinglet/config.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(Shell(env + kCli + " device-classes").code, 0);
  const std::string vars = "env HOME=/nonexistent KINGLET_SERVER=" + daemon_->grpc() + " KINGLET_TOKEN=" + daemon_->Token() + " ";
  EXPECT_EQ(Shell(vars + kCli + " models").code, 0);
}

TEST_F(KingletdTest, UploadsOverTheSizeLimitAreRefusedBeforeAnyByteIsStored) {
  daemon_->Kill(SIGKILL);
  Kingletd small(tmp_.path() + "/small", {"--max-upload-mb", "2"});
  small.Start();
  const Outcome out = small.Cli("upload " + kLeNet300 + " --name fashion --eval " + x_ + " --no-wait");  // 4.2 MB
  EXPECT_EQ(out.code, 1) << out.output;
  EXPECT_NE(out.output.find("larger than this server's limit"), std::string::npos) << out.output;
  EXPECT_TRUE(small.CliJson("models")["models"].empty());
}

// Streams the model's first half, drops the connection, restarts the daemon with SIGKILL, then
// resumes with the CLI: only the rest is sent and the version is complete and correct.
TEST_F(KingletdTest, ACutUploadResumesAcrossAKilledDaemon) {
  const std::string model = *server::ReadFile(kLeNet300);
  const std::string x = *server::ReadFile(x_);
  const std::string upload_id = "resume-test-0123456789";
  {
    auto stub = daemon_->Stub();
    auto ctx = daemon_->Context();
    pb::UploadResponse response;
    auto writer = stub->Upload(ctx.get(), &response);
    pb::UploadRequest start;
    start.mutable_start()->set_upload_id(upload_id);
    start.mutable_start()->set_model("fashion");
    start.mutable_start()->set_max_drop_pp(0.5);
    for (const auto& [role, bytes] : {std::make_pair(pb::FILE_ROLE_MODEL, &model),
                                      std::make_pair(pb::FILE_ROLE_EVAL_INPUTS, &x)}) {
      pb::UploadFile* f = start.mutable_start()->add_files();
      f->set_role(role);
      f->set_size(bytes->size());
      f->set_sha256(server::Sha256Hex(*bytes));
    }
    ASSERT_TRUE(writer->Write(start));
    pb::UploadRequest chunk;
    chunk.mutable_chunk()->set_role(pb::FILE_ROLE_MODEL);
    chunk.mutable_chunk()->set_offset(0);
    chunk.mutable_chunk()->set_data(model.substr(0, model.size() / 2));
    ASSERT_TRUE(writer->Write(chunk));
    // Make sure the server has it before pulling the plug.
    bool have_half = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!have_half && std::chrono::steady_clock::now() < deadline) {
      pb::GetUploadRequest ask;
      ask.set_upload_id(upload_id);
      pb::UploadState state;
      auto ask_ctx = daemon_->Context();
      have_half = stub->GetUpload(ask_ctx.get(), ask, &state).ok() && state.files(0).received() == model.size() / 2;
      if (!have_half) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(have_half) << "the server never stored the first half of the upload";
    daemon_->Kill(SIGKILL);
    ctx->TryCancel();
  }
  daemon_->Start();
  EXPECT_TRUE(daemon_->CliJson("models")["models"].empty());  // nothing half-made is visible
  {
    auto stub = daemon_->Stub();
    pb::GetUploadRequest ask;
    ask.set_upload_id(upload_id);
    pb::UploadState state;
    auto ctx = daemon_->Context();
    ASSERT_TRUE(stub->GetUpload(ctx.get(), ask, &state).ok());
    EXPECT_EQ(state.files(0).received(), model.size() / 2);
    EXPECT_EQ(state.files(1).received(), 0u);
  }
  const Outcome resumed = daemon_->Cli("upload " + kLeNet300 + " --name fashion --eval " + x_ +
                                       " --no-wait --upload-id " + upload_id);
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  const json model_json = daemon_->CliJson("model fashion");
  EXPECT_EQ(model_json["versions"][0]["sourceSha256"], server::Sha256Hex(model));
}

// A job killed mid-run (SIGKILL) is queued again on restart and completes; no artifact of the
// interrupted attempt is ever listed.
TEST_F(KingletdTest, AJobInterruptedByACrashRunsAgain) {
  // On a fast machine a job can finish between being seen running and the kill: upload again
  // until a kill lands mid-run.
  json job;
  for (int round = 0; round < 5; ++round) {
    ASSERT_EQ(Upload("--no-wait").code, 0);
    bool running = false;
    for (int i = 0; i < 400; ++i) {
      job = daemon_->CliJson("jobs --all")["jobs"].back();  // the newest job
      running = job["state"] == "JOB_STATE_RUNNING";
      if (running || job["state"] == "JOB_STATE_SUCCEEDED") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    if (!running) continue;
    daemon_->Kill(SIGKILL);
    daemon_->Start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(4);
    while (std::chrono::steady_clock::now() < deadline) {
      // The artifact is read before the job: one seen listed must belong to a finished job, as
      // the job may well finish between the two calls.
      const bool listed = !daemon_->CliJson("model fashion")["versions"].back()["artifacts"][0]["sha256"]
                               .get<std::string>()
                               .empty();
      job = daemon_->CliJson("jobs --all")["jobs"].back();
      if (listed) {
        EXPECT_EQ(job["state"], "JOB_STATE_SUCCEEDED") << "an artifact was listed while its job was unfinished";
      }
      if (job["state"] == "JOB_STATE_SUCCEEDED" || job["state"] == "JOB_STATE_FAILED") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(job["state"], "JOB_STATE_SUCCEEDED") << job.dump();
    if (job["attempts"] == 2) break;  // the kill landed mid-run
  }
  EXPECT_EQ(job["attempts"], 2) << "every job finished before SIGKILL in 5 rounds: " << job.dump();
}

// What a device sees: a signed manifest naming the artifact for its class, the blob with HTTP
// caching and ranges, and a rollout split by device id.
TEST_F(KingletdTest, DeliversSignedManifestsAndBlobs) {
  using testing::HttpGet;
  const std::string& http = daemon_->http();
  EXPECT_EQ(HttpGet(http, "/healthz").status, 200);
  // Two device classes with different profiles: every one gets its own verified artifact.
  ASSERT_EQ(daemon_->Cli("device-classes put test-arm --profile mid --isa arm64 --feature neon").code, 0);
  // Nothing is rolled out yet.
  ASSERT_EQ(Upload().code, 0);
  const std::string manifest_url = "/v1/models/fashion/manifest?device_class=test-x86&device_id=phone-1";
  EXPECT_EQ(HttpGet(http, manifest_url).status, 404);
  ASSERT_EQ(daemon_->Cli("rollout fashion --version 1").code, 0);

  const std::string public_pem = *server::ReadFile(daemon_->data_dir() + "/signing.pub");
  const testing::HttpResult keys = HttpGet(http, "/v1/keys");
  ASSERT_EQ(keys.status, 200);
  const json keys_json = json::parse(keys.body);
  EXPECT_EQ(keys_json["keys"][0]["public_key_pem"], public_pem);

  const testing::HttpResult manifest = HttpGet(http, manifest_url);
  ASSERT_EQ(manifest.status, 200) << manifest.body;
  const json doc = json::parse(manifest.body);
  const json& signed_part = doc["signed"];
  EXPECT_EQ(signed_part["model"], "fashion");
  EXPECT_EQ(signed_part["version"], 1);
  EXPECT_EQ(signed_part["device_class"], "test-x86");
  EXPECT_EQ(signed_part["serial"], 1);
  EXPECT_EQ(signed_part["keyid"], keys_json["keys"][0]["keyid"]);
  EXPECT_GT(signed_part["expires"].get<int64_t>(), signed_part["issued"].get<int64_t>());
  EXPECT_TRUE(server::VerifyEd25519(public_pem, signed_part.dump(),
                                    server::Base64Decode(doc["signatures"][0]["sig"].get<std::string>()))
                  .ok());

  const std::string sha = signed_part["sha256"];
  const std::string url = signed_part["url"];
  const std::string blob_path = url.substr(url.find("/v1/blobs/"));
  EXPECT_EQ(blob_path, "/v1/blobs/" + sha);
  const testing::HttpResult blob = HttpGet(http, blob_path);
  ASSERT_EQ(blob.status, 200);
  EXPECT_EQ(server::Sha256Hex(blob.body), sha);
  EXPECT_EQ(blob.body.size(), signed_part["size"].get<uint64_t>());
  EXPECT_EQ(blob.headers.at("etag"), "\"" + sha + "\"");
  EXPECT_NE(blob.headers.at("cache-control").find("immutable"), std::string::npos);
  EXPECT_EQ(HttpGet(http, blob_path, {{"If-None-Match", "\"" + sha + "\""}}).status, 304);
  const testing::HttpResult part = HttpGet(http, blob_path, {{"Range", "bytes=10-19"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, blob.body.substr(10, 10));
  EXPECT_EQ(part.headers.at("content-range"), "bytes 10-19/" + std::to_string(blob.body.size()));
  EXPECT_EQ(HttpGet(http, blob_path, {{"Range", "bytes=100-"}}).body, blob.body.substr(100));
  EXPECT_EQ(HttpGet(http, blob_path, {{"Range", "bytes=999999999-"}}).status, 416);
  const testing::HttpResult head = HttpGet(http, blob_path, {}, "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers.at("content-length"), std::to_string(blob.body.size()));

  // The other class's artifact is a different, equally verified blob.
  const testing::HttpResult arm =
      HttpGet(http, "/v1/models/fashion/manifest?device_class=test-arm&device_id=phone-1");
  ASSERT_EQ(arm.status, 200) << arm.body;
  const json arm_doc = json::parse(arm.body);
  EXPECT_EQ(arm_doc["signed"]["device_class"], "test-arm");
  EXPECT_NE(arm_doc["signed"]["sha256"], sha);
  EXPECT_TRUE(server::VerifyEd25519(public_pem, arm_doc["signed"].dump(),
                                    server::Base64Decode(arm_doc["signatures"][0]["sig"].get<std::string>()))
                  .ok());
  const std::string arm_sha = arm_doc["signed"]["sha256"];
  EXPECT_EQ(server::Sha256Hex(HttpGet(http, "/v1/blobs/" + arm_sha).body), arm_sha);

  // Only finished artifacts are served: not the uploaded model, not the evaluation data.
  EXPECT_EQ(HttpGet(http, "/v1/blobs/" + server::Sha256Hex(*server::ReadFile(kLeNet300))).status, 404);
  EXPECT_EQ(HttpGet(http, "/v1/blobs/" + server::Sha256Hex(*server::ReadFile(x_))).status, 404);
  // Bad requests.
  EXPECT_EQ(HttpGet(http, "/v1/models/nope/manifest?device_class=test-x86&device_id=d").status, 404);
  EXPECT_EQ(HttpGet(http, "/v1/models/fashion/manifest?device_class=test-x86").status, 400);
  EXPECT_EQ(HttpGet(http, "/v1/models/fashion/manifest?device_class=arm64-zzz&device_id=d").status, 404);
  EXPECT_EQ(HttpGet(http, "/v1/models/fashion/manifest?device_class=../x&device_id=d").status, 400);
  EXPECT_EQ(HttpGet(http, "/v1/models/fashion/manifest?device_class=test-x86&device_id=a%00b").status, 400);
  EXPECT_EQ(HttpGet(http, "/v1/models/%2e%2e/manifest?device_class=test-x86&device_id=d").status, 400);
  EXPECT_EQ(HttpGet(http, "/v1/blobs/../../catalog.sqlite").status, 404);
  EXPECT_EQ(HttpGet(http, "/v1/blobs/" + std::string(64, 'Z')).status, 400);
  EXPECT_EQ(HttpGet(http, "/v1/blobs/" + sha, {}, "POST").status, 405);
  EXPECT_EQ(HttpGet(http, "/" + std::string(5000, 'a')).status, 400);
  EXPECT_NE(testing::HttpRaw(http, "GARBAGE\r\n\r\n").find("400"), std::string::npos);
  EXPECT_EQ(HttpGet(http, "/healthz").status, 200);  // and the server is still fine

  // A 10% rollout of version 2 reaches 10% +- 3 points of devices; rollback returns them all.
  ASSERT_EQ(Upload("--max-drop 1").code, 0);
  ASSERT_EQ(daemon_->Cli("rollout fashion --version 2 --percent 10").code, 0);
  int on_v2 = 0;
  constexpr int kDevices = 1000;
  for (int i = 0; i < kDevices; ++i) {
    const testing::HttpResult r = HttpGet(
        http, "/v1/models/fashion/manifest?device_class=test-x86&device_id=device-" + std::to_string(i));
    ASSERT_EQ(r.status, 200);
    const json m = json::parse(r.body);
    EXPECT_EQ(m["signed"]["serial"], 2);
    on_v2 += m["signed"]["version"] == 2;
  }
  EXPECT_NEAR(100.0 * on_v2 / kDevices, 10.0, 3.0);
  ASSERT_EQ(daemon_->Cli("rollback fashion").code, 0);
  for (int i = 0; i < 50; ++i) {
    const json m = json::parse(
        HttpGet(http, "/v1/models/fashion/manifest?device_class=test-x86&device_id=device-" + std::to_string(i)).body);
    EXPECT_EQ(m["signed"]["version"], 1);
    EXPECT_EQ(m["signed"]["serial"], 3);  // newer than every manifest served before
  }

  // Without the memory cache, ranges stream from the file in pieces: still byte-exact.
  daemon_->Kill(SIGKILL);
  daemon_ = std::make_unique<Kingletd>(daemon_->data_dir(), std::vector<std::string>{"--blob-cache-mb", "0"});
  daemon_->Start();
  const std::string& disk = daemon_->http();
  ASSERT_GT(blob.body.size(), 70000u);  // more than one 64 KiB piece
  const testing::HttpResult tail = HttpGet(disk, blob_path, {{"Range", "bytes=3-"}});
  EXPECT_EQ(tail.status, 206);
  EXPECT_EQ(tail.body, blob.body.substr(3));
  EXPECT_EQ(HttpGet(disk, blob_path, {{"Range", "bytes=-5"}}).body, blob.body.substr(blob.body.size() - 5));
  EXPECT_EQ(HttpGet(disk, blob_path).body, blob.body);
}

}  // namespace
}  // namespace kinglet
