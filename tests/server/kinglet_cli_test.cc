// The `kinglet` CLI's public contract: commands, flags, outputs and exit codes, exercised by
// running the real binary on the bundled fixtures.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "kinglet/npy.h"

namespace {

namespace fs = std::filesystem;

const std::string kBinary = KINGLET_CLI_PATH;
const std::string kFixtures = KINGLET_FIXTURES_DIR;

struct Outcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

Outcome Kinglet(const std::string& args) {
  Outcome out;
  FILE* p = popen((kBinary + " " + args + " 2>&1").c_str(), "r");
  if (p == nullptr) return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.output.append(buf.data(), n);
  const int status = pclose(p);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

class KingletCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kinglet_cli_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

TEST_F(KingletCli, EveryCommandHasHelp) {
  for (const char* command : {"convert", "inspect", "run", "eval", "bench"}) {
    Outcome o = Kinglet(std::string(command) + " --help");
    EXPECT_EQ(o.exit_code, 0) << command;
    EXPECT_NE(o.output.find("usage: kinglet " + std::string(command)), std::string::npos) << o.output;
  }
  Outcome top = Kinglet("--help");
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.output.find("convert"), std::string::npos);
}

TEST_F(KingletCli, ConvertInspectRunEvalBench) {
  const std::string kgl = Path("lenet5.kgl");
  Outcome convert = Kinglet("convert " + kFixtures + "/lenet5.onnx -o " + kgl);
  ASSERT_EQ(convert.exit_code, 0) << convert.output;
  ASSERT_TRUE(fs::exists(kgl));

  Outcome inspect = Kinglet("inspect " + kgl);
  ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_NE(inspect.output.find("Conv"), std::string::npos) << inspect.output;
  EXPECT_NE(inspect.output.find("parameters: 431080"), std::string::npos) << inspect.output;
  EXPECT_NE(inspect.output.find("dense: 1724320"), std::string::npos) << inspect.output;

  const std::string y = Path("y.npy");
  Outcome run = Kinglet("run " + kgl + " --input " + kFixtures + "/fashion_sample.npy --output " + y + " --top 3");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("row 15: top-3"), std::string::npos) << run.output;
  auto written = kinglet::ReadNpy(y);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(written->shape(), (kinglet::Shape{16, 10}));

  Outcome eval = Kinglet("eval " + kgl + " " + kFixtures + "/fashion_sample.npy " + kFixtures +
                         "/fashion_sample_labels.npy");
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  EXPECT_NE(eval.output.find("top-1 accuracy:"), std::string::npos) << eval.output;
  EXPECT_NE(eval.output.find("/ 16)"), std::string::npos) << eval.output;

  Outcome bench = Kinglet("bench " + kgl + " --runs 5 --warmup 1 --json");
  ASSERT_EQ(bench.exit_code, 0) << bench.output;
  for (const char* key : {"\"median_ms\"", "\"p10_ms\"", "\"p90_ms\"", "\"peak_rss_kb\""}) {
    EXPECT_NE(bench.output.find(key), std::string::npos) << bench.output;
  }
}

TEST_F(KingletCli, ConvertOptimizeFusesAndKeepsThePredictions) {
  const std::string plain = Path("plain.kgl"), optimized = Path("optimized.kgl");
  ASSERT_EQ(Kinglet("convert " + kFixtures + "/lenet5.onnx -o " + plain).exit_code, 0);
  Outcome convert = Kinglet("convert " + kFixtures + "/lenet5.onnx -o " + optimized + " --optimize");
  ASSERT_EQ(convert.exit_code, 0) << convert.output;
  Outcome inspect_plain = Kinglet("inspect " + plain);
  Outcome inspect_optimized = Kinglet("inspect " + optimized);
  EXPECT_NE(inspect_plain.output.find("Relu"), std::string::npos) << inspect_plain.output;
  EXPECT_EQ(inspect_optimized.output.find("Relu"), std::string::npos) << "Relu is fused into its layer\n"
                                                                       << inspect_optimized.output;
  const std::string input = " --input " + kFixtures + "/fashion_sample.npy --top 1";
  Outcome run_plain = Kinglet("run " + plain + input);
  Outcome run_optimized = Kinglet("run " + optimized + input);
  ASSERT_EQ(run_optimized.exit_code, 0) << run_optimized.output;
  EXPECT_EQ(run_plain.output, run_optimized.output);
}

TEST_F(KingletCli, ErrorsAreOneLineWithTheRightExitCode) {
  Outcome usage = Kinglet("convert");
  EXPECT_EQ(usage.exit_code, 2);
  Outcome unknown_flag = Kinglet("bench x.kgl --frobnicate");
  EXPECT_EQ(unknown_flag.exit_code, 2);
  EXPECT_NE(unknown_flag.output.find("unknown option --frobnicate"), std::string::npos);
  Outcome unknown_command = Kinglet("fly");
  EXPECT_EQ(unknown_command.exit_code, 2);

  std::ofstream(Path("junk.onnx")) << "this is not a protobuf";
  Outcome bad_onnx = Kinglet("convert " + Path("junk.onnx") + " -o " + Path("junk.kgl"));
  EXPECT_EQ(bad_onnx.exit_code, 1);
  EXPECT_EQ(std::count(bad_onnx.output.begin(), bad_onnx.output.end(), '\n'), 1) << bad_onnx.output;
  EXPECT_FALSE(fs::exists(Path("junk.kgl")));

  std::ofstream(Path("junk.kgl")) << std::string(200, 'x');  // long enough to reach the magic check
  Outcome bad_kgl = Kinglet("inspect " + Path("junk.kgl"));
  EXPECT_EQ(bad_kgl.exit_code, 1);
  EXPECT_NE(bad_kgl.output.find("not a .kgl file"), std::string::npos) << bad_kgl.output;

  Outcome missing = Kinglet("run " + Path("absent.kgl") + " --input x.npy");
  EXPECT_EQ(missing.exit_code, 1);
}

TEST_F(KingletCli, WrongInputShapeIsAClearError) {
  const std::string kgl = Path("lenet300.kgl");
  ASSERT_EQ(Kinglet("convert " + kFixtures + "/lenet300.onnx -o " + kgl).exit_code, 0);
  // Labels are [16] int64: neither the dtype nor the shape of the model's input.
  Outcome o = Kinglet("run " + kgl + " --input " + kFixtures + "/fashion_sample_labels.npy");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.output.find("must be float32"), std::string::npos) << o.output;
}

}  // namespace
