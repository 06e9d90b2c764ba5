// Helpers shared by the JS client scenarios (scenario.mjs, candor_fields.mjs),
// which run on import and so cannot import each other.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export function fail(message) {
  console.error(`FAILED: ${message}`);
  process.exit(1);
}

export function check(condition, message) {
  if (!condition) fail(message);
}

// The first `count` LFW people, by sorted name, with two or more photos. The
// shared LFW is a subset, so the photos are listed, never guessed.
export function pickPeople(imagesDir, count) {
  const people = [];
  for (const name of readdirSync(imagesDir).sort()) {
    const folder = join(imagesDir, name);
    if (!statSync(folder).isDirectory()) continue;
    const photos = readdirSync(folder).filter((f) => f.endsWith(".jpg")).sort();
    if (photos.length >= 2) {
      people.push({ name, gallery: join(folder, photos[0]), probe: join(folder, photos[1]) });
      if (people.length === count) return people;
    }
  }
  fail(`fewer than ${count} people with two photos in ${imagesDir}`);
}

export const image = (path) => ({ Bytes: readFileSync(path) });
