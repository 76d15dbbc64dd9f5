// Status: OK is the default and carries no message; errors keep their code and message through
// copies, moves and added context; Result carries either a value or an error.
#include "kinglet/status.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace kinglet {
namespace {

TEST(StatusTest, OkIsTheDefaultAndHasNoMessage) {
  const Status ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.code(), StatusCode::kOk);
  EXPECT_EQ(ok.message(), "");
  EXPECT_EQ(ok.ToString(), "OK");
  EXPECT_TRUE(Status::Ok().WithContext("ignored").ok());
  // A code of kOk makes an OK status whatever the message.
  EXPECT_TRUE(Status::Of(StatusCode::kOk, "fine").ok());
}

TEST(StatusTest, CopiesAreIndependentAndMovesTransferTheError) {
  Status a = Status::NotFound("no such model");
  Status b = a;
  EXPECT_EQ(b.code(), StatusCode::kNotFound);
  EXPECT_EQ(b.message(), "no such model");
  b = Status::Corruption("bad bytes");
  EXPECT_EQ(a.message(), "no such model");  // the copy did not share a's message
  a = b;
  a = a;  // self-assignment keeps the error
  EXPECT_EQ(a.ToString(), "Corruption: bad bytes");
  Status c = std::move(a);
  EXPECT_EQ(c.message(), "bad bytes");
  b = Status::Ok();
  EXPECT_TRUE(b.ok());
}

TEST(StatusTest, WithContextPrefixesTheMessageAndKeepsTheCode) {
  const Status s = Status::Unsupported("op Foo").WithContext("node 'n1'");
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_EQ(s.message(), "node 'n1': op Foo");
}

TEST(StatusTest, ResultHoldsAValueOrAnError) {
  Result<std::string> good = std::string("value");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, "value");
  Result<std::string> bad = Status::InvalidArgument("threads must be >= 0");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "threads must be >= 0");
}

}  // namespace
}  // namespace kinglet
