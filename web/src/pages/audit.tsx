// Audit (auditor): the chain's verification at a glance, the log filtered by
// time, principal, collection and operation, and any record in full.
import { useState } from "preact/hooks";

import type { Session } from "../api";
import { EvaluationReport, TransparencyReport } from "./reports";
import { Empty, ErrorBox, Loading, TableHead, timeText, useAsync } from "../ui";

// A record as Candor.ListAuditEvents returns it (audit/audit_event.cc).
export interface AuditEvent {
  seq: number;
  time_ms: number;
  principal: string;
  source: string;
  request_id: string;
  operation: string;
  collection_id: string;
  purpose: string;
  reason: string;
  threshold_requested: number | null;
  threshold_applied: number | null;
  max_faces: number | null;
  faces_searched: number;
  results: Record<string, unknown>;
  outcome: string;
  prev_hash: string;
  hash: string;
}

interface Verification {
  Ok: boolean;
  Records: number;
  Checkpoints: number;
  LastCheckpointSeq: number;
  Problems: string[];
}

interface Filters {
  from: string;
  to: string;
  principal: string;
  collection: string;
  operation: string;
}

const NO_FILTERS: Filters = { from: "", to: "", principal: "", collection: "", operation: "" };

function query(f: Filters, token?: string): Record<string, unknown> {
  const q: Record<string, unknown> = { MaxResults: 100 };
  if (f.from) q.StartTime = Date.parse(f.from) / 1000;
  if (f.to) q.EndTime = Date.parse(f.to) / 1000;
  if (f.principal) q.Principal = f.principal.trim();
  if (f.collection) q.CollectionId = f.collection.trim();
  if (f.operation) q.Operation = f.operation.trim();
  if (token) q.NextToken = token;
  return q;
}

export function AuditPage({ session }: { session: Session }) {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined]);
  const [open, setOpen] = useState<AuditEvent | null>(null);
  const [verified, reverify] = useAsync(() => session.candor<Verification>("VerifyAuditLog", {}), [session]);
  const [page, reload] = useAsync(
    () =>
      session.candor<{ AuditEvents: AuditEvent[]; NextToken?: string }>(
        "ListAuditEvents",
        query(filters, tokens[tokens.length - 1]),
      ),
    [session, filters, tokens],
  );
  const v = verified.value;
  const events = page.value?.AuditEvents ?? [];
  const field = (name: keyof Filters, label: string, type: "text" | "datetime-local" = "text") => (
    <div class="field">
      <label for={`audit-${name}`}>{label}</label>
      <input
        id={`audit-${name}`}
        type={type as "text"}
        value={draft[name]}
        onInput={(e) => setDraft({ ...draft, [name]: (e.currentTarget as HTMLInputElement).value })}
      />
    </div>
  );
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <div class={`chain ${v ? (v.Ok ? "ok" : "broken") : ""}`} role="status">
        {verified.loading && <Loading what="the chain's verification" />}
        <ErrorBox error={verified.error} />
        {v && (
          <>
            <strong class="chain-status">{v.Ok ? "✔ The chain verifies" : "✘ The chain does NOT verify"}</strong>
            <span>
              {" "}
              — {v.Records} records, {v.Checkpoints} signed checkpoints (last at record {v.LastCheckpointSeq})
            </span>
            {v.Problems.length > 0 && (
              <ul class="problems">
                {v.Problems.map((p, i) => (
                  <li key={i}>{p}</li>
                ))}
              </ul>
            )}
          </>
        )}
        <button type="button" onClick={reverify}>
          Verify again
        </button>
      </div>
      <form
        class="filters row"
        onSubmit={(e) => {
          e.preventDefault();
          setTokens([undefined]);
          setFilters(draft);
        }}
      >
        {field("from", "From", "datetime-local")}
        {field("to", "To", "datetime-local")}
        {field("principal", "Principal")}
        {field("collection", "Collection")}
        {field("operation", "Operation")}
        <button type="submit">Filter</button>
        <button
          type="button"
          onClick={() => {
            setDraft(NO_FILTERS);
            setFilters(NO_FILTERS);
            setTokens([undefined]);
          }}
        >
          Clear
        </button>
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </form>
      {page.loading && <Loading what="the audit log" />}
      <ErrorBox error={page.error} />
      {page.value && events.length === 0 && <Empty>No record matches these filters.</Empty>}
      {events.length > 0 && (
        <table class="audit-events">
          <TableHead columns={["#", "Time", "Principal", "Operation", "Collection", "Threshold", "Reason", "Outcome"]} />
          <tbody>
            {events.map((e) => (
              <tr key={e.seq} class={open?.seq === e.seq ? "selected" : ""}>
                <td>
                  <button type="button" class="link" onClick={() => setOpen(e)} aria-label={`Open record ${e.seq}`}>
                    {e.seq}
                  </button>
                </td>
                <td>{timeText(e.time_ms / 1000)}</td>
                <td>{e.principal}</td>
                <td class="operation">{e.operation}</td>
                <td>{e.collection_id}</td>
                <td>
                  {e.threshold_applied !== null
                    ? `${e.threshold_requested ?? "—"} → ${e.threshold_applied}`
                    : ""}
                </td>
                <td>{e.reason}</td>
                <td class={e.outcome === "ok" ? "" : "refused"}>{e.outcome}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="pager">
        <button type="button" disabled={tokens.length <= 1} onClick={() => setTokens(tokens.slice(0, -1))}>
          Previous page
        </button>
        <button
          type="button"
          disabled={!page.value?.NextToken}
          onClick={() => setTokens([...tokens, page.value!.NextToken])}
        >
          Next page
        </button>
      </div>
      {open && (
        <section class="record" aria-labelledby="record-title">
          <h2 id="record-title">Record {open.seq}</h2>
          <button type="button" onClick={() => setOpen(null)}>
            Close
          </button>
          <pre tabIndex={0}>{JSON.stringify(open, null, 2)}</pre>
        </section>
      )}
      {session.allows("Candor.GetTransparencyReport") && <TransparencyReport session={session} />}
      <EvaluationReport />
    </section>
  );
}
