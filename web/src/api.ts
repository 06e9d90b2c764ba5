// The console's one way to the service: the page's own origin, every request
// signed with SigV4 in the page by the access key typed at sign-in (held in
// this module's memory only; never stored, never sent).
//
// Rekognition's operations go through the AWS SDK for JavaScript v3, with
// clients/js/candor-fields.mjs so that Candor's members (CandorFalseMatchRate,
// CandorThresholdApplied, ...) reach the page; Candor's own operations
// (X-Amz-Target: Candor.*) are signed by the SDK's SigV4 signer and sent with
// fetch. Every failure becomes a ServiceError carrying the service's __type
// and message, which the page shows as they are.
import { RekognitionClient } from "@aws-sdk/client-rekognition";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";

import { withCandorFields } from "../../clients/js/candor-fields.mjs";

// Signatures for any region are accepted unless `candor serve --region`
// pins one; the service name in the scope is Rekognition's.
const REGION = "us-east-1";
const SERVICE = "rekognition";

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
}

// Candor.GetCallerIdentity's answer.
export interface Identity {
  Principal: string;
  Roles: string[];
  Operations: string[];
  CaseReason?: string;
}

// An error as the service named it (__type and message), or as the page
// met it (NetworkError when the service could not be reached).
export class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = type;
  }
}

export function asServiceError(e: unknown): ServiceError {
  if (e instanceof ServiceError) return e;
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  if (err && typeof err === "object" && typeof err.name === "string") {
    // The SDK names a failed fetch TypeError; the service never does.
    if (err.name === "TypeError") {
      return new ServiceError("NetworkError", `the service could not be reached: ${err.message}`);
    }
    return new ServiceError(err.name, err.message ?? "", err.$metadata?.httpStatusCode);
  }
  return new ServiceError("Error", String(e));
}

// The service's clock, from the message of a refused signature that was
// too old or too new: "Signature expired: ... (20261207T120000Z - 15 min.)".
// The service sends no Date header, so this is how a page whose clock is
// wrong learns the right time (botocore reads the same message).
export function serviceClockMs(message: string): number | undefined {
  const m = /\((\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z [-+] \d+ min\.\)/.exec(message);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

// Something the SDK's send() accepts; each command has its own middleware
// stack, where the reason header is added.
interface Command<Out> {
  middlewareStack: { add(middleware: unknown, options: object): void };
  readonly __out?: Out;
}

export class Session {
  readonly rekognition: RekognitionClient;
  private readonly signer: SignatureV4;
  // Added to this page's clock when signing (see serviceClockMs).
  private clockOffsetMs = 0;

  private constructor(
    readonly key: AccessKey,
    public identity: Identity,
  ) {
    this.rekognition = withCandorFields(
      new RekognitionClient({
        region: REGION,
        endpoint: window.location.origin,
        credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
        // The console shows a refusal at once; a person retries.
        maxAttempts: 1,
      }),
    );
    this.signer = new SignatureV4({
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
      region: REGION,
      service: SERVICE,
      sha256: Sha256,
    });
  }

  // Signs in: the key is good when Candor.GetCallerIdentity answers.
  static async open(key: AccessKey): Promise<Session> {
    const probe = new Session(key, { Principal: "", Roles: [], Operations: [] });
    probe.identity = await probe.candor<Identity>("GetCallerIdentity", {});
    return probe;
  }

  // Whether the key's roles allow `operation` ("SearchFacesByImage",
  // "Candor.PutCollectionPolicy"): what they do not is not offered.
  allows(operation: string): boolean {
    return this.identity.Operations.includes(operation);
  }

  // Whether `e` says the signature's time was off; if so, the clock offset
  // is corrected for the SDK and for Candor's operations, once.
  private correctedClock(e: ServiceError): boolean {
    if (e.type !== "InvalidSignatureException") return false;
    const now = serviceClockMs(e.message);
    if (now === undefined) return false;
    const offset = now - Date.now();
    if (Math.abs(offset - this.clockOffsetMs) < 60000) return false;  // not the clock
    this.clockOffsetMs = offset;
    (this.rekognition.config as { systemClockOffset?: number }).systemClockOffset = offset;
    return true;
  }

  // A Rekognition operation through the SDK. `reason` goes in
  // X-Candor-Reason (signed with the rest). Sent again once when the page's
  // clock turns out to be wrong.
  async send<Out>(command: unknown, reason?: string): Promise<Out> {
    const c = command as Command<Out>;
    if (reason) {
      c.middlewareStack.add(
        (next: (args: { request: { headers: Record<string, string> } }) => Promise<unknown>) =>
          (args: { request: { headers: Record<string, string> } }) => {
            args.request.headers["x-candor-reason"] = reason;
            return next(args);
          },
        { step: "build", name: "candorReason" },
      );
    }
    try {
      return (await this.rekognition.send(command as never)) as Out;
    } catch (e) {
      const error = asServiceError(e);
      if (!this.correctedClock(error)) throw error;
    }
    try {
      return (await this.rekognition.send(command as never)) as Out;
    } catch (e) {
      throw asServiceError(e);
    }
  }

  // A Candor operation ("ListAuditEvents"), signed like the SDK's requests;
  // sent again once when the page's clock turns out to be wrong.
  async candor<Out>(operation: string, body: object, reason?: string): Promise<Out> {
    try {
      return await this.candorOnce<Out>(operation, body, reason);
    } catch (e) {
      if (!(e instanceof ServiceError) || !this.correctedClock(e)) throw e;
      return this.candorOnce<Out>(operation, body, reason);
    }
  }

  private async candorOnce<Out>(operation: string, body: object, reason?: string): Promise<Out> {
    const url = new URL(window.location.origin);
    const headers: Record<string, string> = {
      host: url.host,
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `Candor.${operation}`,
    };
    if (reason) headers["x-candor-reason"] = reason;
    const request = new HttpRequest({
      method: "POST",
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: "/",
      headers,
      body: JSON.stringify(body),
    });
    const signed = await this.signer.sign(request, { signingDate: new Date(Date.now() + this.clockOffsetMs) });
    const sent: Record<string, string> = {};
    // The browser sets Host itself, to the value signed.
    for (const [k, v] of Object.entries(signed.headers)) if (k !== "host") sent[k] = v;
    let response: Response;
    try {
      response = await fetch("/", { method: "POST", headers: sent, body: signed.body as string });
    } catch (e) {
      throw new ServiceError("NetworkError", `the service could not be reached: ${String(e)}`);
    }
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new ServiceError("SerializationException", `the service answered ${response.status}: ${text.slice(0, 200)}`, response.status);
    }
    if (!response.ok) {
      const type = String(json.__type ?? `HTTP${response.status}`).split("#").pop()!;
      throw new ServiceError(type, String(json.message ?? json.Message ?? ""), response.status);
    }
    return json as Out;
  }
}

// Image bytes of a file the user chose.
export async function fileBytes(file: Blob): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}
