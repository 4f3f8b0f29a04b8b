/** The charts, drawn as inline SVG (attributes and classes only: no inline style, for the CSP). */
import { count, s } from "./dom.js";

export interface Bucket {
  /** The bucket's first instant. */
  start: number;
  count: number;
}

const WIDTH = 720;
const HEIGHT = 160;
const PAD = { left: 44, right: 8, top: 8, bottom: 22 };

/**
 * A column chart of logins over `[from, to]`, one column per bucket of `stepMs` at its start
 * (buckets the server leaves out count 0), with a few time labels under it.
 */
export function timeSeries(
  buckets: readonly Bucket[],
  {
    from,
    to,
    stepMs,
    label,
    format,
  }: {
    from: number;
    to: number;
    stepMs: number;
    label: string;
    format: (ms: number) => string;
  },
): SVGSVGElement {
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const span = Math.max(1, to - from);
  const x = (ms: number) => PAD.left + ((ms - from) / span) * plotW;
  const width = Math.max(1, (stepMs / span) * plotW - 1);
  const svg = s("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    class: "chart",
    role: "img",
    "aria-label": `${label}: ${count(total)} in ${buckets.length} buckets, at most ${count(max)}`,
  });
  svg.append(
    s("line", {
      x1: PAD.left,
      x2: WIDTH - PAD.right,
      y1: PAD.top + plotH,
      y2: PAD.top + plotH,
      class: "axis",
    }),
    s("text", { x: PAD.left - 4, y: PAD.top + 10, class: "tick end" }, count(max)),
    s("text", { x: PAD.left - 4, y: PAD.top + plotH, class: "tick end" }, "0"),
  );
  for (const bucket of buckets) {
    const left = Math.max(PAD.left, x(bucket.start));
    const height = (bucket.count / max) * plotH;
    svg.append(
      s(
        "rect",
        {
          x: left.toFixed(1),
          y: (PAD.top + plotH - height).toFixed(1),
          width: width.toFixed(1),
          height: height.toFixed(1),
          class: "bar",
        },
        s("title", {}, `${format(bucket.start)}: ${count(bucket.count)}`),
      ),
    );
  }
  for (let i = 0; i <= 4; i++) {
    const at = from + (span * i) / 4;
    const anchor = i === 0 ? "start" : i === 4 ? "end" : "middle";
    svg.append(
      s("text", { x: x(at).toFixed(1), y: HEIGHT - 6, class: `tick ${anchor}` }, format(at)),
    );
  }
  return svg;
}

/** A horizontal bar for a facet value, its length the value's share of the largest. */
export function shareBar(value: number, max: number): SVGSVGElement {
  const width = max === 0 ? 0 : Math.max(1, (value / max) * 100);
  return s(
    "svg",
    { viewBox: "0 0 100 6", preserveAspectRatio: "none", class: "share", "aria-hidden": "true" },
    s("rect", { x: 0, y: 0, width: width.toFixed(1), height: 6, class: "bar" }),
  );
}
