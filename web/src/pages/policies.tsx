// Policies (admin): a collection's purpose, threshold floor, refuse or
// raise, MaxFaces cap, reason and retention, changed with
// Candor.PutCollectionPolicy; each earlier change (who, when, before and
// after) from the audit log, for a key that may read it.
import { useEffect, useState } from "preact/hooks";

import type { Session } from "../api";
import { CollectionSelect, useCollectionPolicy } from "../collection_select";
import { Empty, ErrorBox, Loading, NumberField, TableHead, timeText, useAction, useAsync } from "../ui";
import type { AuditEvent } from "./audit";

export interface Policy {
  Purpose: string;
  ThresholdFloor: number;
  RefuseBelowFloor: boolean;
  MaxFaces: number;
  ReasonRequired: boolean;
  RetentionDays: number;
  UpdatedTimestamp?: number;
}

export function PolicyFacts({ policy }: { policy: Policy }) {
  return (
    <dl class="facts policy">
      <dt>Purpose</dt>
      <dd>{policy.Purpose || "(none stated)"}</dd>
      <dt>Threshold floor</dt>
      <dd>{policy.ThresholdFloor}</dd>
      <dt>Below the floor</dt>
      <dd>{policy.RefuseBelowFloor ? "refused" : "raised to the floor"}</dd>
      <dt>MaxFaces cap</dt>
      <dd>{policy.MaxFaces}</dd>
      <dt>Reason required</dt>
      <dd>{policy.ReasonRequired ? "yes" : "no"}</dd>
      <dt>Retention</dt>
      <dd>{policy.RetentionDays ? `${policy.RetentionDays} days` : "kept until deleted"}</dd>
      {policy.UpdatedTimestamp ? (
        <>
          <dt>Changed</dt>
          <dd>{timeText(policy.UpdatedTimestamp)}</dd>
        </>
      ) : null}
    </dl>
  );
}

export function PoliciesPage({ session }: { session: Session }) {
  const [collection, setCollection] = useState("");
  return (
    <section aria-labelledby="policies-title">
      <h1 id="policies-title">Collection policies</h1>
      <CollectionSelect session={session} id="policy-collection" value={collection} onChange={setCollection} />
      {collection && <PolicyEditor key={collection} session={session} collection={collection} />}
    </section>
  );
}

function PolicyEditor({ session, collection }: { session: Session; collection: string }) {
  const [loaded, reload] = useCollectionPolicy(session, collection);
  const [draft, setDraft] = useState<Policy | null>(null);
  const [saving, act] = useAction();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (loaded.value) setDraft(loaded.value);
  }, [loaded.value]);
  if (loaded.loading && !draft) return <Loading what="the policy" />;
  if (loaded.error) return <ErrorBox error={loaded.error} />;
  if (!draft) return null;
  const set = (patch: Partial<Policy>) => {
    setSaved(false);
    setDraft({ ...draft, ...patch });
  };
  return (
    <>
      <form
        class="policy-form"
        onSubmit={async (e) => {
          e.preventDefault();
          const { UpdatedTimestamp: _, ...update } = draft;
          const ok = await act(() => session.candor("PutCollectionPolicy", { CollectionId: collection, ...update }));
          if (ok) {
            setSaved(true);
            reload();
          }
        }}
      >
        <div class="field">
          <label for="policy-purpose">Purpose</label>
          <input id="policy-purpose" value={draft.Purpose} maxLength={1024} onInput={(e) => set({ Purpose: (e.currentTarget as HTMLInputElement).value })} />
        </div>
        <div class="row">
          <NumberField id="policy-floor" label="Threshold floor (Similarity)" min={0} max={100} step={0.1} value={draft.ThresholdFloor} onInput={(v) => set({ ThresholdFloor: Number(v) })} />
          <NumberField id="policy-max-faces" label="MaxFaces cap" min={1} max={4096} value={draft.MaxFaces} onInput={(v) => set({ MaxFaces: Number(v) })} />
          <NumberField id="policy-retention" label="Retention (days, 0: kept)" min={0} value={draft.RetentionDays} onInput={(v) => set({ RetentionDays: Number(v) })} />
        </div>
        <fieldset>
          <legend>A search below the floor is</legend>
          <label>
            <input type="radio" name="below" checked={!draft.RefuseBelowFloor} onChange={() => set({ RefuseBelowFloor: false })} /> raised to the floor
          </label>
          <label>
            <input type="radio" name="below" checked={draft.RefuseBelowFloor} onChange={() => set({ RefuseBelowFloor: true })} /> refused
          </label>
        </fieldset>
        <label class="check">
          <input type="checkbox" checked={draft.ReasonRequired} onChange={(e) => set({ ReasonRequired: (e.currentTarget as HTMLInputElement).checked })} /> Every
          search needs a reason
        </label>
        <button type="submit" class="primary" disabled={saving.running}>
          {saving.running ? "Saving…" : "Save policy"}
        </button>
        {saved && <span role="status"> Saved.</span>}
      </form>
      <ErrorBox error={saving.error} />
      <PolicyHistory session={session} collection={collection} version={loaded.value?.UpdatedTimestamp} />
    </>
  );
}

function PolicyHistory({ session, collection, version }: { session: Session; collection: string; version?: number }) {
  const may = session.allows("Candor.ListAuditEvents");
  const [history] = useAsync(
    async () =>
      may
        ? (
            await session.candor<{ AuditEvents: AuditEvent[] }>("ListAuditEvents", {
              CollectionId: collection,
              Operation: "Candor.PutCollectionPolicy",
              MaxResults: 50,
            })
          ).AuditEvents
        : [],
    [session, collection, version],
  );
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">Changes, from the audit log</h2>
      {!may && <Empty>The history of changes is read from the audit log, which needs the auditor role.</Empty>}
      {history.loading && may && <Loading what="the changes" />}
      <ErrorBox error={history.error} />
      {may && history.value?.length === 0 && <Empty>No change to this policy has been recorded.</Empty>}
      {(history.value ?? []).length > 0 && (
        <table>
          <TableHead columns={["When", "Who", "Outcome", "What changed"]} />
          <tbody>
            {history.value!.map((e) => (
              <tr key={e.seq}>
                <td>{timeText(e.time_ms / 1000)}</td>
                <td>{e.principal}</td>
                <td>{e.outcome}</td>
                <td>{policyChange(e.results)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

// "ThresholdFloor 99 → 80; ReasonRequired false → true".
function policyChange(results: Record<string, unknown> | undefined): string {
  const before = (results?.Before ?? {}) as Record<string, unknown>;
  const after = (results?.After ?? {}) as Record<string, unknown>;
  const changes = Object.keys(after)
    .filter((k) => k !== "UpdatedTimestamp" && JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((k) => `${k} ${JSON.stringify(before[k])} → ${JSON.stringify(after[k])}`);
  return changes.length ? changes.join("; ") : results?.Message ? String(results.Message) : "no change";
}
