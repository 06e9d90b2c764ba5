#include "server/operations.h"

#include <algorithm>
#include <functional>
#include <map>

#include "protocol/collections_json.h"
#include "protocol/rekognition_json.h"

namespace candor::server {
namespace {

using nlohmann::json;
using Handler = std::function<StatusOr<json>(const json&, const ServiceContext&)>;

// Unwraps a parse result and feeds it to `run`, whose result becomes JSON
// through `shape`.
template <typename Parsed, typename Run>
StatusOr<json> Then(StatusOr<Parsed> parsed, Run run) {
  if (!parsed.ok()) return parsed.status();
  return run(*parsed);
}

template <typename T, typename Shape>
StatusOr<json> Shaped(StatusOr<T> result, Shape shape) {
  if (!result.ok()) return result.status();
  return shape(*result);
}

StatusOr<json> Empty(const Status& status) {
  if (!status.ok()) return status;
  return protocol::EmptyResponse();
}

const std::map<std::string, Handler, std::less<>>& Handlers() {
  static const auto* handlers = new std::map<std::string, Handler, std::less<>>{
      {"DetectFaces",
       [](const json& body, const ServiceContext& s) {
         return Then(protocol::ParseDetectFaces(body, s.request_options),
                     [&](const protocol::DetectFacesRequest& r) {
                       return Shaped(s.engine->DetectFaces(r.image_bytes, r.attributes),
                                     [&](const DetectResult& d) {
                                       return protocol::DetectFacesResponse(
                                           d, {.attributes = r.attributes});
                                     });
                     });
       }},
      {"CompareFaces",
       [](const json& body, const ServiceContext& s) {
         return Then(protocol::ParseCompareFaces(body, s.request_options),
                     [&](const protocol::CompareFacesRequest& r) {
                       return Shaped(s.engine->CompareFaces(r.source_bytes, r.target_bytes,
                                                            r.similarity_threshold),
                                     protocol::CompareFacesResponse);
                     });
       }},
      {"CreateCollection",
       [](const json& body, const ServiceContext& s) {
         return Then(protocol::ParseCollectionId(body), [&](const std::string& id) {
           return Shaped(s.collections->CreateCollection(id), protocol::CreateCollectionResponse);
         });
       }},
      {"DescribeCollection",
       [](const json& body, const ServiceContext& s) {
         return Then(protocol::ParseCollectionId(body), [&](const std::string& id) {
           return Shaped(s.collections->DescribeCollection(id),
                         protocol::DescribeCollectionResponse);
         });
       }},
      {"DeleteCollection",
       [](const json& body, const ServiceContext& s) {
         return Then(protocol::ParseCollectionId(body), [&](const std::string& id) -> StatusOr<json> {
           CANDOR_RETURN_IF_ERROR(s.collections->DeleteCollection(id));
           return json{{"StatusCode", 200}};
         });
       }},
      {"ListCollections",
       [](const json& body, const ServiceContext& s) {
         return Then(protocol::ParseListCollections(body), [&](const protocol::ListRequest& r) {
           return Shaped(s.collections->ListCollections(r.next_token, r.max_results),
                         protocol::ListCollectionsResponse);
         });
       }},
      {"IndexFaces",
       [](const json& body, const ServiceContext& s) {
         return Then(protocol::ParseIndexFaces(body, s.request_options),
                     [&](const IndexFacesRequest& r) {
                       return Shaped(s.collections->IndexFaces(r), [&](const IndexFacesResult& x) {
                         return protocol::IndexFacesResponse(x, r.detection_attributes);
                       });
                     });
       }},
      {"ListFaces",
       [](const json& body, const ServiceContext& s) {
         return Then(protocol::ParseListFaces(body), [&](const protocol::ListRequest& r) {
           return Shaped(s.collections->ListFaces(r.collection_id, r.next_token, r.max_results),
                         protocol::ListFacesResponse);
         });
       }},
      {"DeleteFaces",
       [](const json& body, const ServiceContext& s) {
         return Then(protocol::ParseDeleteFaces(body), [&](const protocol::DeleteFacesRequest& r) {
           return Shaped(s.collections->DeleteFaces(r.collection_id, r.face_ids),
                         protocol::DeleteFacesResponse);
         });
       }},
      {"SearchFacesByImage",
       [](const json& body, const ServiceContext& s) {
         return Then(protocol::ParseSearchFacesByImage(body, s.request_options),
                     [&](const protocol::SearchFacesByImageRequest& r) {
                       return Shaped(s.collections->SearchFacesByImage(r.search, r.image_bytes),
                                     protocol::SearchFacesByImageResponse);
                     });
       }},
      {"SearchFaces",
       [](const json& body, const ServiceContext& s) {
         return Then(protocol::ParseSearchFaces(body),
                     [&](const protocol::SearchFacesByIdRequest& r) {
                       return Shaped(s.collections->SearchFaces(r.search, r.face_id),
                                     protocol::SearchFacesResponse);
                     });
       }},
      {"CreateUser",
       [](const json& body, const ServiceContext& s) {
         return Then(protocol::ParseUserRequest(body), [&](const UserRequest& r) {
           return Empty(s.collections->CreateUser(r));
         });
       }},
      {"DeleteUser",
       [](const json& body, const ServiceContext& s) {
         return Then(protocol::ParseUserRequest(body), [&](const UserRequest& r) {
           return Empty(s.collections->DeleteUser(r));
         });
       }},
      {"ListUsers",
       [](const json& body, const ServiceContext& s) {
         return Then(protocol::ParseListUsers(body), [&](const protocol::ListRequest& r) {
           return Shaped(s.collections->ListUsers(r.collection_id, r.next_token, r.max_results),
                         protocol::ListUsersResponse);
         });
       }},
      {"AssociateFaces",
       [](const json& body, const ServiceContext& s) {
         return Then(protocol::ParseAssociateFaces(body), [&](const AssociateFacesRequest& r) {
           return Shaped(s.collections->AssociateFaces(r), protocol::AssociateFacesResponse);
         });
       }},
      {"DisassociateFaces",
       [](const json& body, const ServiceContext& s) {
         return Then(protocol::ParseDisassociateFaces(body),
                     [&](const DisassociateFacesRequest& r) {
                       return Shaped(s.collections->DisassociateFaces(r),
                                     protocol::DisassociateFacesResponse);
                     });
       }},
      {"SearchUsers",
       [](const json& body, const ServiceContext& s) {
         return Then(protocol::ParseSearchUsers(body), [&](const SearchUsersRequest& r) {
           return Shaped(s.collections->SearchUsers(r), protocol::SearchUsersResponse);
         });
       }},
      {"SearchUsersByImage",
       [](const json& body, const ServiceContext& s) {
         return Then(protocol::ParseSearchUsersByImage(body, s.request_options),
                     [&](const protocol::SearchUsersByImageFullRequest& r) {
                       return Shaped(s.collections->SearchUsersByImage(r.search, r.image_bytes),
                                     protocol::SearchUsersByImageResponse);
                     });
       }},
  };
  return *handlers;
}

}  // namespace

const std::vector<std::string_view>& OperationNames() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string_view>;
    for (const auto& [name, handler] : Handlers()) v->push_back(name);
    return v;
  }();
  return *names;
}

bool IsKnownOperation(std::string_view operation) {
  return Handlers().find(operation) != Handlers().end();
}

StatusOr<nlohmann::json> RunOperation(std::string_view operation, const nlohmann::json& body,
                                      const ServiceContext& service, const CallContext& call) {
  auto it = Handlers().find(operation);
  if (it == Handlers().end()) {
    return Status::UnknownOperation("operation " + std::string(operation) +
                                    " is not supported by this service");
  }
  if (!body.is_object()) return Status::Serialization("the request body must be a JSON object");
  return it->second(body, service);
}

}  // namespace candor::server
