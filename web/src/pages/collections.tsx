// Collections: the list, creating one (admin), one collection described
// (faces, users, FaceModelVersion, policy), its faces and users a page at a
// time, deletions (asked first; offered only to keys that may), and importing
// photos (enroller) with a progress bar and a report of what was not indexed.
import {
  CreateCollectionCommand,
  DeleteCollectionCommand,
  DeleteFacesCommand,
  DeleteUserCommand,
  DescribeCollectionCommand,
  IndexFacesCommand,
  ListFacesCommand,
  ListUsersCommand,
} from "@aws-sdk/client-rekognition";
import type {
  DescribeCollectionCommandOutput,
  IndexFacesCommandOutput,
  ListFacesCommandOutput,
  ListUsersCommandOutput,
} from "@aws-sdk/client-rekognition";
import type { CandorFaceModelFields } from "../../../clients/js/candor-fields.mjs";
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";

import { ServiceError, Session, asServiceError, fileBytes } from "../api";
import { listCollections, useCollectionPolicy } from "../collection_select";
import { ConfirmDelete, Empty, ErrorBox, Loading, TableHead, useAction, useAsync } from "../ui";
import { PolicyFacts } from "./policies";

export function CollectionsPage({ session }: { session: Session }) {
  const [collections, reload] = useAsync(() => listCollections(session), [session]);
  const [creating, act] = useAction();
  const [name, setName] = useState("");
  return (
    <section aria-labelledby="collections-title">
      <h1 id="collections-title">Collections</h1>
      {session.allows("CreateCollection") && (
        <form
          class="row"
          onSubmit={async (e) => {
            e.preventDefault();
            const ok = await act(() => session.send(new CreateCollectionCommand({ CollectionId: name.trim() })));
            if (ok) {
              setName("");
              reload();
            }
          }}
        >
          <div class="field">
            <label for="new-collection">New collection ID</label>
            <input
              id="new-collection"
              value={name}
              pattern="[a-zA-Z0-9_.\-]+"
              maxLength={255}
              required
              onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
            />
          </div>
          <button type="submit" disabled={creating.running}>
            {creating.running ? "Creating…" : "Create collection"}
          </button>
        </form>
      )}
      <ErrorBox error={creating.error} />
      {collections.loading && !collections.value && <Loading what="collections" />}
      <ErrorBox error={collections.error} />
      {collections.value?.length === 0 && <Empty>There are no collections yet.</Empty>}
      {collections.value && collections.value.length > 0 && (
        <ul class="collection-list">
          {collections.value.map((id) => (
            <li key={id}>
              <a href={`#/collections/${encodeURIComponent(id)}`}>{id}</a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function CollectionPage({ session, id }: { session: Session; id: string }) {
  const [described, reload] = useAsync(
    () => session.send<DescribeCollectionCommandOutput & CandorFaceModelFields>(new DescribeCollectionCommand({ CollectionId: id })),
    [session, id],
  );
  const [policy] = useCollectionPolicy(session, id);
  const [deleting, act] = useAction();
  const [gone, setGone] = useState(false);
  // Bumped by an import, so that the faces listed are read again.
  const [version, setVersion] = useState(0);
  const changed = () => {
    reload();
    setVersion((v) => v + 1);
  };
  const d = described.value;
  if (gone) {
    return (
      <section>
        <h1>Collection {id}</h1>
        <p role="status">The collection {id} was deleted.</p>
        <a href="#/collections">Back to the collections</a>
      </section>
    );
  }
  return (
    <section aria-labelledby="collection-title">
      <p>
        <a href="#/collections">← Collections</a>
      </p>
      <h1 id="collection-title">Collection {id}</h1>
      {described.loading && !d && <Loading what="the collection" />}
      <ErrorBox error={described.error} />
      {d && (
        <dl class="facts">
          <dt>Faces</dt>
          <dd class="face-count">{d.FaceCount}</dd>
          <dt>Users</dt>
          <dd>{d.UserCount}</dd>
          <dt>FaceModelVersion</dt>
          <dd>
            {d.FaceModelVersion} {d.CandorFaceModel ? `(${d.CandorFaceModel})` : ""}
          </dd>
          <dt>Created</dt>
          <dd>{d.CreationTimestamp?.toISOString()}</dd>
          <dt>ARN</dt>
          <dd class="mono">{d.CollectionARN}</dd>
        </dl>
      )}
      <h2>Policy</h2>
      {policy.loading && <Loading what="the policy" />}
      <ErrorBox error={policy.error} />
      {policy.value && <PolicyFacts policy={policy.value} />}
      {session.allows("DeleteCollection") && (
        <p>
          <ConfirmDelete
            what={`the collection ${id} and all its faces`}
            label="Delete collection"
            onConfirm={async () => {
              if (await act(() => session.send(new DeleteCollectionCommand({ CollectionId: id })))) setGone(true);
            }}
          />
        </p>
      )}
      <ErrorBox error={deleting.error} />
      {session.allows("IndexFaces") && <Import session={session} id={id} onDone={changed} />}
      {session.allows("ListFaces") && <Faces session={session} id={id} version={version} onChange={reload} />}
      {session.allows("ListUsers") && <Users session={session} id={id} version={version} onChange={reload} />}
    </section>
  );
}

// Next and previous pages of a NextToken listing.
function usePages() {
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined]);
  return {
    token: tokens[tokens.length - 1],
    page: tokens.length,
    next: (t: string) => setTokens([...tokens, t]),
    previous: () => setTokens(tokens.slice(0, -1)),
  };
}

const PAGE_SIZE = 20;

interface ListProps {
  session: Session;
  id: string;
  version: number; // a change read again
  onChange: () => void;
}

// A listing a page at a time, each row with a delete button (asked first)
// when `remove` is given.
function PagedTable<T>({
  title,
  what,
  caption,
  version,
  load,
  columns,
  rowKey,
  remove,
  onChange,
}: {
  title: string;
  what: string;
  caption?: string;
  version: number;
  load: (token?: string) => Promise<{ items: T[]; next?: string }>;
  columns: [string, (item: T) => ComponentChildren][];
  rowKey: (item: T) => string;
  remove?: { name: (item: T) => string; run: (item: T) => Promise<unknown> };
  onChange: () => void;
}) {
  const pages = usePages();
  const [list, reload] = useAsync(() => load(pages.token), [pages.token, version]);
  const [deleting, act] = useAction();
  const items = list.value?.items ?? [];
  const titleId = `${what}-title`;
  return (
    <section aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      {list.loading && <Loading what={what} />}
      <ErrorBox error={list.error} />
      <ErrorBox error={deleting.error} />
      {list.value && items.length === 0 && <Empty>No {what} in this collection.</Empty>}
      {items.length > 0 && (
        <table>
          {caption && <caption>{caption}</caption>}
          <thead>
            <tr>
              {columns.map(([name]) => (
                <th key={name} scope="col">
                  {name}
                </th>
              ))}
              {remove && <th scope="col">Delete</th>}
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={rowKey(item)}>
                {columns.map(([name, cell]) => (
                  <td key={name} class={name.endsWith("Id") && name !== "ExternalImageId" ? "mono" : ""}>
                    {cell(item)}
                  </td>
                ))}
                {remove && (
                  <td>
                    <ConfirmDelete
                      what={remove.name(item)}
                      onConfirm={async () => {
                        if (await act(() => remove.run(item))) {
                          reload();
                          onChange();
                        }
                      }}
                    />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="pager">
        <button type="button" disabled={pages.page <= 1} onClick={pages.previous}>
          Previous page
        </button>
        <span>Page {pages.page}</span>
        <button type="button" disabled={!list.value?.next} onClick={() => list.value?.next && pages.next(list.value.next)}>
          Next page
        </button>
      </div>
    </section>
  );
}

type FaceRow = NonNullable<ListFacesCommandOutput["Faces"]>[number];
type UserRow = NonNullable<ListUsersCommandOutput["Users"]>[number];

function Faces({ session, id, version, onChange }: ListProps) {
  return (
    <PagedTable<FaceRow>
      title="Faces"
      what="faces"
      caption="Faces (no images: Candor keeps none)"
      version={version}
      onChange={onChange}
      load={async (token) => {
        const r = await session.send<ListFacesCommandOutput>(
          new ListFacesCommand({ CollectionId: id, MaxResults: PAGE_SIZE, NextToken: token }),
        );
        return { items: r.Faces ?? [], next: r.NextToken };
      }}
      columns={[
        ["ExternalImageId", (f) => f.ExternalImageId ?? "—"],
        ["FaceId", (f) => f.FaceId],
        ["UserId", (f) => f.UserId ?? ""],
      ]}
      rowKey={(f) => f.FaceId!}
      remove={
        session.allows("DeleteFaces")
          ? {
              name: (f) => `face ${f.ExternalImageId ?? f.FaceId}`,
              run: (f) => session.send(new DeleteFacesCommand({ CollectionId: id, FaceIds: [f.FaceId!] })),
            }
          : undefined
      }
    />
  );
}

function Users({ session, id, version, onChange }: ListProps) {
  return (
    <PagedTable<UserRow>
      title="Users"
      what="users"
      version={version}
      onChange={onChange}
      load={async (token) => {
        const r = await session.send<ListUsersCommandOutput>(
          new ListUsersCommand({ CollectionId: id, MaxResults: PAGE_SIZE, NextToken: token }),
        );
        return { items: r.Users ?? [], next: r.NextToken };
      }}
      columns={[
        ["UserId", (u) => u.UserId],
        ["Status", (u) => u.UserStatus],
      ]}
      rowKey={(u) => u.UserId!}
      remove={
        session.allows("DeleteUser")
          ? {
              name: (u) => `user ${u.UserId}`,
              run: (u) => session.send(new DeleteUserCommand({ CollectionId: id, UserId: u.UserId! })),
            }
          : undefined
      }
    />
  );
}

// One photo's outcome in an import.
interface Imported {
  file: string;
  indexed: number;
  notIndexed: { reasons: string[] }[];
  error?: ServiceError;
}

// ExternalImageId allows [a-zA-Z0-9_.\-:]: the file name without its
// extension, other characters made "_".
function externalId(name: string): string {
  return name.replace(/\.[^.]*$/, "").replace(/[^a-zA-Z0-9_.\-:]/g, "_").slice(0, 255) || "photo";
}

function Import({ session, id, onDone }: { session: Session; id: string; onDone: () => void }) {
  const [files, setFiles] = useState<File[]>([]);
  const [done, setDone] = useState<Imported[]>([]);
  const [running, setRunning] = useState(false);
  const pick = (list: FileList | null) => {
    setFiles(Array.from(list ?? []).filter((f) => /\.(jpe?g|png)$/i.test(f.name)));
    setDone([]);
  };
  const run = async () => {
    setRunning(true);
    const out: Imported[] = [];
    for (const f of files) {
      try {
        // One person a photo: the largest face is indexed, the others are
        // reported (EXCEEDS_MAX_FACES), as are faces of too low a quality.
        const r = await session.send<IndexFacesCommandOutput>(
          new IndexFacesCommand({
            CollectionId: id,
            Image: { Bytes: await fileBytes(f) },
            ExternalImageId: externalId(f.name),
            MaxFaces: 1,
            QualityFilter: "AUTO",
          }),
        );
        out.push({
          file: f.name,
          indexed: r.FaceRecords?.length ?? 0,
          notIndexed: (r.UnindexedFaces ?? []).map((u) => ({ reasons: (u.Reasons ?? []) as string[] })),
        });
      } catch (e) {
        out.push({ file: f.name, indexed: 0, notIndexed: [], error: asServiceError(e) });
      }
      setDone([...out]);
    }
    setRunning(false);
    onDone();
  };
  const indexed = done.reduce((n, d) => n + d.indexed, 0);
  const problems = done.filter((d) => d.error || d.notIndexed.length > 0 || d.indexed === 0);
  return (
    <section aria-labelledby="import-title">
      <h2 id="import-title">Import photos</h2>
      <p>Each photo's largest face is indexed, with the file name as its ExternalImageId.</p>
      <div class="row">
        <div class="field">
          <label for="import-files">Photos</label>
          <input id="import-files" type="file" multiple accept="image/jpeg,image/png" onChange={(e) => pick((e.currentTarget as HTMLInputElement).files)} />
        </div>
        <div class="field">
          <label for="import-folder">or a folder of photos</label>
          <input
            id="import-folder"
            type="file"
            {...{ webkitdirectory: "" }}
            onChange={(e) => pick((e.currentTarget as HTMLInputElement).files)}
          />
        </div>
        <button type="button" class="primary" disabled={files.length === 0 || running} onClick={run}>
          {running ? "Importing…" : `Import ${files.length} photo${files.length === 1 ? "" : "s"}`}
        </button>
      </div>
      {(running || done.length > 0) && (
        <div class="progress">
          <label for="import-progress">
            {done.length} of {files.length} photos; {indexed} faces indexed
          </label>
          <progress id="import-progress" max={files.length} value={done.length} />
        </div>
      )}
      {!running && done.length > 0 && (
        <div class="import-report" role="status">
          {problems.length === 0 ? (
            <p>Every photo was indexed.</p>
          ) : (
            <table>
              <caption>Not indexed, and why</caption>
              <TableHead columns={["Photo", "Why"]} />
              <tbody>
                {problems.map((d) => (
                  <tr key={d.file}>
                    <td>{d.file}</td>
                    <td>
                      {d.error ? (
                        <ErrorBox error={d.error} />
                      ) : (
                        [
                          d.indexed === 0 && d.notIndexed.length === 0 ? "no face found" : "",
                          ...d.notIndexed.map((u, i) => `face ${i + 1}: ${u.reasons.join(", ")}`),
                        ]
                          .filter(Boolean)
                          .join("; ")
                      )}
                    </td>
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
