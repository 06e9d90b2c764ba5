// Keys (admin): access keys with their roles and case binding; a new key's
// secret is shown once, here, and never again.
import { useState } from "preact/hooks";

import type { Session } from "../api";
import { ConfirmDelete, Empty, ErrorBox, Loading, TableHead, useAction, useAsync } from "../ui";

const ROLES = ["admin", "enroller", "searcher", "analyst", "auditor"];

interface KeyInfo {
  Principal: string;
  AccessKeyId: string;
  Roles?: string;
  Reason?: string;
}

interface NewKey {
  Principal: string;
  AccessKeyId: string;
  SecretAccessKey: string;
  Roles: string[];
}

export function KeysPage({ session }: { session: Session }) {
  const [keys, reload] = useAsync(() => session.candor<{ AccessKeys: KeyInfo[] }>("ListAccessKeys", {}), [session]);
  const [principal, setPrincipal] = useState("");
  const [roles, setRoles] = useState<string[]>([]);
  const [reason, setReason] = useState("");
  const [created, setCreated] = useState<NewKey | null>(null);
  const [acting, act] = useAction();
  const list = keys.value?.AccessKeys ?? [];
  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">Access keys</h1>
      <form
        class="key-form"
        onSubmit={async (e) => {
          e.preventDefault();
          setCreated(null);
          const body: Record<string, unknown> = { Principal: principal.trim(), Roles: roles };
          if (reason.trim()) body.Reason = reason.trim();
          const k = await act(() => session.candor<NewKey>("CreateAccessKey", body));
          if (k) {
            setCreated(k);
            setPrincipal("");
            setRoles([]);
            setReason("");
            reload();
          }
        }}
      >
        <div class="field">
          <label for="key-principal">Principal</label>
          <input id="key-principal" required value={principal} onInput={(e) => setPrincipal((e.currentTarget as HTMLInputElement).value)} />
        </div>
        <fieldset>
          <legend>Roles</legend>
          {ROLES.map((r) => (
            <label key={r} class="check">
              <input
                type="checkbox"
                checked={roles.includes(r)}
                onChange={(e) =>
                  setRoles((e.currentTarget as HTMLInputElement).checked ? [...roles, r] : roles.filter((x) => x !== r))
                }
              />{" "}
              {r}
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for="key-reason">Case binding (optional: every call of this key carries this reason)</label>
          <input id="key-reason" value={reason} maxLength={256} onInput={(e) => setReason((e.currentTarget as HTMLInputElement).value)} />
        </div>
        <button type="submit" class="primary" disabled={acting.running}>
          Create key
        </button>
      </form>
      <ErrorBox error={acting.error} />
      {created && (
        <div class="secret" role="status">
          <p>
            <strong>Key created for {created.Principal}.</strong> Copy the secret now: it is shown this once and cannot be
            read again.
          </p>
          <dl class="facts">
            <dt>Access key ID</dt>
            <dd class="mono">{created.AccessKeyId}</dd>
            <dt>Secret access key</dt>
            <dd class="mono">{created.SecretAccessKey}</dd>
            <dt>Roles</dt>
            <dd>{created.Roles.join(", ")}</dd>
          </dl>
          <button type="button" onClick={() => setCreated(null)}>
            I have copied it
          </button>
        </div>
      )}
      {keys.loading && <Loading what="keys" />}
      <ErrorBox error={keys.error} />
      {keys.value && list.length === 0 && <Empty>There are no keys.</Empty>}
      {list.length > 0 && (
        <table>
          <TableHead columns={["Principal", "Access key ID", "Roles", "Case", "Delete"]} />
          <tbody>
            {list.map((k) => (
              <tr key={k.AccessKeyId}>
                <td>{k.Principal}</td>
                <td class="mono">{k.AccessKeyId}</td>
                <td>{k.Roles}</td>
                <td>{k.Reason ?? ""}</td>
                <td>
                  {k.AccessKeyId === session.key.accessKeyId ? (
                    "(this key)"
                  ) : (
                    <ConfirmDelete
                      what={`the key of ${k.Principal}`}
                      onConfirm={async () => {
                        if (await act(() => session.candor("DeleteAccessKey", { AccessKeyId: k.AccessKeyId }))) reload();
                      }}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
