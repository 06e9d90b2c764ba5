// Health: GET /metrics (Prometheus text, no signature) read every few
// seconds; requests, latency, queue depth and faces per collection as
// charts (SVG drawn here: no chart library, nothing loaded from elsewhere).
import { useEffect, useState } from "preact/hooks";

import { ServiceError } from "../api";
import { Empty, ErrorBox, Loading } from "../ui";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? "").matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

const POLL_MS = 5000;
const HISTORY = 60;

interface Point {
  t: number;
  requests: number;
  inFlight: number;
  waiting: number;
  meanMs: number;
  count: number; // candor_request_duration_seconds_count, all operations
  seconds: number; // and its sum
}

function sum(samples: Sample[], name: string): number {
  return samples.filter((s) => s.name === name).reduce((n, s) => n + s.value, 0);
}

export function HealthPage() {
  const [samples, setSamples] = useState<Sample[] | null>(null);
  const [history, setHistory] = useState<Point[]>([]);
  const [error, setError] = useState<ServiceError | null>(null);
  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      try {
        const r = await fetch("/metrics");
        if (!r.ok) throw new ServiceError(`HTTP${r.status}`, await r.text());
        const s = parseMetrics(await r.text());
        if (stopped) return;
        setSamples(s);
        setError(null);
        const count = sum(s, "candor_request_duration_seconds_count");
        const seconds = sum(s, "candor_request_duration_seconds_sum");
        setHistory((h) => {
          // Latency over the last interval (since start for the first point).
          const last = h[h.length - 1];
          const requests = count - (last?.count ?? 0);
          const meanMs = requests > 0 ? ((seconds - (last?.seconds ?? 0)) / requests) * 1000 : (last?.meanMs ?? 0);
          return [
            ...h,
            {
              t: Date.now(),
              requests: sum(s, "candor_requests_total"),
              inFlight: sum(s, "candor_requests_in_flight"),
              waiting: sum(s, "candor_queue_depth"),
              meanMs,
              count,
              seconds,
            },
          ].slice(-HISTORY);
        });
      } catch (e) {
        if (!stopped) setError(e instanceof ServiceError ? e : new ServiceError("NetworkError", String(e)));
      }
    };
    poll();
    const timer = window.setInterval(poll, POLL_MS);
    return () => {
      stopped = true;
      window.clearInterval(timer);
    };
  }, []);
  const byOperation = new Map<string, number>();
  for (const s of samples ?? []) {
    if (s.name === "candor_requests_total") {
      byOperation.set(s.labels.operation, (byOperation.get(s.labels.operation) ?? 0) + s.value);
    }
  }
  const faces = (samples ?? []).filter((s) => s.name === "candor_collection_faces");
  return (
    <section aria-labelledby="health-title">
      <h1 id="health-title">Health</h1>
      <p>From GET /metrics, every {POLL_MS / 1000} seconds while this page is open.</p>
      <ErrorBox error={error} />
      {!samples && !error && <Loading what="the metrics" />}
      {samples && (
        <div class="charts">
          <Chart title="Requests answered (total)" points={history.map((p) => p.requests)} />
          <Chart title="Mean latency (ms, last interval)" points={history.map((p) => p.meanMs)} />
          <Chart title="Requests in flight" points={history.map((p) => p.inFlight)} />
          <Chart title="Queue depth (waiting for the engine)" points={history.map((p) => p.waiting)} />
          <Bars title="Requests by operation" bars={[...byOperation.entries()].sort((a, b) => b[1] - a[1])} />
          {faces.length > 0 ? (
            <Bars title="Faces per collection" bars={faces.map((s) => [s.labels.collection ?? "?", s.value])} />
          ) : (
            <Empty>Faces per collection are shown when the service runs with --public-details.</Empty>
          )}
        </div>
      )}
    </section>
  );
}

function Chart({ title, points }: { title: string; points: number[] }) {
  const w = 300;
  const h = 100;
  const max = Math.max(1, ...points) * 1.25;  // headroom above the highest
  // One sample is drawn as a level line until the next arrives.
  const drawn = points.length === 1 ? [points[0], points[0]] : points;
  const step = drawn.length > 1 ? w / (drawn.length - 1) : w;
  const y = (v: number) => (h - 2 - (v / max) * (h - 4)).toFixed(1);
  const path = drawn.map((v, i) => `${i ? "L" : "M"}${(i * step).toFixed(1)},${y(v)}`).join(" ");
  const last = points.length ? points[points.length - 1] : 0;
  return (
    <figure class="chart">
      <figcaption>
        {title}: <strong>{Number.isInteger(last) ? last : last.toFixed(1)}</strong>
      </figcaption>
      <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`${title}, latest ${last}`}>
        <path d={path} />
      </svg>
    </figure>
  );
}

function Bars({ title, bars }: { title: string; bars: [string, number][] }) {
  const max = Math.max(1, ...bars.map((b) => b[1]));
  const row = 18;
  return (
    <figure class="chart bars">
      <figcaption>{title}</figcaption>
      {bars.length === 0 ? (
        <Empty>Nothing yet.</Empty>
      ) : (
        <svg viewBox={`0 0 300 ${bars.length * row}`} role="img" aria-label={title}>
          {bars.map(([name, v], i) => (
            <g key={name}>
              <rect x={120} y={i * row + 3} width={(v / max) * 150} height={row - 6} />
              <text x={0} y={i * row + row - 5}>
                {name.length > 20 ? `${name.slice(0, 19)}…` : name}
              </text>
              <text x={124 + (v / max) * 150} y={i * row + row - 5}>
                {v}
              </text>
            </g>
          ))}
        </svg>
      )}
    </figure>
  );
}
