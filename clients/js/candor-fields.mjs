// Candor's extension members for the AWS SDK for JavaScript v3.
//
// @aws-sdk/client-rekognition builds each command's output from its model of
// Rekognition, so the members Candor adds to its answers (all named Candor*:
// CandorFalseMatchRate, CandorExpectedFalseMatches, CandorThresholdApplied,
// ...) never reach the caller. withCandorFields(client) keeps them:
//
//   import { RekognitionClient, SearchFacesByImageCommand } from "@aws-sdk/client-rekognition";
//   import { withCandorFields } from "./clients/js/candor-fields.mjs";
//   const client = withCandorFields(new RekognitionClient({ endpoint: "http://127.0.0.1:8080" }));
//   const r = await client.send(new SearchFacesByImageCommand({ ... }));
//   r.CandorExpectedFalseMatches, r.FaceMatches[0].CandorFalseMatchRate
//
// Every Candor* member of a successful answer is copied onto the output, at
// the same place: top level, or nested in the members the SDK does model
// (FaceMatches[i], UserMatches[i], FaceDetails[i], Users[i], ...; lists are
// matched by index). A Candor member's value is the JSON as the server sent
// it: numbers, strings, booleans, objects and lists (timestamps inside
// CandorSession stay epoch seconds). Answers that are not JSON, and errors,
// are left to the SDK untouched.
//
// It needs nothing but the client (no import of the SDK), and works with
// any client of the v3 SDK whose protocol is JSON (Rekognition's is JSON 1.1).
// Tested with @aws-sdk/client-rekognition 3.965.0 (tests/clients/js).

// The parsed JSON answer of each HTTP response, from the inner middleware to
// the outer one. Keyed by the response object, which the SDK's deserializer
// passes on unchanged, so that concurrent and retried sends cannot mix.
const rawBodies = new WeakMap();

// A JSON object, or the SDK's structure for one (not a list, a Date the SDK
// made of a timestamp, or bytes).
const isRecord = (value) =>
  value !== null && typeof value === "object" && !Array.isArray(value) &&
  !(value instanceof Date) && !ArrayBuffer.isView(value);

// Copies every Candor* member of `raw` (the JSON answer) onto `output` (what
// the SDK made of it), recursing into the members both have.
function copyCandorMembers(raw, output) {
  if (Array.isArray(raw)) {
    if (!Array.isArray(output)) return;
    const n = Math.min(raw.length, output.length);
    for (let i = 0; i < n; i++) copyCandorMembers(raw[i], output[i]);
    return;
  }
  if (!isRecord(raw) || !isRecord(output)) return;
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith("Candor")) {
      output[key] = value;
    } else if (Object.hasOwn(output, key)) {
      copyCandorMembers(value, output[key]);
    }
  }
}

/**
 * Adds two middlewares to `client` so that every command's output keeps the
 * Candor* members of Candor's answer. Returns the same client. Calling it
 * twice on one client is harmless (the middlewares are replaced by name).
 *
 * @template {{ middlewareStack: any, config: { streamCollector: (body: any) => Promise<Uint8Array> } }} C
 * @param {C} client an AWS SDK for JavaScript v3 client, e.g. a RekognitionClient
 * @returns {C}
 */
export function withCandorFields(client) {
  const { middlewareStack, config } = client;

  // Inner: within the deserialize step, priority "low" runs closer to the
  // HTTP handler than the SDK's deserializer ("normal"), so it gets the
  // response first. The body is a stream that can be read only once: it is
  // read here, kept parsed, and replaced by its bytes, which the
  // deserializer accepts as a body.
  middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const response = result.response;
      if (response?.statusCode >= 200 && response.statusCode < 300 && response.body != null) {
        const bytes = response.body instanceof Uint8Array
          ? response.body
          : await config.streamCollector(response.body);
        response.body = bytes;
        try {
          rawBodies.set(response, JSON.parse(new TextDecoder().decode(bytes)));
        } catch {
          // Not JSON: there is nothing to copy, and the SDK reports it.
        }
      }
      return result;
    },
    { name: "candorRawBodyMiddleware", step: "deserialize", priority: "low", override: true },
  );

  // Outer: priority "high" runs around the deserializer, so it sees the
  // output the deserializer made and adds the Candor members to it.
  middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const raw = rawBodies.get(result.response);
      if (raw !== undefined && result.output) copyCandorMembers(raw, result.output);
      return result;
    },
    { name: "candorFieldsMiddleware", step: "deserialize", priority: "high", override: true },
  );
  return client;
}
