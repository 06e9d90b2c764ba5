// The operator console in a real browser: Debian's Chromium, headless, driven
// by puppeteer-core. Run by tests/console/run.sh, which starts `candor serve`
// and exports CANDOR_ENDPOINT, CANDOR_KEYS (a JSON file of four keys:
// admin = admin+auditor, officer = enroller+searcher, viewer = searcher,
// auditor = auditor+analyst), CANDOR_DATA, CANDOR_CHROMIUM and
// CANDOR_CONSOLE_ARTIFACTS (where the screenshots go).
//
// What it checks, in order:
//   1. the console is served with a strict Content-Security-Policy and
//      nosniff, its HTML has no inline script or style and names nothing
//      outside the service, hostile paths are refused;
//   2. a wrong secret shows the service's error (its __type and message);
//   3. admin: creates a collection, lowers its floor to 80 on the Policies
//      page and sees the change, by whom, from the audit log; creates a key
//      and sees its secret once;
//   4. officer (enroller+searcher): imports four LFW people (progress bar,
//      report), searches with another photo of one of them and sees that
//      person first with the Similarity and the false-match rate it stands
//      for; a search below the floor shows the threshold raised to it;
//      compares two photos; starts a stored-video face search and sees its
//      matches on the clip's timeline;
//   5. viewer (searcher): sees no delete button, and a delete signed with
//      its key from the page is refused (AccessDeniedException) and deletes
//      nothing;
//   6. auditor: the audit page shows the search just made and the chain
//      verifies, and the transparency report counts what was done; DetectFaces draws boxes and landmarks with attributes;
//      the Health page draws its charts; the Video page its empty state;
//   7. throughout: no request leaves the service's origin and the browser
//      reports no CSP violation; a phone-sized window works.
// Prints one line per step; exits non-zero on the first failure.

import { mkdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { basename, join } from "node:path";

import puppeteer from "puppeteer-core";

import { pickPeople } from "../clients/js/support.mjs";

const endpoint = process.env.CANDOR_ENDPOINT;
const keys = JSON.parse(readFileSync(process.env.CANDOR_KEYS, "utf8"));
const lfw = join(process.env.CANDOR_DATA, "lfw", "images");
const artifacts = process.env.CANDOR_CONSOLE_ARTIFACTS;
const COLLECTION = "e2e-people";
const FLOOR = 80;
const STEP_TIMEOUT_MS = 30000;

mkdirSync(artifacts, { recursive: true });

let browser;
async function fail(message) {
  console.error(`console e2e: FAILED: ${message}`);
  if (browser) await browser.close().catch(() => {});
  process.exit(1);
}
class Failure extends Error {}
function check(condition, message) {
  if (!condition) throw new Failure(message);
}
function step(message) {
  console.log(`console e2e: ${message}`);
}

// --- 1. Headers and the page itself, without a browser ---------------------

const EXPECTED_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
  "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

async function servedStrictly() {
  const page = await fetch(`${endpoint}/console/`);
  check(page.status === 200, `GET /console/ answered ${page.status}`);
  check(page.headers.get("content-security-policy") === EXPECTED_CSP,
    `GET /console/ Content-Security-Policy is ${page.headers.get("content-security-policy")}`);
  check(page.headers.get("x-content-type-options") === "nosniff", "no X-Content-Type-Options: nosniff");
  check(page.headers.get("referrer-policy") === "no-referrer", "no Referrer-Policy: no-referrer");
  check(page.headers.get("content-type").startsWith("text/html"), `Content-Type ${page.headers.get("content-type")}`);
  const html = await page.text();
  // Every script has a src of the service's own; no inline script, no
  // event-handler attributes, no <style> or style="".
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
  check(scripts.length >= 1, "the page has no script");
  for (const [, attrs, body] of scripts) {
    check(/\bsrc="\/console\/[^"]+"/.test(attrs) && body.trim() === "", `an inline or foreign script: <script${attrs}>`);
  }
  check(!/<style\b/i.test(html) && !/\sstyle=/i.test(html), "inline style in the page");
  check(!/\son[a-z]+=/i.test(html), "an event-handler attribute in the page");
  const urls = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
  for (const u of urls) {
    check(u.startsWith("/console/") || u === "data:,", `the page names ${u}, outside the service`);
  }
  // Each asset: its type, the same headers, and no URL to load elsewhere in
  // the style sheet (fonts, images).
  for (const u of urls.filter((x) => x.startsWith("/console/"))) {
    const r = await fetch(`${endpoint}${u}`);
    check(r.status === 200, `${u} answered ${r.status}`);
    check(r.headers.get("content-security-policy") === EXPECTED_CSP, `${u} has no strict CSP`);
    check(r.headers.get("x-content-type-options") === "nosniff", `${u} has no nosniff`);
    const type = r.headers.get("content-type");
    if (u.endsWith(".js")) check(type.startsWith("text/javascript"), `${u} is served as ${type}`);
    if (u.endsWith(".css")) {
      check(type.startsWith("text/css"), `${u} is served as ${type}`);
      const css = await r.text();
      check(!/url\(\s*["']?(https?:)?\/\//i.test(css) && !/@import/i.test(css), `${u} loads something from elsewhere`);
    }
  }
  // Sent as they are (fetch would normalise "..", "%2e%2e" before sending).
  for (const hostile of ["/console/../credentials", "/console/%2e%2e/credentials", "/console/.build-stamp",
    "/console/assets/..%2f..%2fpackage.json", "/console/assets/../../../etc/passwd"]) {
    const r = await rawGet(hostile);
    check(r.status === 400 || r.status === 404, `${hostile} answered ${r.status}`);
    check(r.headers["content-security-policy"] === EXPECTED_CSP, `${hostile}: no CSP on the refusal`);
    check(!/aws_secret|root:/.test(r.body), `${hostile} leaked a file`);
  }
  const post = await fetch(`${endpoint}/console/`, { method: "POST", body: "x" });
  check(post.status === 405, `POST /console/ answered ${post.status}`);
  step(`served with a strict CSP; ${urls.length} assets of its own, no inline script or style; hostile paths refused`);
}

// GET of `path` exactly as written, over a socket of its own.
function rawGet(path) {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () =>
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`),
    );
    let text = "";
    socket.setEncoding("latin1");
    socket.on("data", (d) => (text += d));
    socket.on("error", reject);
    socket.on("end", () => {
      const [head, ...rest] = text.split("\r\n\r\n");
      const [statusLine, ...lines] = head.split("\r\n");
      const headers = {};
      for (const l of lines) {
        const i = l.indexOf(":");
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: rest.join("\r\n\r\n") });
    });
  });
}

// --- The browser ------------------------------------------------------------

const origin = new URL(endpoint).origin;
const foreign = [];
const violations = [];

async function newPage(width = 1280, height = 800) {
  const page = await browser.newPage();
  await page.setViewport({ width, height });
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.on("request", (r) => {
    const u = r.url();
    if (!(u.startsWith(`${origin}/`) || u.startsWith("blob:") || u.startsWith("data:"))) foreign.push(u);
  });
  page.on("console", (m) => {
    if (/Content.Security.Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  page.on("pageerror", (e) => violations.push(`page error: ${e.message}`));
  // Runs before the page's own script (through the DevTools protocol, so
  // the page's CSP does not apply to it): records CSP violation reports.
  await page.evaluateOnNewDocument(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  return page;
}

async function cspViolationsOf(page) {
  return page.evaluate(() => window.__cspViolations ?? []);
}

async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

async function signIn(page, key, { expectError } = {}) {
  await page.goto(`${endpoint}/console/`, { waitUntil: "networkidle0" });
  await page.waitForSelector("#access-key-id");
  await page.type("#access-key-id", key.accessKeyId);
  await page.type("#secret-access-key", key.secretAccessKey);
  await page.click("button[type=submit]");
  if (expectError) {
    await page.waitForSelector(".error");
    return page.$eval(".error", (e) => e.textContent);
  }
  await page.waitForSelector("header nav");
}

async function go(page, route) {
  await page.evaluate((r) => (window.location.hash = r), route);
}

// Waits until `selector` holds text matching `pattern`; returns that text.
async function waitText(page, selector, pattern, what) {
  try {
    await page.waitForFunction(
      (sel, src, flags) => [...document.querySelectorAll(sel)].some((e) => new RegExp(src, flags).test(e.textContent)),
      { timeout: STEP_TIMEOUT_MS },
      selector,
      pattern.source,
      pattern.flags,
    );
  } catch {
    const seen = await page.$$eval(selector, (els) => els.map((e) => e.textContent).join(" | ")).catch(() => "");
    const errors = await page.$$eval(".error", (els) => els.map((e) => e.textContent).join(" | ")).catch(() => "");
    await shot(page, `failed-${what.replace(/\W+/g, "-")}`);
    throw new Failure(`${what}: no ${selector} matching ${pattern} (saw "${seen.slice(0, 300)}"; errors: "${errors}")`);
  }
  return page.$$eval(
    selector,
    (els, src, flags) => els.map((e) => e.textContent).find((t) => new RegExp(src, flags).test(t)),
    pattern.source,
    pattern.flags,
  );
}

async function clickButton(page, text) {
  const handle = await page.waitForFunction(
    (t) => [...document.querySelectorAll("button")].find((b) => b.textContent.trim() === t && !b.disabled),
    { timeout: STEP_TIMEOUT_MS },
    text,
  );
  await handle.asElement().click();
}

async function upload(page, selector, ...files) {
  const input = await page.waitForSelector(selector);
  await input.uploadFile(...files);
}

async function main() {
  await servedStrictly();
  browser = await puppeteer.launch({
    executablePath: process.env.CANDOR_CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--lang=en-US"],
  });
  const people = pickPeople(lfw, 4);

  // --- 2. A wrong secret: the service's own error ---
  {
    const page = await newPage();
    const text = await signIn(page, { accessKeyId: keys.officer.accessKeyId, secretAccessKey: "x".repeat(40) }, { expectError: true });
    check(/InvalidSignatureException/.test(text), `a wrong secret showed "${text}", not InvalidSignatureException`);
    check(/signature/i.test(text), `the error has no message: "${text}"`);
    check(!(await page.$("header nav")), "signed in with a wrong secret");
    await shot(page, "signin-wrong-secret");
    step(`a wrong secret shows "${text.trim()}"`);
    // Keyboard: the first Tab reaches the first field.
    await page.reload({ waitUntil: "networkidle0" });
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => document.activeElement?.id);
    check(focused === "access-key-id", `Tab focused ${focused}, not the access key field`);
    await page.close();
  }

  // --- 3. Admin: a collection, its policy, a key ---
  {
    const page = await newPage();
    await signIn(page, keys.admin);
    const nav = await page.$$eval("header nav a", (as) => as.map((a) => a.textContent));
    check(nav.includes("Policies") && nav.includes("Keys") && nav.includes("Audit"), `admin+auditor's pages: ${nav}`);
    check(!nav.includes("Search"), `admin is offered Search: ${nav}`);
    await go(page, "#/collections");
    await page.waitForSelector("#new-collection");
    await page.type("#new-collection", COLLECTION);
    await clickButton(page, "Create collection");
    await waitText(page, ".collection-list a", new RegExp(`^${COLLECTION}$`), "the new collection in the list");
    await shot(page, "collections");
    step(`admin created ${COLLECTION}`);

    await go(page, "#/policies");
    await page.waitForSelector("#policy-collection");
    await page.select("#policy-collection", COLLECTION);
    await page.waitForSelector("#policy-floor");
    await page.$eval("#policy-floor", (e) => (e.value = ""));
    await page.type("#policy-floor", String(FLOOR));
    await page.$eval("#policy-purpose", (e) => (e.value = ""));
    await page.type("#policy-purpose", "E2E test: identify a photographed person");
    await page.$$eval("label.check", (labels) => labels.find((l) => /needs a reason/.test(l.textContent)).querySelector("input").click());
    await clickButton(page, "Save policy");
    await waitText(page, "[role=status]", /Saved/, "the policy saved");
    const change = await waitText(page, "table tbody tr", new RegExp(`admin.*ThresholdFloor 99 → ${FLOOR}`), "the policy change in its history");
    check(/Purpose "unspecified" → "E2E test/.test(change), `the history does not show the purpose change: ${change}`);
    check(/ReasonRequired false → true/.test(change), `the history does not show the reason required: ${change}`);
    await shot(page, "policies");
    step(`admin lowered the floor to ${FLOOR}; history: ${change.slice(0, 80)}…`);

    await go(page, "#/keys");
    await page.waitForSelector("#key-principal");
    await page.type("#key-principal", "e2e-temporary");
    await page.$$eval("fieldset label.check", (labels) => labels.find((l) => l.textContent.trim() === "searcher").querySelector("input").click());
    await page.type("#key-reason", "CASE-2026-0042");
    await clickButton(page, "Create key");
    const secret = await waitText(page, ".secret", /shown this once/, "the new key's secret");
    const shown = await page.$$eval(".secret dd.mono", (d) => d.map((x) => x.textContent));
    check(shown.length === 2 && /^CKIA/.test(shown[0]) && shown[1].length === 40, `the new key is shown as ${shown}`);
    await waitText(page, "table tbody tr", /e2e-temporary.*searcher.*CASE-2026-0042/, "the new key in the list");
    await shot(page, "keys");
    check(secret.includes("e2e-temporary"), "the secret panel does not name the principal");
    await clickButton(page, "I have copied it");
    check(!(await page.$(".secret")), "the secret is still shown after it was dismissed");
    // Deleting asks first; the key is then gone from the list.
    await page.click("button[aria-label='Delete the key of e2e-temporary']");
    await clickButton(page, "Yes, delete");
    await page.waitForFunction(() => ![...document.querySelectorAll("table tbody tr")].some((r) => /e2e-temporary/.test(r.textContent)));
    check(!(await page.$("button[aria-label='Delete the key of admin']")), "the admin is offered to delete its own key");
    step("admin created a key bound to a case (its secret shown once) and deleted it");
    await page.close();
  }

  // --- 4. Officer: import, search, compare ---
  {
    const page = await newPage();
    await signIn(page, keys.officer);
    const nav = await page.$$eval("header nav a", (as) => as.map((a) => a.textContent));
    check(nav.includes("Search") && nav.includes("Collections") && nav.includes("Compare"), `officer's pages: ${nav}`);
    check(!nav.includes("Keys") && !nav.includes("Policies") && !nav.includes("Audit") && !nav.includes("Detect"), `officer is offered ${nav}`);
    await go(page, `#/collections/${COLLECTION}`);
    await page.waitForSelector("#import-files");
    check(!(await page.$("button[aria-label^='Delete collection']")), "an enroller is offered DeleteCollection");
    await upload(page, "#import-files", ...people.map((p) => p.gallery));
    await clickButton(page, "Import 4 photos");
    await waitText(page, ".progress label", /4 of 4 photos; 4 faces indexed/, "the import's progress");
    await waitText(page, ".import-report", /Every photo was indexed|Not indexed/, "the import's report");
    await waitText(page, ".face-count", /^4$/, "the collection's face count");
    await waitText(page, "#faces-title + *, table", new RegExp(basename(people[0].gallery, ".jpg")), "the faces listed");
    await shot(page, "collection-officer");
    step(`officer imported ${people.map((p) => p.name).join(", ")}`);

    // Search with another photo of the second person.
    const wanted = people[1];
    await go(page, "#/search");
    await page.waitForSelector("#search-collection");
    await page.select("#search-collection", COLLECTION);
    await waitText(page, ".policy-line", new RegExp(`Floor ${FLOOR}`), "the collection's policy on the search page");
    await upload(page, "#search-photo", wanted.probe);
    await page.waitForSelector(".face-photo .overlay .face rect");
    await page.$eval("#search-threshold", (e) => (e.value = ""));
    await page.type("#search-threshold", String(FLOOR));
    // The policy asks for a reason: without one the service refuses, and
    // the page shows its error as the service named it.
    await page.waitForSelector("#search-reason");
    await clickButton(page, "Search");
    const refusal = await waitText(page, ".error", /AccessDeniedException: .*requires a reason/, "the refusal of a search without a reason");
    await shot(page, "search-no-reason");
    step(`a search without a reason shows "${refusal.trim().slice(0, 90)}…"`);
    await page.type("#search-reason", "CASE-E2E-0001");
    await clickButton(page, "Search");
    await page.waitForSelector(".result");
    const errors = await page.$$eval(".error", (els) => els.map((e) => e.textContent));
    check(errors.length === 0, `the search failed: ${errors}`);
    const first = await page.$$eval(".matches tbody tr:first-child td", (tds) => tds.map((t) => t.textContent));
    check(first.length === 5, `no match shown (row: ${first})`);
    check(first[1] === basename(wanted.gallery, ".jpg"), `the first match is ${first[1]}, not ${basename(wanted.gallery, ".jpg")}`);
    const similarity = Number(first[2]);
    check(similarity >= FLOOR && similarity <= 100, `Similarity ${first[2]}`);
    check(/^1 in [\d,]+ comparisons of different people score this high$/.test(first[3]), `the Similarity's meaning is "${first[3]}"`);
    const facts = await page.$eval(".result dl", (d) => d.textContent);
    check(/Expected false matches/.test(facts) && /CandorExpectedFalseMatches/.test(facts), `no expected false matches in ${facts}`);
    check(/asked 80, applied 80 — not raised/.test(facts), `the threshold line is wrong: ${facts}`);
    check(/E2E test: identify a photographed person/.test(facts), `the purpose is not shown: ${facts}`);
    check(/CASE-E2E-0001/.test(facts), `the reason is not shown: ${facts}`);
    await shot(page, "search");
    step(`search found ${first[1]} first, Similarity ${first[2]} (${first[3]})`);

    // A photo of two people: both faces drawn, chosen with the keyboard.
    await upload(page, "#search-photo", people[2].probe);
    await page.waitForFunction(() => document.querySelectorAll(".face-photo .face[role=button]").length === 2);
    // Tab from the first face reaches the second (an SVG group, focusable).
    await page.$$eval(".face-photo .face[role=button]", (faces) => faces[0].focus());
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    const chosen = await page.$$eval("fieldset.face-choice input", (inputs) => inputs.map((i) => i.checked));
    check(chosen.length === 2 && !chosen[0] && chosen[1], `Enter on the second face chose ${chosen}`);
    check(await page.$(".face-photo .face.selected:nth-of-type(2)"), "the second face is not drawn as chosen");
    await shot(page, "search-two-faces");
    step("a photo of two people shows both faces; the second is chosen with the keyboard");
    await upload(page, "#search-photo", wanted.probe);
    await page.waitForFunction(() => document.querySelectorAll(".face-photo .face[role=button]").length === 1);

    // Below the floor: raised to it.
    await page.$eval("#search-threshold", (e) => (e.value = ""));
    await page.type("#search-threshold", "50");
    await clickButton(page, "Search");
    const raised = await waitText(page, ".result .threshold", /asked 50/, "the raised search");
    check(new RegExp(`applied ${FLOOR} — raised to the collection's floor`).test(raised), `a search at 50 shows "${raised}"`);
    await shot(page, "search-raised");
    step(`a search below the floor shows "${raised.trim()}"`);

    // Compare two photos of one person.
    await go(page, "#/compare");
    await upload(page, "#compare-source", wanted.gallery);
    await upload(page, "#compare-target", wanted.probe);
    await clickButton(page, "Compare");
    const compared = await waitText(page, ".result li", /Similarity [\d.]+: two different people score this high in about 1 in [\d,]+ comparisons/, "the comparison");
    await page.waitForSelector(".face-photo .face.match rect");
    await shot(page, "compare");
    step(`compare: ${compared.trim()}`);

    // A stored-video face search, once Lin-Manuel Miranda is in the
    // collection: his sightings matched on the clip's timeline.
    await go(page, `#/collections/${COLLECTION}`);
    await upload(page, "#import-files", join(process.env.CANDOR_DATA, "video", "lin-manuel-miranda.png"));
    await clickButton(page, "Import 1 photo");
    await waitText(page, ".progress label", /1 of 1 photos; 1 faces indexed/, "the second import");
    await go(page, "#/video");
    await page.waitForSelector("#video-bucket");
    await page.type("#video-bucket", "clips");
    await page.type("#video-name", "short_hamilton_clip.mp4");
    await page.waitForSelector("#video-collection");
    await page.select("#video-collection", COLLECTION);
    await page.waitForSelector("#video-reason");
    await page.type("#video-reason", "CASE-E2E-0002");
    await clickButton(page, "Start face search");
    await waitText(page, "[role=status]", /Started job/, "the started video job");
    await page.waitForFunction(() => /SUCCEEDED|FAILED/.test(document.querySelector(".video-jobs tbody tr")?.textContent ?? ""), { timeout: 90000 });
    const jobRow = await page.$eval(".video-jobs tbody tr", (r) => r.textContent);
    check(/FaceSearch.*SUCCEEDED.*clips\/short_hamilton_clip\.mp4/.test(jobRow), `the video job: ${jobRow}`);
    await page.click(".video-jobs tbody tr:first-child button");
    await page.waitForSelector(".timeline circle.match");
    const seen = await waitText(page, ".job p", /\d+ sightings; [1-9]\d* matched/, "the job's timeline");
    await waitText(page, ".video-matches tbody tr", /lin-manuel-miranda/, "Lin-Manuel Miranda among the matches");
    await shot(page, "video");
    step(`video: a face search of the clip: ${seen.trim()}`);

    // Deleting a face asks first; the collection is then one face smaller.
    await go(page, `#/collections/${COLLECTION}`);
    await waitText(page, ".face-count", /^5$/, "the collection with Lin-Manuel Miranda");
    await page.click("button[aria-label='Delete face lin-manuel-miranda']");
    await clickButton(page, "Yes, delete");
    await waitText(page, ".face-count", /^4$/, "the collection after deleting a face");
    const listed = await page.$$eval("table tbody tr", (rows) => rows.map((r) => r.textContent).join(" "));
    check(!/lin-manuel-miranda/.test(listed), "the deleted face is still listed");
    step("an enroller deleted a face, asked first");

    // A phone-sized window.
    await page.setViewport({ width: 390, height: 844 });
    for (const [route, ready, name] of [
      [`#/collections/${COLLECTION}`, ".face-count", "phone-collection"],
      ["#/search", "#search-photo", "phone-search"],
    ]) {
      await go(page, route);
      await page.waitForSelector(ready);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(overflow <= 1, `${route} is ${overflow}px wider than a phone`);
      await shot(page, name);
    }
    step("a phone-sized window shows the collection and the search without sideways scrolling");
    check((await cspViolationsOf(page)).length === 0, `CSP violations: ${await cspViolationsOf(page)}`);
    await page.close();
  }

  // --- 5. Viewer: no delete offered; a forged one refused ---
  {
    const page = await newPage();
    await signIn(page, keys.viewer);
    await go(page, `#/collections/${COLLECTION}`);
    await waitText(page, ".face-count", /^4$/, "the collection as the viewer sees it");
    const deletes = await page.$$eval("button", (bs) => bs.filter((b) => /delete/i.test(b.textContent + (b.getAttribute("aria-label") ?? ""))).length);
    check(deletes === 0, `a searcher sees ${deletes} delete buttons`);
    check(!(await page.$("#import-files")), "a searcher is offered the import");
    await shot(page, "collection-viewer");
    // A DeleteCollection signed with the viewer's key in the page, as
    // someone with the page's devtools could send it.
    const forged = await page.evaluate(forgeDelete, keys.viewer.accessKeyId, keys.viewer.secretAccessKey, COLLECTION);
    check(forged.status === 403, `the forged delete answered ${forged.status}: ${forged.body}`);
    check(JSON.parse(forged.body).__type === "AccessDeniedException", `the forged delete answered ${forged.body}`);
    await page.reload({ waitUntil: "networkidle0" });
    await signIn(page, keys.viewer);
    await go(page, `#/collections/${COLLECTION}`);
    await waitText(page, ".face-count", /^4$/, "the collection after the forged delete");
    step(`a searcher sees no delete button; a forged DeleteCollection was refused (${JSON.parse(forged.body).__type})`);
    // A browser whose clock is an hour fast: the first signature is refused
    // as not yet current, the page takes the service's time from the
    // refusal, and signs in.
    const skewed = await newPage();
    await skewed.evaluateOnNewDocument(shiftClock, 3600 * 1000);
    await signIn(skewed, keys.viewer);
    check((await skewed.evaluate(() => new Date().getTime() - performance.timeOrigin - performance.now())) > 3000000,
      "the page's clock was not an hour fast");
    await go(skewed, "#/collections");
    await waitText(skewed, ".collection-list a", new RegExp(`^${COLLECTION}$`), "the collections, signed with a fast clock");
    await skewed.close();
    step("a browser whose clock is an hour fast still signs in (the service's time taken from its refusal)");

    await go(page, "#/video");
    await waitText(page, ".empty", /no stream processors/i, "the video page's empty state");
    await waitText(page, ".video-jobs", /SUCCEEDED/, "the officer's video job, as a searcher lists it");
    await page.close();
  }

  // --- 6. Auditor: the search in the log, the chain; Detect; Health ---
  {
    const page = await newPage();
    await signIn(page, keys.auditor);
    await go(page, "#/audit");
    await waitText(page, ".chain-status", /✔ The chain verifies/, "the chain's verification");
    await page.type("#audit-principal", "officer");
    await page.type("#audit-operation", "SearchFacesByImage");
    await clickButton(page, "Filter");
    // The filtered page replaces the whole log: every row the officer's search.
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll(".audit-events tbody tr")];
      return rows.length > 0 && rows.every((r) => /officer.*SearchFacesByImage/.test(r.textContent));
    });
    const row = await waitText(page, ".audit-events tbody tr", new RegExp(`officer.*SearchFacesByImage.*${COLLECTION}.*80 → 80.*CASE-E2E-0001`), "the search in the audit log");
    const rows = await page.$$eval(".audit-events tbody tr", (r) => r.map((x) => x.textContent));
    check(rows.every((r) => /officer/.test(r) && /SearchFacesByImage/.test(r)), `the filter let through ${rows}`);
    check(rows.some((r) => /50 → 80/.test(r)), `the raised search is not in the log: ${rows}`);
    await page.click(".audit-events tbody tr:first-child button");
    const record = await page.$eval(".record pre", (p) => p.textContent);
    const parsed = JSON.parse(record);
    check(parsed.operation === "SearchFacesByImage" && parsed.collection_id === COLLECTION && parsed.hash, `the record shown: ${record.slice(0, 200)}`);
    await shot(page, "audit");
    step(`the audit log shows the search (${row.trim().slice(0, 60)}…) and the chain verifies`);

    // The transparency report of the period, from the service.
    await clickButton(page, "Make the report");
    await waitText(page, ".report", /The audit chain verifies/, "the transparency report");
    const totals = Object.fromEntries(
      await page.$$eval(".report-totals tr", (rows) => rows.map((r) => [r.querySelector("th").textContent, Number(r.querySelector("td").textContent)])),
    );
    check(totals["Thresholds raised to the floor"] === 1, `the report counts ${totals["Thresholds raised to the floor"]} raised thresholds`);
    // Three SearchFacesByImage (one refused: no reason), four CompareFaces
    // (the search page's, to find the faces of each of its three photos, and
    // the compare page's) and the stored-video face search; one
    // policy change; two refusals, the search without a reason and the
    // forged delete (a wrong signature never reaches the log); five faces
    // enrolled, one erased.
    check(totals["Faces enrolled"] === 5 && totals.Searches === 8 && totals["Refused searches"] === 1 &&
      totals["Faces erased"] === 1,
      `the report's totals: ${JSON.stringify(totals)}`);
    check(totals["Policy changes"] === 1 && totals["Requests refused"] === 2, `the report's totals: ${JSON.stringify(totals)}`);
    check(await page.$("a[download='transparency.html']"), "no download of the report's page");
    await shot(page, "audit-transparency");
    step(`the transparency report: ${JSON.stringify(totals)}`);

    // The evaluation report, opened from the console: served with a policy
    // of its own that lets its inline style apply and runs no script.
    const href = await page.$eval("a.evaluation-link", (a) => a.getAttribute("href"));
    check(href === "/console/reports/evaluation.html", `the evaluation report's link is ${href}`);
    const reportPage = await newPage();
    const served = await reportPage.goto(`${endpoint}${href}`, { waitUntil: "load" });
    check(/sandbox/.test(served.headers()["content-security-policy"]), "the evaluation report is not sandboxed");
    const heading = await reportPage.$eval("h1", (h) => [h.textContent, getComputedStyle(h).color]);
    check(heading[0] === "Candor evaluation report" && heading[1] === "rgb(11, 92, 173)", `the evaluation report shows ${heading}`);
    await reportPage.close();
    step("the evaluation report opens from the audit page, its style applied, sandboxed");

    await go(page, "#/detect");
    await upload(page, "#detect-photo", people[2].probe);
    await page.waitForSelector(".face-photo .overlay .face circle");
    await waitText(page, "table.attributes", /Gender.*%/, "the attributes");
    await shot(page, "detect");
    step("detect draws boxes and landmarks and lists attributes with confidence");

    await go(page, "#/health");
    await page.waitForSelector(".chart svg path");
    await waitText(page, ".chart figcaption", /Requests answered \(total\): \d+/, "the requests chart");
    await waitText(page, ".bars", new RegExp(COLLECTION), "faces per collection");
    await shot(page, "health");
    step("health shows requests, latency, queue depth and faces per collection");
    check((await cspViolationsOf(page)).length === 0, `CSP violations: ${await cspViolationsOf(page)}`);
    await page.close();
  }

  check(foreign.length === 0, `requests outside the service: ${foreign.slice(0, 5)}`);
  check(violations.length === 0, `the browser reported: ${violations.slice(0, 5)}`);
  step("no request left the service's origin; no CSP violation or page error");
  await browser.close();
}

// Runs in the page before its own script: Date `ms` ahead of the real clock.
function shiftClock(ms) {
  const Real = Date;
  function Shifted(...args) {
    if (!new.target) return Real();
    return args.length ? new Real(...args) : new Real(Real.now() + ms);
  }
  Shifted.now = () => Real.now() + ms;
  Shifted.UTC = Real.UTC;
  Shifted.parse = Real.parse;
  Shifted.prototype = Real.prototype;
  window.Date = Shifted;
}

// Runs in the page: SigV4 by hand with WebCrypto (the console's own code
// would never send this), DeleteCollection signed with the given key.
async function forgeDelete(keyId, secret, collection) {
  const enc = new TextEncoder();
  const hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");
  const sha = async (s) => hex(await crypto.subtle.digest("SHA-256", enc.encode(s)));
  const hmac = async (key, s) =>
    crypto.subtle.sign(
      "HMAC",
      await crypto.subtle.importKey("raw", typeof key === "string" ? enc.encode(key) : key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
      enc.encode(s),
    );
  const body = JSON.stringify({ CollectionId: collection });
  const amzDate = new Date().toISOString().replace(/[:-]|\.\d{3}/g, "");
  const date = amzDate.slice(0, 8);
  const headers = {
    "content-type": "application/x-amz-json-1.1",
    host: location.host,
    "x-amz-date": amzDate,
    "x-amz-target": "RekognitionService.DeleteCollection",
  };
  const names = Object.keys(headers).sort();
  const canonical = ["POST", "/", "", ...names.map((h) => `${h}:${headers[h]}`), "", names.join(";"), await sha(body)].join("\n");
  const scope = `${date}/us-east-1/rekognition/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, await sha(canonical)].join("\n");
  let k = await hmac(`AWS4${secret}`, date);
  for (const part of ["us-east-1", "rekognition", "aws4_request"]) k = await hmac(k, part);
  const signature = hex(await hmac(k, toSign));
  const sent = { ...headers };
  delete sent.host;
  sent.authorization = `AWS4-HMAC-SHA256 Credential=${keyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
  const r = await fetch("/", { method: "POST", headers: sent, body });
  return { status: r.status, body: await r.text() };
}

main().catch((e) => fail(e instanceof Failure ? e.message : (e.stack ?? String(e))));
