#include "fetch/device_class_match.h"

#include <gtest/gtest.h>

namespace kinglet::sdk {
namespace {

const char kClasses[] = R"({"device_classes":[
  {"name":"arm64-high","isa":"arm64","cpu_features":["neon","dotprod"],"min_ram_mib":4096},
  {"name":"arm64-low","isa":"arm64","cpu_features":["neon"],"min_ram_mib":0},
  {"name":"any","isa":"","cpu_features":[],"min_ram_mib":0},
  {"name":"x86-64","isa":"x86_64","cpu_features":["avx2","fma"],"min_ram_mib":0}]})";

TEST(DeviceClassMatchTest, TheMostSpecificMatchingClassWins) {
  auto classes = ParseDeviceClasses(kClasses);
  ASSERT_TRUE(classes.ok()) << classes.status().ToString();
  DeviceInfo flagship{"arm64", {"neon", "dotprod", "fp16"}, 8192, "android", 8};
  DeviceInfo old_phone{"arm64", {"neon"}, 2048, "android", 4};
  DeviceInfo small_flagship{"arm64", {"neon", "dotprod"}, 3072, "android", 8};
  DeviceInfo laptop{"x86_64", {"sse4.1", "avx2", "fma"}, 16384, "linux", 8};
  DeviceInfo old_pc{"x86_64", {"sse4.1"}, 4096, "linux", 2};
  EXPECT_EQ(*MatchDeviceClass(flagship, *classes), "arm64-high");
  EXPECT_EQ(*MatchDeviceClass(old_phone, *classes), "arm64-low");
  EXPECT_EQ(*MatchDeviceClass(small_flagship, *classes), "arm64-low");  // too little RAM for high
  EXPECT_EQ(*MatchDeviceClass(laptop, *classes), "x86-64");
  EXPECT_EQ(*MatchDeviceClass(old_pc, *classes), "any");  // no AVX2: only the catch-all fits
}

TEST(DeviceClassMatchTest, NoMatchSaysWhatToDo) {
  auto classes = ParseDeviceClasses(R"({"device_classes":[{"name":"x","isa":"arm64","cpu_features":[],"min_ram_mib":0}]})");
  ASSERT_TRUE(classes.ok());
  auto none = MatchDeviceClass(DeviceInfo{"x86_64", {}, 1024, "linux", 1}, *classes);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find("device_class"), std::string::npos);
}

TEST(DeviceClassMatchTest, MalformedListsAreRefused) {
  for (const char* bad : {"", "[]", R"({"device_classes":{}})", R"({"device_classes":[{"name":1}]})",
                          R"({"device_classes":[{"name":"a","isa":"","cpu_features":[1],"min_ram_mib":0}]})",
                          R"({"device_classes":[{"name":"a","isa":"","cpu_features":[],"min_ram_mib":-1}]})"}) {
    EXPECT_FALSE(ParseDeviceClasses(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace kinglet::sdk
