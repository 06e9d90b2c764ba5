// Candor's extension members reach @aws-sdk/client-rekognition users through
// withCandorFields (clients/js/candor-fields.mjs).
//
// Run by tests/clients/run_client.sh, which starts the server and exports
// CANDOR_ENDPOINT, CANDOR_DATA, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_REGION. For every operation called, the raw JSON answer (read by a
// wrapper of the client's HTTP handler, below the SDK and the helper) is
// compared with the command's output: each Candor* member in it, at any
// depth, with everything inside it, must be in the output. That holds
// whatever members the server adds. A client without the helper must lack
// them. Prints one line per step; exits non-zero on the first mismatch.

import { join } from "node:path";

import {
  AssociateFacesCommand,
  CompareFacesCommand,
  CreateCollectionCommand,
  CreateUserCommand,
  DeleteCollectionCommand,
  DescribeCollectionCommand,
  DetectFacesCommand,
  IndexFacesCommand,
  ListUsersCommand,
  RekognitionClient,
  SearchFacesByImageCommand,
  SearchFacesCommand,
  SearchUsersByImageCommand,
  SearchUsersCommand,
} from "@aws-sdk/client-rekognition";

import { check, fail, image, pickPeople } from "./support.mjs";

import { withCandorFields } from "../../../clients/js/candor-fields.mjs";

const COLLECTION = "client-test-candor-fields-js";
const PEOPLE = 4; // LFW people indexed; each needs a second photo to search with
const THRESHOLD = 80; // Rekognition's default; the collection's policy raises it
// What a Similarity means: the calibration's version, the gallery's measured
// rate (searches) and the claimed and measured rates (DescribeCollection).
const CALIBRATION_MEMBERS = ["CandorCalibrationVersion", "CandorCollectionFalseMatchRate", "CandorFalseMatchRates"];

function step(message) {
  console.log(`candor_fields_js: ${message}`);
}


const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// Where `output` lacks, or changed, a Candor member of the raw JSON: every
// member named Candor* is compared, and everything inside one. Returns
// ["path: why", ...].
function missingCandor(raw, output, path = "", inside = false) {
  if (Array.isArray(raw)) {
    if (!Array.isArray(output) || (inside && output.length !== raw.length)) {
      return inside ? [`${path}: ${JSON.stringify(output)}, expected ${raw.length} items`] : [];
    }
    return raw.flatMap((item, i) => missingCandor(item, output[i], `${path}[${i}]`, inside));
  }
  if (isObject(raw)) {
    if (!isObject(output)) return inside ? [`${path}: ${typeof output}, expected an object`] : [];
    return Object.entries(raw).flatMap(([key, value]) => {
      const candor = inside || key.startsWith("Candor");
      if (!(key in output)) return candor ? [`${path}.${key}: missing`] : [];
      return missingCandor(value, output[key], `${path}.${key}`, candor);
    });
  }
  return !inside || raw === output ? [] : [`${path}: ${JSON.stringify(output)}, sent ${JSON.stringify(raw)}`];
}

// The names of all Candor members in a JSON value, at any depth.
function candorNames(value, names = new Set()) {
  if (Array.isArray(value)) value.forEach((v) => candorNames(v, names));
  else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k.startsWith("Candor")) names.add(k);
      candorNames(v, names);
    }
  }
  return names;
}

// A client whose HTTP handler keeps the raw JSON of each successful answer in
// `client.lastRaw`. The handler runs below every middleware, the helper's
// included, so what it reads is what the server sent.
function makeClient() {
  const client = new RekognitionClient({
    endpoint: process.env.CANDOR_ENDPOINT,
    region: process.env.AWS_REGION,
    maxAttempts: 1,
  });
  const { requestHandler, streamCollector } = client.config;
  client.config.requestHandler = Object.assign(Object.create(requestHandler), {
    async handle(request, options) {
      const result = await requestHandler.handle(request, options);
      const { response } = result;
      if (response.statusCode === 200) {
        response.body = await streamCollector(response.body); // read once, passed on as bytes
        client.lastRaw = JSON.parse(new TextDecoder().decode(response.body));
      }
      return result;
    },
  });
  return client;
}

// Sends; checks that the output keeps every Candor member sent.
const seen = new Set();
async function send(client, command) {
  client.lastRaw = undefined;
  const output = await client.send(command);
  const name = command.constructor.name.replace(/Command$/, "");
  check(client.lastRaw !== undefined, `${name}: no raw answer was seen`);
  const problems = missingCandor(client.lastRaw, output, name);
  check(problems.length === 0, `Candor members the output lacks: ${problems.slice(0, 8).join("; ")}`);
  candorNames(client.lastRaw, seen);
  return output;
}

async function main() {
  const people = pickPeople(join(process.env.CANDOR_DATA, "lfw", "images"), PEOPLE);
  const client = withCandorFields(makeClient());

  await send(client, new CreateCollectionCommand({ CollectionId: COLLECTION }));
  const faceIds = new Map();
  for (const { name, gallery } of people) {
    const r = await send(client, new IndexFacesCommand({
      CollectionId: COLLECTION, Image: image(gallery), ExternalImageId: name, MaxFaces: 1,
    }));
    faceIds.set(name, r.FaceRecords[0].Face.FaceId);
    await send(client, new CreateUserCommand({ CollectionId: COLLECTION, UserId: `user-${name}` }));
    await send(client, new AssociateFacesCommand({
      CollectionId: COLLECTION, UserId: `user-${name}`, FaceIds: [faceIds.get(name)],
    }));
  }
  step(`IndexFaces + CreateUser + AssociateFaces for ${faceIds.size} people`);

  const { name, gallery, probe } = people[0];
  const search = new SearchFacesByImageCommand({
    CollectionId: COLLECTION, Image: image(probe), FaceMatchThreshold: THRESHOLD,
  });
  let r = await send(client, search);
  for (const member of ["CandorExpectedFalseMatches", "CandorFacesSearched", "CandorThresholdApplied"]) {
    check(member in r, `SearchFacesByImage: no ${member} in ${JSON.stringify(r)}`);
  }
  check(r.CandorFacesSearched === people.length, `CandorFacesSearched ${r.CandorFacesSearched}`);
  check(r.FaceMatches.length > 0 && "CandorFalseMatchRate" in r.FaceMatches[0],
    `SearchFacesByImage: no FaceMatches[0].CandorFalseMatchRate in ${JSON.stringify(r.FaceMatches)}`);
  step(`SearchFacesByImage -> CandorFacesSearched ${r.CandorFacesSearched}, ` +
    `CandorExpectedFalseMatches ${r.CandorExpectedFalseMatches.toPrecision(3)}, ` +
    `CandorThresholdApplied ${r.CandorThresholdApplied}, ` +
    `FaceMatches[0].CandorFalseMatchRate ${r.FaceMatches[0].CandorFalseMatchRate.toPrecision(3)}`);

  r = await send(client, new CompareFacesCommand({
    SourceImage: image(probe), TargetImage: image(gallery), SimilarityThreshold: THRESHOLD,
  }));
  check(r.FaceMatches.length > 0 && "CandorFalseMatchRate" in r.FaceMatches[0],
    `CompareFaces: no FaceMatches[0].CandorFalseMatchRate in ${JSON.stringify(r.FaceMatches)}`);
  step(`CompareFaces -> FaceMatches[0].CandorFalseMatchRate ${r.FaceMatches[0].CandorFalseMatchRate.toPrecision(3)}`);

  // The other operations whose answers carry Candor members: the generic
  // check in send() is the test.
  await send(client, new SearchFacesCommand({
    CollectionId: COLLECTION, FaceId: faceIds.get(name), FaceMatchThreshold: THRESHOLD,
  }));
  await send(client, new SearchUsersCommand({ CollectionId: COLLECTION, UserId: `user-${name}` }));
  await send(client, new SearchUsersByImageCommand({ CollectionId: COLLECTION, Image: image(probe) }));
  await send(client, new ListUsersCommand({ CollectionId: COLLECTION }));
  await send(client, new DescribeCollectionCommand({ CollectionId: COLLECTION }));
  await send(client, new DetectFacesCommand({ Image: image(probe), Attributes: ["ALL"] }));
  // Concurrent sends on one client: each output gets its own answer's members.
  const concurrent = await Promise.all(people.map(({ probe: p }) => client.send(
    new SearchFacesByImageCommand({ CollectionId: COLLECTION, Image: image(p), FaceMatchThreshold: THRESHOLD }))));
  concurrent.forEach((out, i) => check(
    out.FaceMatches.length > 0 && out.FaceMatches[0].Face.ExternalImageId === people[i].name &&
      "CandorFalseMatchRate" in out.FaceMatches[0] && "CandorExpectedFalseMatches" in out,
    `concurrent SearchFacesByImage ${i}: ${JSON.stringify(out)}`));
  step(`every Candor member sent is in the outputs: ${[...seen].sort().join(", ")}`);
  for (const member of CALIBRATION_MEMBERS) check(seen.has(member), `${member} was not in any output`);

  // Without the helper, the SDK drops them.
  const plain = makeClient();
  r = await plain.send(search);
  const dropped = missingCandor(plain.lastRaw, r, "SearchFacesByImage");
  check(!("CandorExpectedFalseMatches" in r) && dropped.length > 0,
    `a client without withCandorFields kept Candor members: ${[...candorNames(r)].join(", ")}`);
  step(`without withCandorFields the SDK drops ${dropped.length} Candor members, e.g. ${dropped.slice(0, 3).join("; ")}`);

  await send(client, new DeleteCollectionCommand({ CollectionId: COLLECTION }));
  step("PASSED");
}

main().catch((err) => fail(`${err.name}: ${err.message}\n${err.stack}`));
