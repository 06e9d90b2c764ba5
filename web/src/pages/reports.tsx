// The transparency report of a period (Candor.GetTransparencyReport, for
// auditors), shown here from its JSON, with its self-contained HTML page to
// download: the console's CSP, rightly, would not let that page's inline
// style run inside the console. And the evaluation report, which the
// service serves as its own page (/console/reports/evaluation.html, with a
// policy of its own: its inline style, no script).
import { useMemo, useState } from "preact/hooks";

import { ServiceError, type Session } from "../api";
import { Empty, ErrorBox, Loading, TableHead, useAction, useAsync, useObjectUrl } from "../ui";

type Counts = Record<string, number>;

interface Report {
  Period: { FromIso: string; ToIso: string };
  GeneratedIso: string;
  AuditChain: { Verified: boolean; Records: number; Problems: string[] };
  Events: number;
  Totals: Counts;
  ByPurpose: Record<string, Counts>;
  ByPrincipal: Record<string, Counts>;
  Refusals: { ByError: Counts; ByPrincipal: Counts; ByOperation: Counts };
  PolicyChanges: unknown[];
}

const ACTIVITY: [string, string][] = [
  ["Searches", "Searches"],
  ["SearchesRefused", "Refused searches"],
  ["MatchesReturned", "Matches returned"],
  ["ThresholdRaised", "Thresholds raised to the floor"],
  ["RefusedBelowFloor", "Refused below the floor"],
  ["FacesEnrolled", "Faces enrolled"],
  ["FacesErased", "Faces erased"],
];

// "2026-11-01" for a date input, `days` before today.
function daysAgo(days: number): string {
  return new Date(Date.now() - days * 86400000).toISOString().slice(0, 10);
}

export function TransparencyReport({ session }: { session: Session }) {
  const [from, setFrom] = useState(daysAgo(30));
  const [to, setTo] = useState(daysAgo(-1));
  const [report, setReport] = useState<{ Report: Report; Html: string } | null>(null);
  const [making, act] = useAction();
  const page = useMemo(() => (report ? new Blob([report.Html], { type: "text/html" }) : null), [report]);
  const html = useObjectUrl(page);
  const r = report?.Report;
  return (
    <section aria-labelledby="transparency-title">
      <h2 id="transparency-title">Transparency report</h2>
      <form
        class="row"
        onSubmit={async (e) => {
          e.preventDefault();
          const made = await act(() =>
            session.candor<{ Report: Report; Html: string }>("GetTransparencyReport", {
              StartTime: Date.parse(`${from}T00:00:00Z`) / 1000,
              EndTime: Date.parse(`${to}T00:00:00Z`) / 1000,
            }),
          );
          if (made) setReport(made);
        }}
      >
        <div class="field">
          <label for="report-from">From (UTC)</label>
          <input id="report-from" type="date" value={from} onInput={(e) => setFrom((e.currentTarget as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="report-to">Until (UTC, not included)</label>
          <input id="report-to" type="date" value={to} onInput={(e) => setTo((e.currentTarget as HTMLInputElement).value)} />
        </div>
        <button type="submit" disabled={making.running}>
          Make the report
        </button>
      </form>
      {making.running && <Loading what="the report" />}
      <ErrorBox error={making.error} />
      {r && (
        <div class="report">
          <p>
            {r.Period.FromIso} to {r.Period.ToIso}: {r.Events} audit records.{" "}
            <strong class={r.AuditChain.Verified ? "ok-text" : "refused"}>
              {r.AuditChain.Verified ? "The audit chain verifies." : "The audit chain does NOT verify."}
            </strong>{" "}
            {html && (
              <a href={html} download="transparency.html">
                Download the report as a page
              </a>
            )}
          </p>
          <table class="report-totals">
            <caption>In the period</caption>
            <tbody>
              {[...ACTIVITY, ["RequestsRefused", "Requests refused"], ["PolicyChanges", "Policy changes"]].map(([k, label]) => (
                <tr key={k}>
                  <th scope="row">{label}</th>
                  <td>{r.Totals[k] ?? 0}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Activity title="By purpose" rows={r.ByPurpose} />
          <Activity title="By principal" rows={r.ByPrincipal} />
          <h3>Refusals by error</h3>
          {Object.keys(r.Refusals.ByError).length === 0 ? (
            <Empty>No refusal in the period.</Empty>
          ) : (
            <table>
              <TableHead columns={["Error", "Requests"]} />
              <tbody>
                {Object.entries(r.Refusals.ByError).map(([k, n]) => (
                  <tr key={k}>
                    <td>{k}</td>
                    <td>{n}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}

function Activity({ title, rows }: { title: string; rows: Record<string, Counts> }) {
  const names = Object.keys(rows);
  return (
    <>
      <h3>{title}</h3>
      {names.length === 0 ? (
        <Empty>Nothing in the period.</Empty>
      ) : (
        <table>
          <TableHead columns={["", ...ACTIVITY.map(([, label]) => label)]} />
          <tbody>
            {names.map((n) => (
              <tr key={n}>
                <th scope="row">{n}</th>
                {ACTIVITY.map(([k]) => (
                  <td key={k}>{rows[n][k] ?? 0}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

const EVALUATION_REPORT = "/console/reports/evaluation.html";

export function EvaluationReport() {
  const [found] = useAsync(async () => {
    const r = await fetch(EVALUATION_REPORT, { method: "HEAD" });
    if (r.ok) return true;
    // HEAD has no body: the reason is in GET's.
    const why = await fetch(EVALUATION_REPORT);
    throw new ServiceError(`HTTP${why.status}`, (await why.text()).trim());
  }, []);
  return (
    <section aria-labelledby="evaluation-title">
      <h2 id="evaluation-title">Evaluation report</h2>
      <p>Accuracy measured on public data sets, per demographic group, as the project publishes it.</p>
      {found.loading && <Loading what="the evaluation report" />}
      <ErrorBox error={found.error} />
      {found.value && (
        <a class="evaluation-link" href={EVALUATION_REPORT} target="_blank" rel="noopener noreferrer">
          Open the evaluation report
        </a>
      )}
    </section>
  );
}
