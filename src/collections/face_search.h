// A probe against one collection's in-memory index (SearchFacesByImage,
// SearchFaces, SearchFacesByEmbedding; collections.cc): the index's
// candidates, rescored with the store's float vectors when the index is
// approximate, calibrated, with the gallery's false-match rates.
#ifndef CANDOR_COLLECTIONS_FACE_SEARCH_H_
#define CANDOR_COLLECTIONS_FACE_SEARCH_H_

#include <string>
#include <vector>

#include "candor/collections.h"
#include "candor/engine.h"
#include "candor/status.h"
#include "collections/collection_state.h"
#include "store/store.h"

namespace candor {

// A stored face as the API shows it.
StoredFace ToStored(const store::FaceRecord& record);

// Searches `state` (the collection's, loaded) with `probe` (unit length, of
// the engine's model), leaving out `exclude_face_id` (SearchFaces' own face);
// fills result's matches, faces_searched and rates. The borrowed objects are
// used for the call only.
Status SearchCollection(Engine& engine, store::Store& store, const SearchRequest& request,
                        CollectionState& state, const std::vector<float>& probe,
                        const std::string& exclude_face_id, SearchFacesResult* result);

}  // namespace candor

#endif  // CANDOR_COLLECTIONS_FACE_SEARCH_H_
