// Types for candor-fields.mjs (TypeScript looks for a .mjs module's types in
// the .d.mts of the same name, never in a .d.ts). The SDK's output types do
// not name Candor's members; intersect them with these, e.g.
//   const r = (await client.send(cmd)) as SearchFacesByImageCommandOutput & CandorSearchFields;
// Names and types are those of clients/botocore/.../service-2.sdk-extras.json.

/**
 * Adds middleware to an AWS SDK for JavaScript v3 client (e.g. a
 * RekognitionClient) so that every command's output keeps the Candor*
 * members of Candor's JSON answer, top level and nested. Returns the client.
 */
export declare function withCandorFields<
  C extends {
    middlewareStack: { add(middleware: unknown, options: object): void };
    config: { streamCollector: (body: any) => Promise<Uint8Array> };
  },
>(client: C): C;

/** On SearchFaces, SearchFacesByImage, SearchUsers and SearchUsersByImage outputs. */
export interface CandorSearchFields {
  /** Faces the probe was compared with. */
  CandorFacesSearched?: number;
  /** The false-match rate at the applied threshold times the faces searched. */
  CandorExpectedFalseMatches?: number;
  CandorThresholdRequested?: number;
  /** The threshold the search ran at, after the collection's policy. */
  CandorThresholdApplied?: number;
  CandorThresholdRaised?: boolean;
  CandorMaxResultsApplied?: number;
  /** The collection's stated purpose. */
  CandorPurpose?: string;
  CandorCalibrationVersion?: string;
  /** The false-match rate at the applied threshold measured on this collection's gallery. */
  CandorCollectionFalseMatchRate?: number;
  /** The embedding network's name (FaceModelVersion is its number). */
  CandorFaceModel?: string;
}

/** On CreateCollection, DescribeCollection, IndexFaces and ListFaces outputs. */
export interface CandorFaceModelFields {
  /** The embedding network's name (FaceModelVersion is its number). */
  CandorFaceModel?: string;
}

/** On ListCollections' output: each collection's embedding network, in CollectionIds' order. */
export interface CandorCollectionListFields {
  CandorFaceModels?: string[];
}

/** On CompareFaces' output with a QualityFilter. */
export interface CandorCompareFields {
  CandorCalibrationVersion?: string;
  /** Target faces the QualityFilter left out (not compared), with the reasons. */
  CandorFilteredFaces?: { Face: Record<string, unknown>; Reasons: string[] }[];
}

/** On DetectFaces' and IndexFaces' outputs. */
export interface CandorAttributeFields {
  /** Attributes asked for (by name or ALL) that no network here produces, e.g. "BEARD". */
  CandorAttributesNotProduced?: string[];
}

/** On FaceMatches[i] (searches, CompareFaces) and UserMatches[i]. */
export interface CandorMatchFields {
  /** The estimated share of comparisons between different people that score this Similarity or more. */
  CandorFalseMatchRate?: number;
  /** UserMatches only: the user's face that matched best. */
  CandorBestFaceId?: string;
}

/** On DescribeCollection's output. */
export interface CandorCollectionFields {
  CandorCalibrationVersion?: string;
  CandorFalseMatchRates?: {
    Similarity: number;
    /** What the calibration claims. */
    FalseMatchRate: number;
    /** Measured on this collection's gallery; absent when not measured. */
    CollectionFalseMatchRate?: number;
    CollectionPairs?: number;
  }[];
}

/** On DetectFaces' FaceDetails[i] with Attributes ALL. */
export interface CandorFaceDetailFields {
  /** 0-100; high means a live face. */
  CandorLiveness?: { Score: number };
  /** Years. */
  CandorAgeEstimate?: number;
  /** Why Gender is absent although asked for (a face judged under 6 years). */
  CandorGenderWithheld?: string;
}
