// The HTTP service's connection limits on loopback, at the socket level:
// a huge Content-Length refused before its body is read, a chunked body
// refused at the limit, slow headers dropped at their deadline, idle
// connections evicted at the cap, busy connections and held bodies bounded,
// body deadlines, pipelining and keep-alive.
#include "server_test_support.h"

namespace candor {
namespace {

using namespace server_testing;  // NOLINT: the fixture and helpers of these tests

TEST_F(ServerTest, AnOversizedBodyIsRefusedBeforeItIsRead) {
  server::ServerOptions options;
  options.max_body_bytes = 1 << 20;
  LiveServer live(options);
  RawClient client(live.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000000\r\n"
                          "X-Amz-Target: RekognitionService.IndexFaces\r\n\r\n"));
  // The answer comes without any of the body.
  const std::string answer = client.Receive(std::chrono::milliseconds(1500));
  EXPECT_NE(answer.find("HTTP/1.1 413"), std::string::npos) << answer;
  EXPECT_NE(answer.find("ImageTooLargeException"), std::string::npos) << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
  // A client that goes on sending is cut off: at most the linger's 1 MiB
  // and the sockets' buffers are taken from it, not its 10^15 bytes.
  const std::string block(64 * 1024, 'x');
  size_t sent = 0;
  while (sent < (256u << 20) && client.Send(block)) sent += block.size();
  EXPECT_LT(sent, 256u << 20) << "the server kept reading";
}

// Finding 2: a chunked body is counted as it arrives and refused the
// moment it passes the limit.
TEST_F(ServerTest, AChunkedBodyIsRefusedAtTheLimit) {
  server::ServerOptions options;
  options.max_body_bytes = 1 << 20;
  LiveServer live(options);
  RawClient client(live.port());
  ASSERT_TRUE(client.Send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                          "X-Amz-Target: RekognitionService.IndexFaces\r\n\r\n"));
  const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";  // 64 KiB
  std::string answer;
  size_t sent = 0;
  while (sent < (64u << 20) && client.Send(chunk)) {
    sent += 0x10000;
    answer += client.Receive(std::chrono::milliseconds(0));
    if (!answer.empty()) break;
  }
  answer += client.Receive(std::chrono::milliseconds(1000));
  EXPECT_NE(answer.find("HTTP/1.1 413"), std::string::npos) << answer.substr(0, 300);
  EXPECT_LT(sent, 64u << 20);
  EXPECT_NE(live.access_log().find(R"("status":413,"outcome":"ImageTooLargeException")"),
            std::string::npos);
}

// Finding 3: the headers have a deadline, not a per-read timeout; forty
// clients sending a byte every 300 ms hold nothing that others need, and
// each is dropped at the deadline.
TEST_F(ServerTest, SlowHeadersAreDroppedAtTheirDeadline) {
  server::ServerOptions options;
  options.header_timeout_seconds = 2;
  options.public_details = true;
  LiveServer live(options);
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 40; ++i) {
    slow.push_back(std::make_unique<RawClient>(live.port()));
    ASSERT_TRUE(slow.back()->Send("P"));
  }
  const auto started = std::chrono::steady_clock::now();
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    const std::string rest = "OST / HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaa";
    for (size_t i = 0; i < rest.size() && !done; ++i) {
      for (auto& c : slow) c->Send(rest.substr(i, 1));
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  });
  // Meanwhile the service answers.
  httplib::Client client("127.0.0.1", live.port());
  client.set_read_timeout(5, 0);
  for (int i = 0; i < 5; ++i) {
    auto health = client.Get("/health");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    auto r = live.Call(client, "ListCollections", "{}");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  // Every slow client is closed at the 2 s deadline (allowing for a loaded
  // machine), although each sends a byte every 300 ms.
  for (auto& c : slow) EXPECT_TRUE(c->WaitClosed(std::chrono::milliseconds(8000)));
  done = true;
  trickle.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  const std::string metrics = client.Get("/metrics")->body;
  EXPECT_GE(MetricValue(metrics, "candor_requests_timed_out_total"), 40) << metrics;
}

// Finding 4: idle connections cannot fill the service; past the cap the
// longest idle is closed to make room.
TEST_F(ServerTest, IdleConnectionsAreEvictedAtTheCap) {
  server::ServerOptions options;
  options.max_connections = 20;
  options.idle_timeout_seconds = 60;
  options.header_timeout_seconds = 60;
  LiveServer live(options);
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 200; ++i) {
    idle.push_back(std::make_unique<RawClient>(live.port()));
    ASSERT_TRUE(idle.back()->connected()) << i;
  }
  httplib::Client client("127.0.0.1", live.port());
  client.set_read_timeout(5, 0);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto r = live.Call(client, "ListCollections", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const std::string metrics = client.Get("/metrics")->body;
  EXPECT_LE(MetricValue(metrics, "candor_connections_open"), 20) << metrics;
  EXPECT_GE(MetricValue(metrics, "candor_connections_evicted_total"), 180) << metrics;
  // The oldest were closed; the newest are still open.
  EXPECT_TRUE(idle.front()->WaitClosed(std::chrono::milliseconds(2000)));
  EXPECT_FALSE(idle.back()->WaitClosed(std::chrono::milliseconds(200)));
}

// When every connection is busy with a request, a new one is told so at
// once (503) instead of waiting; and bodies held together have a budget.
TEST_F(ServerTest, BusyConnectionsAndHeldBodiesHaveLimits) {
  server::ServerOptions options;
  options.max_connections = 3;
  options.max_body_bytes = 1 << 20;
  options.max_buffered_bytes = 2 << 20;
  LiveServer live(options);
  // Three connections sending bodies: a fourth cannot evict any of them.
  std::vector<std::unique_ptr<RawClient>> busy;
  for (int i = 0; i < 3; ++i) {
    busy.push_back(std::make_unique<RawClient>(live.port()));
    ASSERT_TRUE(busy.back()->Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01"));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  RawClient extra(live.port());
  const std::string full = extra.Receive(std::chrono::milliseconds(1500));
  EXPECT_NE(full.find("HTTP/1.1 503"), std::string::npos) << full;
  EXPECT_NE(full.find("ServiceUnavailableException"), std::string::npos) << full;
  busy.clear();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // The budget (2 MiB) is held by two bodies under way: a third is refused
  // before it is read.
  const std::string head =
      "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: RekognitionService.ListCollections\r\n"
      "Content-Type: application/x-amz-json-1.1\r\nContent-Length: 1048576\r\n\r\n";
  for (int i = 0; i < 2; ++i) {
    busy.push_back(std::make_unique<RawClient>(live.port()));
    ASSERT_TRUE(busy.back()->Send(head + "{\"x\": \""));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  RawClient third(live.port());
  ASSERT_TRUE(third.Send(head));
  const std::string throttled = third.Receive(std::chrono::milliseconds(1500));
  EXPECT_NE(throttled.find("ThrottlingException"), std::string::npos) << throttled;
  // Once they go, the service is whole again.
  busy.clear();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  httplib::Client client("127.0.0.1", live.port());
  auto r = live.Call(client, "ListCollections", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  const std::string metrics = client.Get("/metrics")->body;
  EXPECT_EQ(MetricValue(metrics, "candor_request_body_bytes_held"), 0) << metrics;
  EXPECT_GE(MetricValue(metrics, "candor_connections_refused_total"), 1) << metrics;
}

// A body has a deadline too: its size at the slowest rate allowed, plus
// the header timeout. Keep-alive, pipelining and Expect: 100-continue work.
TEST_F(ServerTest, BodiesHaveDeadlinesAndConnectionsAreReused) {
  server::ServerOptions options;
  options.header_timeout_seconds = 1;
  options.min_body_bytes_per_second = 1000;
  LiveServer live(options);
  RawClient slow(live.port());
  ASSERT_TRUE(slow.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n{"));
  // 1 s + 2000 bytes at 1000 bytes/s = 3 s.
  EXPECT_TRUE(slow.WaitClosed(std::chrono::milliseconds(8000)));
  // Two requests pipelined on one connection, both answered.
  const std::string get = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  RawClient pipelined(live.port());
  ASSERT_TRUE(pipelined.Send(get + get));
  std::string both;
  for (int i = 0; i < 20 && both.find("ok", both.find("ok") + 1) == std::string::npos; ++i) {
    both += pipelined.Receive(std::chrono::milliseconds(100));
  }
  EXPECT_NE(both.find("ok", both.find("ok") + 1), std::string::npos) << both;
  // Expect: 100-continue gets its interim answer, then the final one.
  RawClient expecting(live.port());
  ASSERT_TRUE(expecting.Send(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n"
      "X-Amz-Target: RekognitionService.ListCollections\r\n\r\n"));
  const std::string interim = expecting.Receive(std::chrono::milliseconds(500));
  EXPECT_NE(interim.find("HTTP/1.1 100 Continue"), std::string::npos) << interim;
  ASSERT_TRUE(expecting.Send("{}"));
  const std::string final_answer = expecting.Receive(std::chrono::milliseconds(1000));
  EXPECT_NE(final_answer.find("MissingAuthenticationTokenException"), std::string::npos)
      << final_answer;
}

}  // namespace
}  // namespace candor
