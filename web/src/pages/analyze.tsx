// Compare (searcher) and Detect (analyst): photos with their faces' boxes
// and landmarks drawn, attributes with their confidence, and what a
// Similarity means.
import { CompareFacesCommand, DetectFacesCommand } from "@aws-sdk/client-rekognition";
import type { CompareFacesCommandOutput, DetectFacesCommandOutput, FaceDetail } from "@aws-sdk/client-rekognition";
import type { CandorAttributeFields, CandorFaceDetailFields, CandorMatchFields } from "../../../clients/js/candor-fields.mjs";
import { useState } from "preact/hooks";

import { Session, fileBytes } from "../api";
import { Empty, ErrorBox, FacePhoto, Loading, PhotoPicker, rateText, TableHead, useAction, useObjectUrl } from "../ui";

export function ComparePage({ session }: { session: Session }) {
  const [source, setSource] = useState<File | null>(null);
  const [target, setTarget] = useState<File | null>(null);
  const [result, setResult] = useState<CompareFacesCommandOutput | null>(null);
  const [comparing, act] = useAction();
  const sourceUrl = useObjectUrl(source);
  const targetUrl = useObjectUrl(target);
  const run = async () => {
    if (!source || !target) return;
    setResult(null);
    const r = await act(async () =>
      session.send<CompareFacesCommandOutput>(
        new CompareFacesCommand({
          SourceImage: { Bytes: await fileBytes(source) },
          TargetImage: { Bytes: await fileBytes(target) },
          SimilarityThreshold: 0,
        }),
      ),
    );
    if (r) setResult(r);
  };
  const matches = (result?.FaceMatches ?? []) as (NonNullable<CompareFacesCommandOutput["FaceMatches"]>[number] & CandorMatchFields)[];
  return (
    <section aria-labelledby="compare-title">
      <h1 id="compare-title">Compare two photos</h1>
      <div class="columns">
        <div class="column">
          <PhotoPicker id="compare-source" label="Source photo (its largest face)" onFile={(f) => (setSource(f), setResult(null))} />
          {sourceUrl && (
            <FacePhoto
              src={sourceUrl}
              alt="source photo"
              faces={result?.SourceImageFace?.BoundingBox ? [{ box: result.SourceImageFace.BoundingBox, label: "Source face", selected: true }] : []}
            />
          )}
        </div>
        <div class="column">
          <PhotoPicker id="compare-target" label="Target photo (every face)" onFile={(f) => (setTarget(f), setResult(null))} />
          {targetUrl && (
            <FacePhoto
              src={targetUrl}
              alt="target photo"
              faces={[
                ...matches.map((m, i) => ({
                  box: m.Face?.BoundingBox ?? {},
                  landmarks: m.Face?.Landmarks,
                  label: `Match ${i + 1}: ${m.Similarity?.toFixed(1)}`,
                  tone: "match" as const,
                })),
                ...(result?.UnmatchedFaces ?? []).map((f, i) => ({ box: f.BoundingBox ?? {}, landmarks: f.Landmarks, label: `Face ${matches.length + i + 1}` })),
              ]}
            />
          )}
        </div>
      </div>
      <button type="button" class="primary" disabled={!source || !target || comparing.running} onClick={run}>
        {comparing.running ? "Comparing…" : "Compare"}
      </button>
      {comparing.running && <Loading what="the comparison" />}
      <ErrorBox error={comparing.error} />
      {result && (
        <section class="result" aria-live="polite">
          <h2>Result</h2>
          {matches.length === 0 && (result.UnmatchedFaces ?? []).length === 0 && <Empty>No face in the target photo.</Empty>}
          <ul>
            {matches.map((m, i) => (
              <li key={i}>
                Match {i + 1}: <strong class="similarity">Similarity {m.Similarity?.toFixed(2)}</strong>: two different
                people score this high in about {rateText(m.CandorFalseMatchRate)} comparisons.
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}

type Detail = FaceDetail & CandorFaceDetailFields;

export function DetectPage({ session }: { session: Session }) {
  const [photo, setPhoto] = useState<File | null>(null);
  const [result, setResult] = useState<(DetectFacesCommandOutput & CandorAttributeFields) | null>(null);
  const [detecting, act] = useAction();
  const url = useObjectUrl(photo);
  const choose = async (f: File) => {
    setPhoto(f);
    setResult(null);
    const r = await act(async () =>
      session.send<DetectFacesCommandOutput & CandorAttributeFields>(
        new DetectFacesCommand({ Image: { Bytes: await fileBytes(f) }, Attributes: ["ALL"] }),
      ),
    );
    if (r) setResult(r);
  };
  const faces = (result?.FaceDetails ?? []) as Detail[];
  return (
    <section aria-labelledby="detect-title">
      <h1 id="detect-title">Detect faces</h1>
      <PhotoPicker id="detect-photo" label="Photo" onFile={choose} />
      {detecting.running && <Loading what="the faces" />}
      <ErrorBox error={detecting.error} />
      <div class="columns">
        <div class="column">
          {url && (
            <FacePhoto
              src={url}
              alt="photo analysed"
              faces={faces.map((f, i) => ({ box: f.BoundingBox ?? {}, landmarks: f.Landmarks, label: `Face ${i + 1}` }))}
            />
          )}
        </div>
        <div class="column">
          {result && faces.length === 0 && <Empty>No face was found in this photo.</Empty>}
          {faces.map((f, i) => (
            <Attributes key={i} index={i + 1} face={f} />
          ))}
          {result?.CandorAttributesNotProduced?.length ? (
            <p class="hint">Not produced by any network here: {result.CandorAttributesNotProduced.join(", ")}.</p>
          ) : null}
        </div>
      </div>
    </section>
  );
}

function Attributes({ index, face }: { index: number; face: Detail }) {
  const withheld = (face as { CandorGenderWithheld?: string }).CandorGenderWithheld;
  const rows: [string, string, number | undefined][] = [
    ["Face", "", face.Confidence],
    ["Age range", face.AgeRange ? `${face.AgeRange.Low}–${face.AgeRange.High}` : "", undefined],
    // Candor withholds Gender where its network only guesses, and says why.
    ["Gender", withheld ? `withheld: ${withheld}` : String(face.Gender?.Value ?? ""), face.Gender?.Confidence],
    ["Smile", String(face.Smile?.Value ?? ""), face.Smile?.Confidence],
    ["Eyes open", String(face.EyesOpen?.Value ?? ""), face.EyesOpen?.Confidence],
    ["Mouth open", String(face.MouthOpen?.Value ?? ""), face.MouthOpen?.Confidence],
    ...(face.Emotions ?? []).slice(0, 3).map((e): [string, string, number | undefined] => ["Emotion", String(e.Type), e.Confidence]),
    [
      "Pose",
      face.Pose ? `yaw ${face.Pose.Yaw?.toFixed(0)}°, pitch ${face.Pose.Pitch?.toFixed(0)}°, roll ${face.Pose.Roll?.toFixed(0)}°` : "",
      undefined,
    ],
    ["Quality", face.Quality ? `brightness ${face.Quality.Brightness?.toFixed(0)}, sharpness ${face.Quality.Sharpness?.toFixed(0)}` : "", undefined],
    ["Liveness", face.CandorLiveness ? `score ${face.CandorLiveness.Score.toFixed(0)}` : "", undefined],
  ];
  return (
    <table class="attributes">
      <caption>Face {index}</caption>
      <TableHead columns={["Attribute", "Value", "Confidence"]} />
      <tbody>
        {rows
          .filter(([, v, c]) => v !== "" || c !== undefined)
          .map(([name, v, c], i) => (
            <tr key={i}>
              <th scope="row">{name}</th>
              <td>{v}</td>
              <td>{c === undefined ? "" : `${c.toFixed(1)}%`}</td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}
