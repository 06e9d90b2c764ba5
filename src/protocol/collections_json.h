// Collection results in Amazon Rekognition's JSON shapes. Candor's additions
// are under keys starting with "Candor".
//
// Thread safety: pure functions.
#ifndef CANDOR_PROTOCOL_COLLECTIONS_JSON_H_
#define CANDOR_PROTOCOL_COLLECTIONS_JSON_H_

#include <nlohmann/json.hpp>

#include "candor/collections.h"
#include "protocol/rekognition_json.h"

namespace candor::protocol {

nlohmann::json CreateCollectionResponse(const CollectionDescription& d);
nlohmann::json DescribeCollectionResponse(const CollectionDescription& d);
nlohmann::json ListCollectionsResponse(const CollectionListPage& page);
nlohmann::json IndexFacesResponse(const IndexFacesResult& result, AttributeSet attributes);
nlohmann::json ListFacesResponse(const FaceListPage& page);
nlohmann::json DeleteFacesResponse(const DeleteFacesResult& result);
nlohmann::json SearchFacesByImageResponse(const SearchFacesResult& result);
nlohmann::json SearchFacesResponse(const SearchFacesResult& result);
// Users. CreateUser and DeleteUser answer an empty object.
nlohmann::json EmptyResponse();
nlohmann::json ListUsersResponse(const UserListPage& page);
nlohmann::json AssociateFacesResponse(const AssociateFacesResult& result);
nlohmann::json DisassociateFacesResponse(const DisassociateFacesResult& result);
nlohmann::json SearchUsersResponse(const SearchUsersResult& result);
nlohmann::json SearchUsersByImageResponse(const SearchUsersResult& result);
// Rekognition's Face: FaceId, BoundingBox (ratios), ImageId, ExternalImageId,
// Confidence, IndexFacesModelVersion, UserId.
nlohmann::json StoredFaceJson(const StoredFace& face);

}  // namespace candor::protocol

#endif  // CANDOR_PROTOCOL_COLLECTIONS_JSON_H_
