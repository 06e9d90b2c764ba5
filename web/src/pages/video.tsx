// Video: stored-video jobs (Candor.ListVideoJobs, started here with
// StartFaceSearch or StartFaceDetection from a video under the service's
// --s3-root), each with its status and its sightings and matches on a
// timeline; and the stream processors with their status.
import {
  DescribeStreamProcessorCommand,
  GetFaceDetectionCommand,
  GetFaceSearchCommand,
  ListStreamProcessorsCommand,
  StartFaceDetectionCommand,
  StartFaceSearchCommand,
} from "@aws-sdk/client-rekognition";
import type {
  DescribeStreamProcessorCommandOutput,
  GetFaceDetectionCommandOutput,
  GetFaceSearchCommandOutput,
  ListStreamProcessorsCommandOutput,
  StartFaceSearchCommandOutput,
} from "@aws-sdk/client-rekognition";
import { useEffect, useState } from "preact/hooks";

import type { Session } from "../api";
import { CollectionSelect, ReasonField, useCollectionPolicy } from "../collection_select";
import { Empty, ErrorBox, Loading, NumberField, TableHead, timeText, useAction, useAsync } from "../ui";

export function VideoPage({ session }: { session: Session }) {
  return (
    <section aria-labelledby="video-title">
      <h1 id="video-title">Video</h1>
      {session.allows("Candor.ListVideoJobs") && <VideoJobs session={session} />}
      {session.allows("ListStreamProcessors") && <StreamProcessors session={session} />}
    </section>
  );
}

interface VideoJob {
  JobId: string;
  JobType: "FaceSearch" | "FaceDetection";
  JobStatus: string;
  StatusMessage?: string;
  Video: string;
  CollectionId?: string;
  CreationTimestamp: number;
  CompletionTimestamp?: number;
}

const POLL_MS = 3000;

function VideoJobs({ session }: { session: Session }) {
  const [jobs, reload] = useAsync(
    async () => (await session.candor<{ VideoJobs: VideoJob[] }>("ListVideoJobs", { MaxResults: 50 })).VideoJobs,
    [session],
  );
  const [open, setOpen] = useState<VideoJob | null>(null);
  const running = (jobs.value ?? []).some((j) => j.JobStatus === "IN_PROGRESS");
  // While a job runs, its state is read again every few seconds.
  useEffect(() => {
    if (!running) return;
    const timer = window.setTimeout(reload, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [jobs.value, running, reload]);
  const current = open && (jobs.value ?? []).find((j) => j.JobId === open.JobId);
  return (
    <section aria-labelledby="jobs-title">
      <h2 id="jobs-title">Stored-video jobs</h2>
      <StartJob session={session} onStarted={reload} />
      {jobs.loading && !jobs.value && <Loading what="video jobs" />}
      <ErrorBox error={jobs.error} />
      {jobs.value?.length === 0 && <Empty>There are no video jobs yet.</Empty>}
      {(jobs.value ?? []).length > 0 && (
        <table class="video-jobs">
          <TableHead columns={["Job", "Type", "Status", "Video", "Collection", "Started"]} />
          <tbody>
            {jobs.value!.map((j) => (
              <tr key={j.JobId} class={open?.JobId === j.JobId ? "selected" : ""}>
                <td>
                  <button type="button" class="link mono" onClick={() => setOpen(j)} aria-label={`Open job ${j.JobId}`}>
                    {j.JobId.slice(0, 8)}…
                  </button>
                </td>
                <td>{j.JobType}</td>
                <td class={j.JobStatus === "FAILED" ? "refused" : ""}>
                  {j.JobStatus} {j.StatusMessage ?? ""}
                </td>
                <td>{j.Video}</td>
                <td>{j.CollectionId ?? ""}</td>
                <td>{timeText(j.CreationTimestamp)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {current && <JobTimeline key={`${current.JobId}-${current.JobStatus}`} session={session} job={current} />}
    </section>
  );
}

function StartJob({ session, onStarted }: { session: Session; onStarted: () => void }) {
  const [bucket, setBucket] = useState("");
  const [name, setName] = useState("");
  const [collection, setCollection] = useState("");
  const [threshold, setThreshold] = useState("80");
  const [reason, setReason] = useState("");
  const [policy] = useCollectionPolicy(session, collection);
  const [starting, act] = useAction();
  const [started, setStarted] = useState<StartFaceSearchCommandOutput | null>(null);
  const video = { S3Object: { Bucket: bucket.trim(), Name: name.trim() } };
  const done = (r: StartFaceSearchCommandOutput | undefined) => {
    if (!r) return;
    setStarted(r);
    onStarted();
  };
  const search = session.allows("StartFaceSearch");
  const detect = session.allows("StartFaceDetection");
  if (!search && !detect) return null;
  return (
    <form class="start-job" onSubmit={(e) => e.preventDefault()}>
      <div class="row">
        <div class="field">
          <label for="video-bucket">Bucket (a folder under the service's --s3-root)</label>
          <input id="video-bucket" value={bucket} onInput={(e) => setBucket((e.currentTarget as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="video-name">Video file</label>
          <input id="video-name" value={name} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
        </div>
      </div>
      {search && (
        <div class="row">
          <CollectionSelect session={session} id="video-collection" value={collection} onChange={setCollection} />
          <NumberField id="video-threshold" label="FaceMatchThreshold" min={0} max={100} step={0.1} value={threshold} onInput={setThreshold} />
          <ReasonField id="video-reason" session={session} policy={policy.value} value={reason} onInput={setReason} />
          <button
            type="button"
            class="primary"
            disabled={!bucket || !name || !collection || starting.running}
            onClick={async () =>
              done(
                await act(() =>
                  session.send<StartFaceSearchCommandOutput>(
                    new StartFaceSearchCommand({ Video: video, CollectionId: collection, FaceMatchThreshold: Number(threshold) }),
                    reason.trim() || undefined,
                  ),
                ),
              )
            }
          >
            Start face search
          </button>
        </div>
      )}
      {detect && (
        <button
          type="button"
          disabled={!bucket || !name || starting.running}
          onClick={async () => done(await act(() => session.send(new StartFaceDetectionCommand({ Video: video }))))}
        >
          Start face detection
        </button>
      )}
      <ErrorBox error={starting.error} />
      {started && (
        <p role="status">
          Started job <span class="mono">{started.JobId}</span>.
        </p>
      )}
    </form>
  );
}

interface Sighting {
  ms: number;
  label: string;
  match?: { name: string; similarity?: number; faceId?: string };
}

// Every page of a job's results, as sightings in time order.
async function sightings(session: Session, job: VideoJob): Promise<{ duration: number; status: string; points: Sighting[] }> {
  const points: Sighting[] = [];
  let token: string | undefined;
  let duration = 0;
  let status = "";
  do {
    if (job.JobType === "FaceSearch") {
      const r = await session.send<GetFaceSearchCommandOutput>(new GetFaceSearchCommand({ JobId: job.JobId, MaxResults: 1000, NextToken: token }));
      for (const p of r.Persons ?? []) {
        const best = p.FaceMatches?.[0];
        points.push({
          ms: p.Timestamp ?? 0,
          label: `person ${p.Person?.Index ?? "?"}`,
          match: best ? { name: best.Face?.ExternalImageId ?? best.Face?.FaceId ?? "?", similarity: best.Similarity, faceId: best.Face?.FaceId } : undefined,
        });
      }
      duration = r.VideoMetadata?.DurationMillis ?? duration;
      status = r.JobStatus ?? status;
      token = r.NextToken;
    } else {
      const r = await session.send<GetFaceDetectionCommandOutput>(new GetFaceDetectionCommand({ JobId: job.JobId, MaxResults: 1000, NextToken: token }));
      for (const f of r.Faces ?? []) points.push({ ms: f.Timestamp ?? 0, label: `face (${f.Face?.Confidence?.toFixed(0)}%)` });
      duration = r.VideoMetadata?.DurationMillis ?? duration;
      status = r.JobStatus ?? status;
      token = r.NextToken;
    }
  } while (token);
  return { duration: duration || Math.max(1, ...points.map((p) => p.ms)), status, points };
}

function JobTimeline({ session, job }: { session: Session; job: VideoJob }) {
  const [result] = useAsync(() => sightings(session, job), [session, job.JobId]);
  const r = result.value;
  const matches = (r?.points ?? []).filter((p) => p.match);
  return (
    <section class="job" aria-labelledby="job-title">
      <h3 id="job-title">
        {job.JobType} {job.JobId}: {job.JobStatus}
      </h3>
      {result.loading && <Loading what="the job's results" />}
      <ErrorBox error={result.error} />
      {r && r.points.length === 0 && <Empty>{job.JobStatus === "IN_PROGRESS" ? "The job is still running." : "No face was seen in this video."}</Empty>}
      {r && r.points.length > 0 && (
        <>
          <svg class="timeline" viewBox="0 0 1000 50" role="img" aria-label={`${r.points.length} sightings, ${matches.length} matched, over ${(r.duration / 1000).toFixed(1)} s`}>
            <line x1="0" y1="25" x2="1000" y2="25" />
            {r.points.map((p, i) => (
              <circle key={i} class={p.match ? "match" : ""} cx={5 + (p.ms / r.duration) * 990} cy="25" r={p.match ? 7 : 4}>
                <title>
                  {(p.ms / 1000).toFixed(2)} s: {p.label}
                  {p.match ? `, ${p.match.name} (Similarity ${p.match.similarity?.toFixed(1)})` : ""}
                </title>
              </circle>
            ))}
            <text x="0" y="48">0 s</text>
            <text x="1000" y="48" text-anchor="end">
              {(r.duration / 1000).toFixed(1)} s
            </text>
          </svg>
          <p>
            {r.points.length} sightings; {matches.length} matched a face of the collection.
          </p>
          {matches.length > 0 && (
            <table class="video-matches">
              <TableHead columns={["Time", "Seen", "ExternalImageId", "Similarity", "FaceId"]} />
              <tbody>
                {matches.map((p, i) => (
                  <tr key={i}>
                    <td>{(p.ms / 1000).toFixed(2)} s</td>
                    <td>{p.label}</td>
                    <td>{p.match!.name}</td>
                    <td>{p.match!.similarity?.toFixed(2)}</td>
                    <td class="mono">{p.match!.faceId}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
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
