#include "store/xml.h"

#include <gtest/gtest.h>

namespace clicktrail::store {
namespace {

constexpr std::string_view list_answer = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents><Key>p/a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;</Key><Size>12</Size></Contents>
  <Contents><Key>p/&#233;t&#xE9; &#x1F600;</Key><Size>0</Size><ETag>&quot;x&quot;</ETag></Contents>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <StartAfter/>
</ListBucketResult>)";

TEST(s3_xml, finds_elements_by_exact_name) {
  const auto contents = xml::elements(list_answer, "Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(xml::text(contents[0], "Key"), "p/a & b <c> \"d\" 'e'");
  EXPECT_EQ(xml::text(contents[0], "Size"), "12");
  EXPECT_EQ(xml::text(contents[1], "Key"), "p/\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_EQ(xml::text(list_answer, "KeyCount"), "2");  // not confused with <Key>
  EXPECT_EQ(xml::text(list_answer, "IsTruncated"), "true");
  EXPECT_EQ(xml::text(list_answer, "NextContinuationToken"), "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  EXPECT_EQ(xml::text(list_answer, "StartAfter"), "");
  EXPECT_EQ(xml::text(list_answer, "Missing"), std::nullopt);
}

TEST(s3_xml, upload_and_upload_id_are_different_elements) {
  constexpr std::string_view doc =
      "<ListMultipartUploadsResult><Upload><Key>k1</Key><UploadId>id-1</UploadId></Upload>"
      "<Upload><Key>k2</Key><UploadId>id-2</UploadId></Upload></ListMultipartUploadsResult>";
  const auto uploads = xml::elements(doc, "Upload");
  ASSERT_EQ(uploads.size(), 2u);
  EXPECT_EQ(xml::text(uploads[1], "UploadId"), "id-2");
  EXPECT_EQ(xml::elements(doc, "UploadId").size(), 2u);
}

TEST(s3_xml, error_documents) {
  constexpr std::string_view doc =
      "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we "
      "calculated does not match</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>";
  EXPECT_EQ(xml::text(doc, "Code"), "SignatureDoesNotMatch");
  EXPECT_EQ(xml::text(doc, "RequestId"), "4442587FB7D0A2F9");
}

TEST(s3_xml, unescape_rejects_malformed_entities) {
  EXPECT_EQ(xml::unescape("a &amp b"), std::nullopt);
  EXPECT_EQ(xml::unescape("&nbsp;"), std::nullopt);
  EXPECT_EQ(xml::unescape("&#xD800;"), std::nullopt);  // a lone surrogate is not a character
  EXPECT_EQ(xml::unescape("&#;"), std::nullopt);
  EXPECT_EQ(xml::unescape("<![CDATA[a<b&c]]>d"), "a<b&cd");
}

TEST(s3_xml, escape_round_trips) {
  const std::string raw = "\"etag\" & <x> 'y'";
  EXPECT_EQ(xml::escape(raw), "&quot;etag&quot; &amp; &lt;x&gt; &apos;y&apos;");
  EXPECT_EQ(xml::unescape(xml::escape(raw)), raw);
}

}  // namespace
}  // namespace clicktrail::store
