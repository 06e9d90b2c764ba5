// Search: a photo, its faces, one chosen, searched in a collection under the
// collection's policy. Matches show Similarity and the false-match rate it
// stands for; the search shows what the policy did to it. Gallery images are
// never shown: Candor keeps none.
import { SearchFacesByImageCommand } from "@aws-sdk/client-rekognition";
import type { SearchFacesByImageCommandOutput } from "@aws-sdk/client-rekognition";
import type { CandorMatchFields, CandorSearchFields } from "../../../clients/js/candor-fields.mjs";
import { useState } from "preact/hooks";

import { Session, fileBytes } from "../api";
import { CollectionSelect, ReasonField, useCollectionPolicy } from "../collection_select";
import { cropFace, findFaces } from "../faces";
import {
  Box,
  Empty,
  ErrorBox,
  FacePhoto,
  Loading,
  NumberField,
  PhotoPicker,
  rateText,
  similarityMeaning,
  TableHead,
  useAction,
  useObjectUrl,
} from "../ui";

type SearchResult = SearchFacesByImageCommandOutput & CandorSearchFields;

export function SearchPage({ session }: { session: Session }) {
  const [collection, setCollection] = useState("");
  const [photo, setPhoto] = useState<File | null>(null);
  const [faces, setFaces] = useState<Box[] | null>(null);
  const [chosen, setChosen] = useState(0);
  const [threshold, setThreshold] = useState("80");
  const [maxFaces, setMaxFaces] = useState("10");
  const [reason, setReason] = useState("");
  const [result, setResult] = useState<SearchResult | null>(null);
  const [finding, find] = useAction();
  const [searching, search] = useAction();
  const url = useObjectUrl(photo);
  const [policy] = useCollectionPolicy(session, collection);

  const choosePhoto = async (f: File) => {
    setPhoto(f);
    setFaces(null);
    setResult(null);
    setChosen(0);
    const found = await find(async () => findFaces(session, await fileBytes(f)));
    if (found) setFaces(found);
  };

  const run = async () => {
    if (!photo || !faces || faces.length === 0) return;
    setResult(null);
    const r = await search(async () => {
      const bytes = faces.length > 1 ? await cropFace(photo, faces[chosen]) : await fileBytes(photo);
      return session.send<SearchResult>(
        new SearchFacesByImageCommand({
          CollectionId: collection,
          Image: { Bytes: bytes },
          FaceMatchThreshold: Number(threshold),
          MaxFaces: Number(maxFaces),
        }),
        reason.trim() || undefined,
      );
    });
    if (r) setResult(r);
  };

  const p = policy.value;
  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title">Search a collection</h1>
      <div class="columns">
        <div class="column">
          <CollectionSelect session={session} id="search-collection" value={collection} onChange={setCollection} />
          {policy.loading && collection ? <Loading what="the policy" /> : null}
          <ErrorBox error={policy.error} />
          {p && (
            <p class="policy-line">
              Purpose: <strong>{p.Purpose || "(none stated)"}</strong>. Floor {p.ThresholdFloor} (
              {p.RefuseBelowFloor ? "searches below it are refused" : "searches below it are raised to it"}), at most{" "}
              {p.MaxFaces} matches{p.ReasonRequired ? ", a reason is required" : ""}.
            </p>
          )}
          <PhotoPicker id="search-photo" label="Photo to search with" onFile={choosePhoto} />
          {finding.running && <Loading what="the faces in the photo" />}
          <ErrorBox error={finding.error} />
          {faces && faces.length === 0 && <Empty>No face was found in this photo.</Empty>}
          {faces && faces.length > 1 && (
            <fieldset class="face-choice">
              <legend>Face to search with</legend>
              {faces.map((_, i) => (
                <label key={i}>
                  <input type="radio" name="face" checked={chosen === i} onChange={() => setChosen(i)} /> Face {i + 1}
                </label>
              ))}
            </fieldset>
          )}
          <div class="row">
            <NumberField id="search-threshold" label="FaceMatchThreshold" min={0} max={100} step={0.1} value={threshold} onInput={setThreshold} />
            <NumberField id="search-max-faces" label="MaxFaces" min={1} max={4096} value={maxFaces} onInput={setMaxFaces} />
          </div>
          <ReasonField id="search-reason" session={session} policy={p} value={reason} onInput={setReason} />
          <button
            type="button"
            class="primary"
            disabled={!collection || !faces || faces.length === 0 || searching.running}
            onClick={run}
          >
            {searching.running ? "Searching…" : "Search"}
          </button>
          <ErrorBox error={searching.error} />
        </div>
        <div class="column">
          {url && (
            <FacePhoto
              src={url}
              alt="the photo searched with"
              faces={(faces ?? []).map((box, i) => ({ box, label: `Face ${i + 1}`, selected: i === chosen }))}
              onSelect={setChosen}
            />
          )}
        </div>
      </div>
      {result && <SearchResultView result={result} reason={reason.trim() || session.identity.CaseReason} />}
    </section>
  );
}

function SearchResultView({ result, reason }: { result: SearchResult; reason?: string }) {
  const matches = (result.FaceMatches ?? []) as (NonNullable<SearchResult["FaceMatches"]>[number] & CandorMatchFields)[];
  return (
    <section class="result" aria-labelledby="result-title" aria-live="polite">
      <h2 id="result-title">
        {matches.length} {matches.length === 1 ? "match" : "matches"}
      </h2>
      <dl class="facts">
        <dt>Purpose</dt>
        <dd>{result.CandorPurpose || "(none stated)"}</dd>
        <dt>Reason</dt>
        <dd>{reason || "(none given)"}</dd>
        <dt>Threshold</dt>
        <dd class="threshold">
          asked {result.CandorThresholdRequested}, applied {result.CandorThresholdApplied}
          {result.CandorThresholdRaised ? (
            <strong class="raised"> — raised to the collection's floor</strong>
          ) : (
            " — not raised"
          )}
        </dd>
        <dt>Faces searched</dt>
        <dd>{result.CandorFacesSearched}</dd>
        <dt>Expected false matches</dt>
        <dd class="expected">
          {result.CandorExpectedFalseMatches?.toPrecision(2)} (CandorExpectedFalseMatches: the false-match rate at the
          applied threshold times the faces searched)
        </dd>
        <dt>MaxFaces applied</dt>
        <dd>{result.CandorMaxResultsApplied}</dd>
      </dl>
      {matches.length === 0 ? (
        <Empty>No face in the collection reaches the applied threshold.</Empty>
      ) : (
        <table class="matches">
          <caption>Matches, most similar first (gallery images are not kept, so none are shown)</caption>
          <TableHead columns={["#", "ExternalImageId", "Similarity", "False-match rate", "FaceId"]} />
          <tbody>
            {matches.map((m, i) => (
              <tr key={m.Face?.FaceId}>
                <td>{i + 1}</td>
                <td class="external-id">{m.Face?.ExternalImageId ?? "—"}</td>
                <td class="similarity">{m.Similarity?.toFixed(2)}</td>
                <td class="meaning" title={similarityMeaning(m.Similarity, m.CandorFalseMatchRate)}>
                  {rateText(m.CandorFalseMatchRate)} comparisons of different people score this high
                </td>
                <td class="mono">{m.Face?.FaceId}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
