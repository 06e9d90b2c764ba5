// The AWS SDK for JavaScript v3 (@aws-sdk/client-rekognition) against a live
// `candor serve`.
//
// Run by tests/clients/run_client.sh, which starts the server and exports
// CANDOR_ENDPOINT, CANDOR_DATA, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_REGION. Prints one line per step; exits non-zero on the first mismatch.

import { basename, join } from "node:path";

import {
  AssociateFacesCommand,
  CompareFacesCommand,
  CreateCollectionCommand,
  CreateUserCommand,
  DeleteCollectionCommand,
  DeleteFacesCommand,
  DescribeCollectionCommand,
  DetectFacesCommand,
  DisassociateFacesCommand,
  IndexFacesCommand,
  ListCollectionsCommand,
  ListFacesCommand,
  RekognitionClient,
  SearchFacesByImageCommand,
  SearchUsersByImageCommand,
} from "@aws-sdk/client-rekognition";

import { check, fail, image, pickPeople } from "./support.mjs";

const COLLECTION = "client-test-js";
const PEOPLE = 4; // LFW people indexed; each needs a second photo to search with
// Rekognition's default similarity threshold; on Candor's scale 80 is a
// false-match rate of 1 in 1,000 (README, "Similarity is a false-match rate").
const THRESHOLD = 80;
const ATTRIBUTES_ALL = ["AgeRange", "Emotions", "Pose", "Quality", "Landmarks"];

function step(message) {
  console.log(`js: ${message}`);
}

function makeClient(credentials) {
  // One attempt: a retried error would only slow the error checks down.
  return new RekognitionClient({
    endpoint: process.env.CANDOR_ENDPOINT,
    region: process.env.AWS_REGION,
    maxAttempts: 1,
    ...(credentials ? { credentials } : {}),
  });
}

// Sends and checks that the SDK threw an error named `name`.
async function expectError(name, client, command) {
  try {
    await client.send(command);
  } catch (err) {
    check(err.name === name, `${command.constructor.name}: expected ${name}, got ${err.name}: ${err.message}`);
    return err;
  }
  fail(`${command.constructor.name}: expected ${name}, got success`);
}

async function listAllFaces(client) {
  const faces = [];
  let pages = 0;
  let token;
  do {
    const page = await client.send(
      new ListFacesCommand({ CollectionId: COLLECTION, MaxResults: 2, NextToken: token }),
    );
    pages += 1;
    check(page.Faces.length <= 2, `ListFaces page of ${page.Faces.length} > MaxResults 2`);
    faces.push(...page.Faces);
    token = page.NextToken;
    check(pages < 100, "ListFaces pagination does not end");
  } while (token);
  return { faces, pages };
}

async function main() {
  const people = pickPeople(join(process.env.CANDOR_DATA, "lfw", "images"), PEOPLE);
  const client = makeClient();

  // Collections, and the two collection errors.
  await client.send(new CreateCollectionCommand({ CollectionId: COLLECTION }));
  step(`CreateCollection ${COLLECTION}`);
  await expectError("ResourceAlreadyExistsException", client,
    new CreateCollectionCommand({ CollectionId: COLLECTION }));
  step("CreateCollection twice -> ResourceAlreadyExistsException");
  await expectError("ResourceNotFoundException", client,
    new DescribeCollectionCommand({ CollectionId: "no-such-collection" }));
  step("DescribeCollection missing -> ResourceNotFoundException");

  // IndexFaces: the largest face of each person's first photo.
  const faceIds = new Map();
  for (const { name, gallery } of people) {
    const r = await client.send(new IndexFacesCommand({
      CollectionId: COLLECTION, Image: image(gallery), ExternalImageId: name, MaxFaces: 1,
    }));
    check(r.FaceRecords.length === 1, `IndexFaces ${gallery}: ${r.FaceRecords.length} faces`);
    const face = r.FaceRecords[0].Face;
    check(face.ExternalImageId === name, `IndexFaces echoed ${face.ExternalImageId}`);
    faceIds.set(name, face.FaceId);
  }
  step(`IndexFaces ${faceIds.size} people: ${[...faceIds.keys()].join(", ")}`);

  let described = await client.send(new DescribeCollectionCommand({ CollectionId: COLLECTION }));
  check(described.FaceCount === people.length,
    `DescribeCollection FaceCount ${described.FaceCount}, expected ${people.length}`);
  check(described.CreationTimestamp instanceof Date, "DescribeCollection CreationTimestamp is no date");
  step(`DescribeCollection FaceCount ${described.FaceCount}`);

  // SearchFacesByImage with another photo of each person.
  for (const { name, probe } of people) {
    const r = await client.send(new SearchFacesByImageCommand({
      CollectionId: COLLECTION, Image: image(probe), FaceMatchThreshold: THRESHOLD,
    }));
    check(r.FaceMatches.length > 0, `SearchFacesByImage ${probe}: no match`);
    const best = r.FaceMatches[0];
    check(best.Face.ExternalImageId === name,
      `SearchFacesByImage ${probe}: best match ${best.Face.ExternalImageId}`);
    step(`SearchFacesByImage ${basename(probe)} -> ${name} (${best.Similarity.toFixed(1)})`);
  }

  // CompareFaces: same person matches, different people do not.
  const [a, b] = people;
  let r = await client.send(new CompareFacesCommand({
    SourceImage: image(a.probe), TargetImage: image(a.gallery), SimilarityThreshold: THRESHOLD,
  }));
  check(r.FaceMatches.length > 0 && r.FaceMatches[0].Similarity > THRESHOLD,
    `CompareFaces same person ${a.name}: ${JSON.stringify(r.FaceMatches)}`);
  step(`CompareFaces same person -> ${r.FaceMatches[0].Similarity.toFixed(1)}`);
  r = await client.send(new CompareFacesCommand({
    SourceImage: image(a.gallery), TargetImage: image(b.gallery), SimilarityThreshold: THRESHOLD,
  }));
  check(r.FaceMatches.length === 0, `CompareFaces ${a.name} vs ${b.name} matched`);
  check(r.UnmatchedFaces.length > 0, "CompareFaces of different people: no UnmatchedFaces");
  step("CompareFaces different people -> no match");

  // DetectFaces with every attribute.
  r = await client.send(new DetectFacesCommand({ Image: image(a.probe), Attributes: ["ALL"] }));
  check(r.FaceDetails.length > 0, "DetectFaces ALL: no FaceDetails");
  const missing = ATTRIBUTES_ALL.filter((k) => !r.FaceDetails[0][k]);
  check(missing.length === 0, `DetectFaces ALL: missing ${missing}`);
  step(`DetectFaces ALL -> ${r.FaceDetails.length} face(s) with ${ATTRIBUTES_ALL.join(", ")}`);

  // ListFaces, two at a time.
  let { faces, pages } = await listAllFaces(client);
  check(JSON.stringify(faces.map((f) => f.FaceId).sort()) ===
        JSON.stringify([...faceIds.values()].sort()),
    `ListFaces returned ${faces.length} faces, expected ${faceIds.size}`);
  step(`ListFaces MaxResults 2 -> ${faces.length} faces in ${pages} pages`);

  // Users: one per person, searched by another photo.
  for (const [name, faceId] of faceIds) {
    await client.send(new CreateUserCommand({ CollectionId: COLLECTION, UserId: `user-${name}` }));
    r = await client.send(new AssociateFacesCommand({
      CollectionId: COLLECTION, UserId: `user-${name}`, FaceIds: [faceId],
    }));
    check(r.AssociatedFaces.length === 1 && r.AssociatedFaces[0].FaceId === faceId,
      `AssociateFaces ${name}: ${JSON.stringify(r)}`);
  }
  step(`CreateUser + AssociateFaces for ${faceIds.size} users`);
  for (const { name, probe } of people) {
    r = await client.send(new SearchUsersByImageCommand({ CollectionId: COLLECTION, Image: image(probe) }));
    check(r.UserMatches.length > 0, `SearchUsersByImage ${probe}: no match`);
    const got = r.UserMatches[0].User.UserId;
    check(got === `user-${name}`, `SearchUsersByImage ${probe}: best user ${got}`);
  }
  step("SearchUsersByImage -> the right user for every person");

  // DeleteFaces: refused while the face belongs to a user (as Rekognition
  // does), done once it is disassociated; then the collection shrinks.
  const deletedName = people[people.length - 1].name;
  const deletedId = faceIds.get(deletedName);
  r = await client.send(new DeleteFacesCommand({ CollectionId: COLLECTION, FaceIds: [deletedId] }));
  check(r.DeletedFaces.length === 0 &&
        JSON.stringify(r.UnsuccessfulFaceDeletions[0].Reasons) === '["ASSOCIATED_TO_AN_EXISTING_USER"]',
    `DeleteFaces of an associated face: ${JSON.stringify(r)}`);
  step("DeleteFaces of a user's face -> ASSOCIATED_TO_AN_EXISTING_USER");
  r = await client.send(new DisassociateFacesCommand({
    CollectionId: COLLECTION, UserId: `user-${deletedName}`, FaceIds: [deletedId],
  }));
  check(r.DisassociatedFaces.length === 1 && r.DisassociatedFaces[0].FaceId === deletedId,
    `DisassociateFaces answered ${JSON.stringify(r)}`);
  r = await client.send(new DeleteFacesCommand({ CollectionId: COLLECTION, FaceIds: [deletedId] }));
  check(JSON.stringify(r.DeletedFaces) === JSON.stringify([deletedId]),
    `DeleteFaces answered ${JSON.stringify(r)}`);
  ({ faces } = await listAllFaces(client));
  check(faces.length === faceIds.size - 1, `ListFaces after DeleteFaces: ${faces.length}`);
  described = await client.send(new DescribeCollectionCommand({ CollectionId: COLLECTION }));
  check(described.FaceCount === faceIds.size - 1, `FaceCount after DeleteFaces: ${described.FaceCount}`);
  step(`DisassociateFaces + DeleteFaces ${deletedName} -> ListFaces ${faces.length}, ` +
       `FaceCount ${described.FaceCount}`);

  // Errors the server decides (the SDK does not validate patterns).
  await expectError("InvalidParameterException", client, new IndexFacesCommand({
    CollectionId: COLLECTION, Image: image(a.gallery), ExternalImageId: "has a space",
  }));
  step("IndexFaces ExternalImageId with a space -> InvalidParameterException");
  await expectError("InvalidImageFormatException", client, new DetectFacesCommand({
    Image: { Bytes: Buffer.from("this is plain text, not an image") },
  }));
  step("DetectFaces of text -> InvalidImageFormatException");

  // Authentication errors.
  const wrongSecret = makeClient({
    accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: "W".repeat(40),
  });
  await expectError("InvalidSignatureException", wrongSecret, new ListCollectionsCommand({}));
  step("wrong secret -> InvalidSignatureException");
  const unknownKey = makeClient({ accessKeyId: "CKIAUNKNOWNUNKNOWN23", secretAccessKey: "W".repeat(40) });
  await expectError("UnrecognizedClientException", unknownKey, new ListCollectionsCommand({}));
  step("unknown key id -> UnrecognizedClientException");

  await client.send(new DeleteCollectionCommand({ CollectionId: COLLECTION }));
  r = await client.send(new ListCollectionsCommand({}));
  check(!r.CollectionIds.includes(COLLECTION), "ListCollections still lists the deleted collection");
  step("DeleteCollection");
  step("PASSED");
}

main().catch((err) => fail(`${err.name}: ${err.message}\n${err.stack}`));
