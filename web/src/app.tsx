// Sign-in, the navigation (only the pages the key's roles can use) and the
// page of the current #/route.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";

import { ServiceError, Session, asServiceError } from "./api";
import { AuditPage } from "./pages/audit";
import { CollectionPage, CollectionsPage } from "./pages/collections";
import { ComparePage, DetectPage } from "./pages/analyze";
import { HealthPage } from "./pages/health";
import { KeysPage } from "./pages/keys";
import { PoliciesPage } from "./pages/policies";
import { SearchPage } from "./pages/search";
import { VideoPage } from "./pages/video";
import { ErrorBox } from "./ui";

interface PageDef {
  route: string;
  title: string;
  // Offered when the key may call this operation (none: always).
  needs?: string[];
  render: (session: Session, rest: string[]) => ComponentChildren;
}

const PAGES: PageDef[] = [
  { route: "search", title: "Search", needs: ["SearchFacesByImage"], render: (s) => <SearchPage session={s} /> },
  { route: "compare", title: "Compare", needs: ["CompareFaces"], render: (s) => <ComparePage session={s} /> },
  { route: "detect", title: "Detect", needs: ["DetectFaces"], render: (s) => <DetectPage session={s} /> },
  {
    route: "collections",
    title: "Collections",
    needs: ["ListCollections"],
    render: (s, rest) =>
      rest[0] ? <CollectionPage key={rest[0]} session={s} id={decodeURIComponent(rest[0])} /> : <CollectionsPage session={s} />,
  },
  { route: "policies", title: "Policies", needs: ["Candor.PutCollectionPolicy"], render: (s) => <PoliciesPage session={s} /> },
  { route: "audit", title: "Audit", needs: ["Candor.ListAuditEvents"], render: (s) => <AuditPage session={s} /> },
  {
    route: "video",
    title: "Video",
    needs: ["ListStreamProcessors", "Candor.ListVideoJobs"],
    render: (s) => <VideoPage session={s} />,
  },
  { route: "keys", title: "Keys", needs: ["Candor.ListAccessKeys"], render: (s) => <KeysPage session={s} /> },
  { route: "health", title: "Health", render: () => <HealthPage /> },
];

function offered(session: Session): PageDef[] {
  return PAGES.filter((p) => !p.needs || p.needs.some((op) => session.allows(op)));
}

function useRoute(): string[] {
  const read = () => window.location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  const [route, setRoute] = useState(read());
  useEffect(() => {
    const on = () => setRoute(read());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}

function SignIn({ onSession }: { onSession: (s: Session) => void }) {
  const [error, setError] = useState<ServiceError | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main class="signin">
      <h1>Candor console</h1>
      <p>
        Sign in with an access key of this service. The secret stays in this page's memory: it signs each request here
        and is never sent. Reloading the page signs you out.
      </p>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget as HTMLFormElement);
          setBusy(true);
          setError(null);
          try {
            onSession(
              await Session.open({
                accessKeyId: String(form.get("access-key-id") ?? "").trim(),
                secretAccessKey: String(form.get("secret-access-key") ?? "").trim(),
              }),
            );
          } catch (err) {
            setError(asServiceError(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        <label for="access-key-id">Access key ID</label>
        <input id="access-key-id" name="access-key-id" autoComplete="username" required spellcheck={false} />
        <label for="secret-access-key">Secret access key</label>
        <input
          id="secret-access-key"
          name="secret-access-key"
          type="password"
          autoComplete="current-password"
          required
        />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <ErrorBox error={error} />
    </main>
  );
}

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const route = useRoute();
  if (!session) return <SignIn onSession={setSession} />;
  const pages = offered(session);
  const current = pages.find((p) => p.route === route[0]) ?? pages[0];
  const unknown = route[0] && !pages.some((p) => p.route === route[0]);
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <span class="brand">Candor</span>
        <nav aria-label="Pages">
          {pages.map((p) => (
            <a key={p.route} href={`#/${p.route}`} aria-current={p === current ? "page" : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
        <span class="who" title={`roles: ${session.identity.Roles.join(", ")}`}>
          {session.identity.Principal} ({session.identity.Roles.join(", ")})
          {session.identity.CaseReason ? ` · case ${session.identity.CaseReason}` : ""}
        </span>
        <button
          type="button"
          onClick={() => {
            setSession(null);
            window.location.hash = "";
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {unknown && (
          <ErrorBox
            error={new ServiceError("NotOffered", `the page "${route[0]}" is not offered to this key's roles`)}
          />
        )}
        {current.render(session, route.slice(1))}
      </main>
    </div>
  );
}
