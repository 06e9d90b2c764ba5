// Pieces every page uses: the states of a request (loading, error, empty),
// photos with their faces drawn, a photo picker, confirmation, and how a
// false-match rate is written.
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

import { ServiceError, asServiceError } from "./api";

export function ErrorBox({ error }: { error: ServiceError | null | undefined }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <strong class="error-type">{error.type}</strong>
      {error.message ? <span class="error-message">: {error.message}</span> : null}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export interface Async<T> {
  value?: T;
  error?: ServiceError;
  loading: boolean;
}

// Runs `load` when `deps` change (and on reload()); the latest call wins.
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): [Async<T>, () => void] {
  const [state, setState] = useState<Async<T>>({ loading: true });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const call = ++latest.current;
    setState((s) => ({ value: s.value, loading: true }));
    load().then(
      (value) => call === latest.current && setState({ value, loading: false }),
      (e) => call === latest.current && setState({ error: asServiceError(e), loading: false }),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return [state, useCallback(() => setTick((t) => t + 1), [])];
}

// A call started by a button: its running state and error.
export function useAction(): [
  { running: boolean; error?: ServiceError },
  <T>(run: () => Promise<T>) => Promise<T | undefined>,
] {
  const [state, setState] = useState<{ running: boolean; error?: ServiceError }>({ running: false });
  const act = useCallback(async <T,>(run: () => Promise<T>) => {
    setState({ running: true });
    try {
      const value = await run();
      setState({ running: false });
      return value;
    } catch (e) {
      setState({ running: false, error: asServiceError(e) });
      return undefined;
    }
  }, []);
  return [state, act];
}

// "1 in 100,000" for 1e-5.
export function rateText(rate: number | undefined): string {
  if (rate === undefined || rate === null || Number.isNaN(rate)) return "unknown";
  if (rate <= 0) return "below what was measured";
  if (rate >= 1) return "every comparison";
  return `1 in ${Math.round(1 / rate).toLocaleString("en")}`;
}

// What a Similarity stands for, in words.
export function similarityMeaning(similarity: number | undefined, rate: number | undefined): string {
  if (similarity === undefined) return "";
  return `Similarity ${similarity.toFixed(1)}: two different people score this high in about ${rateText(rate)} comparisons`;
}

export interface Box {
  Width?: number;
  Height?: number;
  Left?: number;
  Top?: number;
}

export interface DrawnFace {
  box: Box;
  landmarks?: { X?: number; Y?: number }[];
  label: string;
  selected?: boolean;
  tone?: "match" | "plain";
}

// A photo with its faces outlined (boxes and landmarks are ratios of the
// photo's size, as Rekognition gives them). Faces with onSelect are
// buttons (keyboard too).
export function FacePhoto({
  src,
  alt,
  faces,
  onSelect,
}: {
  src: string;
  alt: string;
  faces: DrawnFace[];
  onSelect?: (index: number) => void;
}) {
  const [size, setSize] = useState<{ w: number; h: number } | null>(null);
  return (
    <figure class="face-photo">
      <img
        src={src}
        alt={alt}
        onLoad={(e) => {
          const img = e.currentTarget as HTMLImageElement;
          setSize({ w: img.naturalWidth, h: img.naturalHeight });
        }}
      />
      {size && (
        <svg class="overlay" viewBox={`0 0 ${size.w} ${size.h}`} aria-hidden={onSelect ? undefined : "true"}>
          {faces.map((f, i) => {
            const x = (f.box.Left ?? 0) * size.w;
            const y = (f.box.Top ?? 0) * size.h;
            const w = (f.box.Width ?? 0) * size.w;
            const h = (f.box.Height ?? 0) * size.h;
            // In the photo's pixels: about 2 px and 20 px as drawn (480 px wide).
            const stroke = Math.max(1, size.w / 250);
            const font = size.w / 22;
            return (
              <g
                key={i}
                class={`face ${f.selected ? "selected" : ""} ${f.tone ?? ""}`}
                role={onSelect ? "button" : undefined}
                tabindex={onSelect ? 0 : undefined}
                aria-label={f.label}
                onClick={onSelect ? () => onSelect(i) : undefined}
                onKeyDown={
                  onSelect
                    ? (e) => {
                        if (e.key === "Enter" || e.key === " ") {
                          e.preventDefault();
                          onSelect(i);
                        }
                      }
                    : undefined
                }
              >
                <rect x={x} y={y} width={w} height={h} stroke-width={stroke} />
                {(f.landmarks ?? []).map((p, j) => (
                  <circle key={j} cx={(p.X ?? 0) * size.w} cy={(p.Y ?? 0) * size.h} r={stroke * 1.5} />
                ))}
                <text
                  x={x + w / 2 > size.w * 0.7 ? Math.min(x + w, size.w) - stroke : Math.max(x, 0) + stroke}
                  text-anchor={x + w / 2 > size.w * 0.7 ? "end" : "start"}
                  y={Math.max(y - stroke * 3, font)}
                  font-size={font}
                >
                  {f.label}
                </text>
              </g>
            );
          })}
        </svg>
      )}
    </figure>
  );
}

// A photo chosen by dropping it or with the file dialog.
export function PhotoPicker({ id, label, onFile }: { id: string; label: string; onFile: (f: File) => void }) {
  const [over, setOver] = useState(false);
  return (
    <div
      class={`drop ${over ? "over" : ""}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        const f = e.dataTransfer?.files?.[0];
        if (f) onFile(f);
      }}
    >
      <label for={id}>{label}</label>
      <input
        id={id}
        type="file"
        accept="image/jpeg,image/png"
        onChange={(e) => {
          const f = (e.currentTarget as HTMLInputElement).files?.[0];
          if (f) onFile(f);
        }}
      />
      <span class="hint">or drop a JPEG or PNG here</span>
    </div>
  );
}

// A delete button that asks first.
export function ConfirmDelete({
  what,
  onConfirm,
  label = "Delete",
}: {
  what: string;
  onConfirm: () => void;
  label?: string;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class="danger" onClick={() => setAsking(true)} aria-label={`${label} ${what}`}>
        {label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={`Confirm: ${label.toLowerCase()} ${what}`}>
      <span>{label} {what}?</span>
      <button
        type="button"
        class="danger"
        autoFocus
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        Yes, {label.toLowerCase()}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

// An object URL for a blob, revoked when the blob changes or the view goes.
export function useObjectUrl(blob: Blob | null): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!blob) {
      setUrl(null);
      return;
    }
    const u = URL.createObjectURL(blob);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [blob]);
  return url;
}

export function timeText(seconds: number | undefined): string {
  if (seconds === undefined) return "";
  return new Date(seconds * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

// A labelled number input; `value` is kept as typed.
export function NumberField({
  id,
  label,
  value,
  onInput,
  min,
  max,
  step,
}: {
  id: string;
  label: string;
  value: string | number;
  onInput: (value: string) => void;
  min?: number;
  max?: number;
  step?: number;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        type="number"
        min={min}
        max={max}
        step={step}
        value={value}
        onInput={(e) => onInput((e.currentTarget as HTMLInputElement).value)}
      />
    </div>
  );
}

// A table's header row of plain column names.
export function TableHead({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c) => (
          <th key={c} scope="col">
            {c}
          </th>
        ))}
      </tr>
    </thead>
  );
}
