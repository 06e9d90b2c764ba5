// The collections of the service, and a labelled <select> of them.
import { ListCollectionsCommand } from "@aws-sdk/client-rekognition";
import type { ListCollectionsCommandOutput } from "@aws-sdk/client-rekognition";

import type { Session } from "./api";
import type { Policy } from "./pages/policies";
import { type Async, ErrorBox, Loading, useAsync } from "./ui";

// Every collection id (all pages of ListCollections).
export async function listCollections(session: Session): Promise<string[]> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const r = await session.send<ListCollectionsCommandOutput>(
      new ListCollectionsCommand({ NextToken: token, MaxResults: 100 }),
    );
    ids.push(...(r.CollectionIds ?? []));
    token = r.NextToken;
  } while (token);
  return ids;
}

export function CollectionSelect({
  session,
  id,
  value,
  onChange,
}: {
  session: Session;
  id: string;
  value: string;
  onChange: (collection: string) => void;
}) {
  const [collections] = useAsync(() => listCollections(session), [session]);
  if (collections.loading && !collections.value) return <Loading what="collections" />;
  if (collections.error) return <ErrorBox error={collections.error} />;
  const ids = collections.value ?? [];
  if (ids.length === 0) return <p class="empty">There are no collections yet.</p>;
  return (
    <div class="field">
      <label for={id}>Collection</label>
      <select id={id} value={value} onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}>
        <option value="">Choose a collection…</option>
        {ids.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </div>
  );
}

// A collection's policy (Candor.GetCollectionPolicy, every role may read
// it); null while no collection is chosen.
export function useCollectionPolicy(session: Session, collection: string): [Async<Policy | null>, () => void] {
  return useAsync(
    async () =>
      collection
        ? (await session.candor<{ Policy: Policy }>("GetCollectionPolicy", { CollectionId: collection })).Policy
        : null,
    [session, collection],
  );
}

// The reason (a case reference, sent as X-Candor-Reason) for a search of a
// collection whose policy asks for one; nothing otherwise.
export function ReasonField({
  id,
  session,
  policy,
  value,
  onInput,
}: {
  id: string;
  session: Session;
  policy: Policy | null | undefined;
  value: string;
  onInput: (reason: string) => void;
}) {
  if (!policy?.ReasonRequired) return null;
  return (
    <div class="field">
      <label for={id}>Reason (case reference, required by this collection's policy)</label>
      <input
        id={id}
        value={value}
        maxLength={256}
        placeholder={session.identity.CaseReason ?? "CASE-2026-0042"}
        onInput={(e) => onInput((e.currentTarget as HTMLInputElement).value)}
      />
      {session.identity.CaseReason && <p class="hint">Your key is bound to case {session.identity.CaseReason}.</p>}
    </div>
  );
}
