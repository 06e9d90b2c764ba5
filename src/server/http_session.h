// One HTTP connection of the server (http_server.cc), plain or TLS: reading
// a request within its deadlines and limits, handing it to the server, and
// writing the answer. A template over the server, whose interface it uses
// (options, Register/Unregister, Handle, Refusal, ReserveBody, ...), and the
// stream. Included by http_server.cc only.
#ifndef CANDOR_SERVER_HTTP_SESSION_H_
#define CANDOR_SERVER_HTTP_SESSION_H_

#include <boost/beast/ssl.hpp>
#include <limits>
#include <list>
#include <type_traits>

#include "server/http_parts.h"

namespace candor::server::http_internal {

// One connection, plain (beast::tcp_stream) or TLS (beast::ssl_stream): its
// handlers run on its own strand, one at a time.
template <class Server, class Stream>
class Session : public Connection,
                public std::enable_shared_from_this<Session<Server, Stream>> {
 public:
  Session(Server* server, tcp::socket socket, std::string remote, ssl::context* tls)
      : server_(server),
        stream_(MakeStream(std::move(socket), tls)),
        info_(std::make_shared<ConnectionInfo>()),
        buffer_(server->options().max_header_bytes + kReadChunk) {
    incoming_.remote = std::move(remote);
    info_->since = NowNs();
  }
  ~Session() override {
    Unhold();
    if (registered_) server_->Unregister(slot_);
  }

  void Start() {
    info_->connection = this->weak_from_this();
    slot_ = server_->Register(info_);
    registered_ = true;
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->Open(); });
  }

  void Evict() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      beast::error_code ignored;
      self->Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      self->Lowest().close();
    });
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  static Stream MakeStream(tcp::socket socket, ssl::context* tls) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls);
    } else {
      (void)tls;
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }
  const ServerOptions& options() const { return server_->options(); }

  void SetPhase(Phase p) {
    info_->since = NowNs();
    info_->phase = p;
  }

  // A deadline of `base` plus the time `bytes` take at the slowest rate
  // allowed.
  void Deadline(std::chrono::seconds base, size_t bytes) {
    const size_t rate = std::max<size_t>(1, options().min_body_bytes_per_second);
    Lowest().expires_after(base + std::chrono::seconds(bytes / rate));
  }

  void Open() {
    if constexpr (kTls) {
      Deadline(std::chrono::seconds(options().header_timeout_seconds), 0);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->ReadNext();
                              });
    } else {
      ReadNext();
    }
  }

  // Waits for the first byte of the next request (evictable meanwhile).
  void ReadNext() {
    if (server_->stopping()) return Close();
    if (buffer_.size() > 0) return ReadHeader();
    SetPhase(Phase::kIdle);
    Deadline(std::chrono::seconds(served_ == 0 ? options().header_timeout_seconds
                                               : options().idle_timeout_seconds),
             0);
    stream_.async_read_some(
        buffer_.prepare(kReadChunk),
        [self = this->shared_from_this()](beast::error_code ec, size_t n) {
          if (ec) return;  // closed, idle too long, or evicted
          self->buffer_.commit(n);
          self->ReadHeader();
        });
  }

  void ReadHeader() {
    if (server_->stopping()) return Close();
    SetPhase(Phase::kHeader);
    Deadline(std::chrono::seconds(options().header_timeout_seconds), 0);
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(options().max_header_bytes));
    // Checked in OnHeader, before reading. (Not boost::none: Beast 1.74
    // compares a length with an empty limit as greater, and refuses.)
    parser_->body_limit(std::numeric_limits<uint64_t>::max());
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  // Whether a read failed because the connection ended: the client went
  // (end of stream, reset), the connection was evicted or stopped, or its
  // deadline passed (the stream has closed the socket; logged as 408, which
  // cannot be sent).
  bool Ended(beast::error_code ec) {
    if (ec == beast::error::timeout) {
      server_->CountTimeout();
      server_->LogRefused(incoming_, 408, "RequestTimeout", 0, 0);
      return true;
    }
    return ec == http::error::end_of_stream || ec == http::error::partial_message ||
           ec == net::error::eof || ec == net::error::operation_aborted ||
           ec == net::error::connection_reset || ec == net::error::bad_descriptor;
  }

  void OnHeader(beast::error_code ec) {
    Incoming& in = incoming_;
    in.headers.clear();
    in.body.clear();
    if (ec) {
      if (ec == http::error::header_limit) {
        return Write(server_->Refusal(
            in, 431, "SerializationException",
            "the request line and headers are larger than " +
                std::to_string(options().max_header_bytes) + " bytes",
            0));
      }
      if (Ended(ec)) return;
      return Write(server_->Refusal(in, 400, "SerializationException",
                                    "malformed HTTP request: " + ec.message(), 0));
    }
    const auto& header = parser_->get();
    in.method = std::string(header.method_string());
    in.target = std::string(header.target());
    for (const auto& field : header) {
      in.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    keep_alive_ = parser_->keep_alive();
    const auto length = parser_->content_length();
    const bool chunked = parser_->chunked();
    const bool has_body = chunked || (length && *length > 0);
    const std::string path = in.target.substr(0, in.target.find('?'));

    // Compressed bodies would inflate past every limit; the AWS SDKs never
    // compress Rekognition requests.
    const std::string encoding = in.Header("Content-Encoding");
    if (!encoding.empty() && !beast::iequals(encoding, "identity")) {
      return Write(server_->Refusal(in, 400, "SerializationException",
                                    "Content-Encoding " + encoding + " is not accepted", 0));
    }
    if (IsConsolePath(path)) {
      if (has_body) keep_alive_ = false;  // its body is not read
      SetPhase(Phase::kHandling);  // files are read on the handler pool
      return server_->Handle([self = this->shared_from_this(), method = in.method, path] {
        Outgoing out = self->server_->ConsoleFile(method, path);
        net::post(self->stream_.get_executor(),
                  [self, out = std::move(out)]() mutable { self->Write(std::move(out)); });
      });
    }
    if (path == "/health" || path == "/metrics") {
      if (header.method() != http::verb::get) return NotFound(405);
      if (has_body) keep_alive_ = false;  // its body is not read
      if (path == "/health") return Write(server_->Health());
      SetPhase(Phase::kHandling);
      return server_->Handle([self = this->shared_from_this()] {
        Outgoing out = self->server_->MetricsText();
        net::post(self->stream_.get_executor(),
                  [self, out = std::move(out)]() mutable { self->Write(std::move(out)); });
      });
    }
    if (path != "/") return NotFound(404);
    if (header.method() != http::verb::post) return NotFound(405);

    // The body: refused before a byte of it is read when it is too large,
    // or when the bodies held already use the budget.
    const size_t max_body = options().max_body_bytes;
    if (length && *length > max_body) {
      return Write(server_->Refusal(
          in, 413, "ImageTooLargeException",
          "the request body is larger than " + std::to_string(max_body) + " bytes", 0));
    }
    const size_t want = chunked ? max_body : static_cast<size_t>(length.value_or(0));
    if (!server_->ReserveBody(want)) {
      return Write(server_->Refusal(
          in, 400, "ThrottlingException",
          "the service holds as many request bodies as it may; retry with backoff", 0));
    }
    held_ = want;
    if (beast::iequals(header[http::field::expect], "100-continue")) {
      auto go_on = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                      header.version());
      Deadline(std::chrono::seconds(options().header_timeout_seconds), 0);
      return http::async_write(
          stream_, *go_on,
          [self = this->shared_from_this(), go_on](beast::error_code ec, size_t) {
            if (!ec) self->ReadBody();
          });
    }
    ReadBody();
  }

  void NotFound(int status) {
    Outgoing out = server_->Refusal(
        incoming_, status, "UnknownOperationException",
        "Rekognition operations are POST /; health is GET /health, metrics GET /metrics, "
        "the operator console GET /console/", 0);
    // A request without a body may keep its connection.
    const auto length = parser_->content_length();
    out.close = parser_->chunked() || (length && *length > 0);
    Write(std::move(out));
  }

  void ReadBody() {
    SetPhase(Phase::kBody);
    Deadline(std::chrono::seconds(options().header_timeout_seconds), held_);
    parser_->body_limit(options().max_body_bytes);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       self->OnBody(ec);
                     });
  }

  void OnBody(beast::error_code ec) {
    if (ec) {
      Unhold();
      if (ec == http::error::body_limit) {
        return Write(server_->Refusal(incoming_, 413, "ImageTooLargeException",
                                      "the request body is larger than " +
                                          std::to_string(options().max_body_bytes) + " bytes",
                                      options().max_body_bytes));
      }
      if (Ended(ec)) return;
      return Write(server_->Refusal(incoming_, 400, "SerializationException",
                                    "malformed HTTP request body: " + ec.message(), 0));
    }
    Lowest().expires_never();
    SetPhase(Phase::kHandling);
    auto in = std::make_shared<Incoming>(std::move(incoming_));
    in->body = std::move(parser_->get().body());
    parser_.reset();
    incoming_.remote = in->remote;
    server_->Handle([self = this->shared_from_this(), in] {
      Outgoing out = self->server_->HandleRekognition(*in);
      net::post(self->stream_.get_executor(), [self, out = std::move(out)]() mutable {
        self->Unhold();
        self->Write(std::move(out));
      });
    });
  }

  void Unhold() {
    if (held_ > 0) server_->ReleaseBody(held_);
    held_ = 0;
  }

  void Write(Outgoing out) {
    SetPhase(Phase::kWriting);
    response_ = std::make_unique<http::response<http::string_body>>();
    response_->version(11);
    response_->result(static_cast<unsigned>(out.status));
    response_->set(http::field::content_type, out.content_type);
    response_->set(http::field::date, HttpDate(std::time(nullptr)));
    if (!out.request_id.empty()) response_->set("x-amzn-RequestId", out.request_id);
    for (const auto& [name, value] : out.headers) response_->set(name, value);
    response_->body() = std::move(out.body);
    const bool close = out.close || !keep_alive_ || server_->stopping() ||
                       ++served_ >= kMaxRequestsPerConnection;
    response_->keep_alive(!close);
    response_->prepare_payload();
    if (out.head_length) response_->content_length(*out.head_length);
    Deadline(std::chrono::seconds(options().header_timeout_seconds), response_->body().size());
    http::async_write(stream_, *response_,
                      [self = this->shared_from_this(), close](beast::error_code ec, size_t) {
                        self->response_.reset();
                        if (ec) return;
                        if (close) return self->Linger();
                        self->ReadNext();
                      });
  }

  // Closes after an answer: the client may still be sending a body that
  // was refused, and closing with unread bytes would reset the connection
  // and could destroy the answer before the client reads it. So: no more
  // writes, then read and drop what comes for a short while.
  void Linger() {
    SetPhase(Phase::kClosing);
    Lowest().expires_after(kLingerTime);
    if constexpr (kTls) {
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        self->Lowest().close();
      });
    } else {
      beast::error_code ignored;
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      Drain();
    }
  }

  void Drain() {
    drain_.consume(drain_.size());
    Lowest().async_read_some(drain_.prepare(kReadChunk),
                             [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                               self->drained_ += n;
                               if (ec || self->drained_ > kMaxDrainBytes) {
                                 return self->Lowest().close();
                               }
                               self->Drain();
                             });
  }

  void Close() {
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Lowest().close();
  }

  Server* server_;
  Stream stream_;
  std::shared_ptr<ConnectionInfo> info_;
  std::list<std::shared_ptr<ConnectionInfo>>::iterator slot_;
  bool registered_ = false;
  beast::flat_buffer buffer_;
  beast::flat_buffer drain_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Incoming incoming_;
  std::unique_ptr<http::response<http::string_body>> response_;
  bool keep_alive_ = true;
  int served_ = 0;
  size_t held_ = 0;  // body bytes reserved with the server
  size_t drained_ = 0;
};

}  // namespace candor::server::http_internal

#endif  // CANDOR_SERVER_HTTP_SESSION_H_
