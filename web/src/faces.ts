// Finding the faces of a photo the user chose, and cutting one out to search
// with (SearchFacesByImage searches the largest face of what it is sent).
import { CompareFacesCommand, DetectFacesCommand } from "@aws-sdk/client-rekognition";
import type { CompareFacesCommandOutput, DetectFacesCommandOutput } from "@aws-sdk/client-rekognition";

import type { Session } from "./api";
import type { Box } from "./ui";

// Every face's box, largest first. DetectFaces where the key may call it;
// else CompareFaces of the photo with itself (a searcher's right), whose
// target faces, matched or not, are all the faces of the photo.
export async function findFaces(session: Session, bytes: Uint8Array): Promise<Box[]> {
  let boxes: Box[];
  if (session.allows("DetectFaces")) {
    const r = await session.send<DetectFacesCommandOutput>(new DetectFacesCommand({ Image: { Bytes: bytes } }));
    boxes = (r.FaceDetails ?? []).map((f) => f.BoundingBox ?? {});
  } else {
    const r = await session.send<CompareFacesCommandOutput>(
      new CompareFacesCommand({ SourceImage: { Bytes: bytes }, TargetImage: { Bytes: bytes }, SimilarityThreshold: 0 }),
    );
    boxes = [
      ...(r.FaceMatches ?? []).map((m) => m.Face?.BoundingBox ?? {}),
      ...(r.UnmatchedFaces ?? []).map((f) => f.BoundingBox ?? {}),
    ];
  }
  const area = (b: Box) => (b.Width ?? 0) * (b.Height ?? 0);
  return boxes.sort((a, b) => area(b) - area(a));
}

// The face in `box` with a margin of half its size on each side (the
// detector needs context around a face), as JPEG bytes.
export async function cropFace(photo: Blob, box: Box): Promise<Uint8Array> {
  const bitmap = await createImageBitmap(photo);
  const w = bitmap.width;
  const h = bitmap.height;
  const bw = (box.Width ?? 1) * w;
  const bh = (box.Height ?? 1) * h;
  const x0 = Math.max(0, (box.Left ?? 0) * w - bw / 2);
  const y0 = Math.max(0, (box.Top ?? 0) * h - bh / 2);
  const x1 = Math.min(w, (box.Left ?? 0) * w + bw * 1.5);
  const y1 = Math.min(h, (box.Top ?? 0) * h + bh * 1.5);
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(x1 - x0));
  canvas.height = Math.max(1, Math.round(y1 - y0));
  canvas.getContext("2d")!.drawImage(bitmap, x0, y0, x1 - x0, y1 - y0, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise<Blob>((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("the face could not be cut out"))), "image/jpeg", 0.95),
  );
  return new Uint8Array(await blob.arrayBuffer());
}
