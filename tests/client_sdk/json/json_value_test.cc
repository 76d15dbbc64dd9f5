#include "json/json_value.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kinglet::sdk::json {
namespace {

TEST(JsonTest, ParsesEveryKindAndWritesCanonicalForm) {
  auto v = Parse(R"( { "b" : [1, -2, true, false, null, "x\"y\\z\n\u00e9\ud83d\ude00"], "a": {"z": 0, "y": {}} , "c": []} )");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*Canonical(*v), "{\"a\":{\"y\":{},\"z\":0},\"b\":[1,-2,true,false,null,\"x\\\"y\\\\z\\n\xc3\xa9\xf0\x9f\x98\x80\"],\"c\":[]}");
  EXPECT_EQ(v->Find("b")->array()[1].integer(), -2);
  EXPECT_EQ(v->Find("missing"), nullptr);
}

// The server signs nlohmann::json's dump(); the SDK must reproduce it byte for byte from the
// parsed document, or valid manifests would fail to verify.
TEST(JsonTest, CanonicalFormMatchesTheServersSerialiser) {
  const std::vector<std::string> strings = {"plain", "quote\"back\\slash/", "tab\tnl\ncr\rbs\bff\f",
                                            std::string("ctl\x01\x1f", 5), "caf\xc3\xa9", "\xe2\x82\xac \xf0\x9f\x98\x80",
                                            "del\x7f"};
  for (const std::string& s : strings) {
    const nlohmann::json server = {{"k", s}, {"n", 123456789012345}, {"a", {1, 2}}, {"neg", -5}};
    auto parsed = Parse(server.dump());
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(*Canonical(*parsed), server.dump()) << s;
  }
}

TEST(JsonTest, RefusesMalformedAndHostileInput) {
  for (const std::string& bad : std::vector<std::string>{
           "", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "\"unterminated", "\"bad \\x escape\"",
           "\"\\ud800\"", "\"\\udc00\"", "01", "1.", "1e", "--1", "+1", "tru", "nul", "[1] 2", "{\"a\":1,\"a\":2}",
           "99999999999999999999", std::string("\"ctl\x01\""), std::string(40, '[') + std::string(40, ']')}) {
    EXPECT_FALSE(Parse(bad).ok()) << bad;
  }
  EXPECT_TRUE(Parse(std::string(30, '[') + std::string(30, ']')).ok());
}

TEST(JsonTest, FractionsParseButHaveNoCanonicalForm) {
  auto v = Parse("{\"x\": 1.5e3}");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->Find("x")->kind(), Value::Kind::kDouble);
  EXPECT_EQ(Canonical(*v).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kinglet::sdk::json
