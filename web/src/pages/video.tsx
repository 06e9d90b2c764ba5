// Video: stream processors with their status, and a stored-video job's
// status and matches on a timeline (looked up by JobId: the service keeps no
// list of jobs a key may read).
import { DescribeStreamProcessorCommand, GetFaceSearchCommand, ListStreamProcessorsCommand } from "@aws-sdk/client-rekognition";
import type {
  DescribeStreamProcessorCommandOutput,
  GetFaceSearchCommandOutput,
  ListStreamProcessorsCommandOutput,
} from "@aws-sdk/client-rekognition";
import { useState } from "preact/hooks";

import type { Session } from "../api";
import { Empty, ErrorBox, Loading, TableHead, useAction, useAsync } from "../ui";

export function VideoPage({ session }: { session: Session }) {
  return (
    <section aria-labelledby="video-title">
      <h1 id="video-title">Video</h1>
      {session.allows("ListStreamProcessors") && <StreamProcessors session={session} />}
      {session.allows("GetFaceSearch") && <FaceSearchJob session={session} />}
    </section>
  );
}

function StreamProcessors({ session }: { session: Session }) {
  const [list, reload] = useAsync(async () => {
    const r = await session.send<ListStreamProcessorsCommandOutput>(new ListStreamProcessorsCommand({ MaxResults: 100 }));
    return Promise.all(
      (r.StreamProcessors ?? []).map((p) =>
        session.send<DescribeStreamProcessorCommandOutput>(new DescribeStreamProcessorCommand({ Name: p.Name! })),
      ),
    );
  }, [session]);
  return (
    <section aria-labelledby="streams-title">
      <h2 id="streams-title">Stream processors</h2>
      <button type="button" onClick={reload}>
        Refresh
      </button>
      {list.loading && <Loading what="stream processors" />}
      <ErrorBox error={list.error} />
      {list.value?.length === 0 && <Empty>There are no stream processors.</Empty>}
      {(list.value ?? []).length > 0 && (
        <table>
          <TableHead columns={["Name", "Status", "Collection", "Threshold", "Updated"]} />
          <tbody>
            {list.value!.map((p) => (
              <tr key={p.Name}>
                <td>{p.Name}</td>
                <td>
                  {p.Status} {p.StatusMessage ? `(${p.StatusMessage})` : ""}
                </td>
                <td>{p.Settings?.FaceSearch?.CollectionId}</td>
                <td>{p.Settings?.FaceSearch?.FaceMatchThreshold}</td>
                <td>{p.LastUpdateTimestamp?.toISOString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function FaceSearchJob({ session }: { session: Session }) {
  const [jobId, setJobId] = useState("");
  const [job, setJob] = useState<GetFaceSearchCommandOutput | null>(null);
  const [loading, act] = useAction();
  const persons = job?.Persons ?? [];
  const duration = job?.VideoMetadata?.DurationMillis ?? Math.max(1, ...persons.map((p) => p.Timestamp ?? 0));
  return (
    <section aria-labelledby="job-title">
      <h2 id="job-title">Stored-video face search</h2>
      <form
        class="row"
        onSubmit={async (e) => {
          e.preventDefault();
          const r = await act(() => session.send<GetFaceSearchCommandOutput>(new GetFaceSearchCommand({ JobId: jobId.trim(), MaxResults: 1000 })));
          setJob(r ?? null);
        }}
      >
        <div class="field">
          <label for="job-id">JobId (from StartFaceSearch)</label>
          <input id="job-id" required value={jobId} onInput={(e) => setJobId((e.currentTarget as HTMLInputElement).value)} />
        </div>
        <button type="submit">Look up</button>
      </form>
      <ErrorBox error={loading.error} />
      {job && (
        <>
          <p>
            Status: <strong>{job.JobStatus}</strong> {job.StatusMessage ?? ""}
          </p>
          {persons.length === 0 ? (
            <Empty>No person was found in this video yet.</Empty>
          ) : (
            <svg class="timeline" viewBox="0 0 1000 40" role="img" aria-label={`${persons.length} sightings on the video's timeline`}>
              <line x1="0" y1="20" x2="1000" y2="20" />
              {persons.map((p, i) => (
                <circle key={i} class={p.FaceMatches?.length ? "match" : ""} cx={((p.Timestamp ?? 0) / duration) * 1000} cy="20" r="5">
                  <title>
                    {((p.Timestamp ?? 0) / 1000).toFixed(1)} s: person {p.Person?.Index}
                    {p.FaceMatches?.length ? `, ${p.FaceMatches[0].Face?.ExternalImageId} (${p.FaceMatches[0].Similarity?.toFixed(1)})` : ""}
                  </title>
                </circle>
              ))}
            </svg>
          )}
        </>
      )}
    </section>
  );
}
