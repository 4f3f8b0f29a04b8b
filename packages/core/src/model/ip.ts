import { isIP } from "node:net";

/**
 * Normalises an IP address: IPv4 as dotted quad, IPv4-mapped IPv6 folded to IPv4, other
 * IPv6 lower-case and compressed (RFC 5952). Returns null for anything that is not an IP.
 */
export function normalizeIp(input: string): string | null {
  const text = input.trim();
  const kind = isIP(text);
  if (kind === 4)
    return text
      .split(".")
      .map((octet) => String(Number(octet)))
      .join(".");
  if (kind !== 6) return null;
  const words = ipv6Words(text);
  if (words === null) return null;
  const isMappedV4 = words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff;
  if (isMappedV4) {
    return [words[6]! >> 8, words[6]! & 0xff, words[7]! >> 8, words[7]! & 0xff].join(".");
  }
  return compressIpv6(words);
}

/**
 * A fixed-width hex key whose text order is the address's numeric order: 32 hex digits of the
 * 128-bit address, IPv4 placed at its IPv4-mapped position (::ffff:a.b.c.d). Expects a
 * normalised address.
 */
export function ipSortKey(normalized: string): string {
  if (isIP(normalized) === 4) {
    const hex = normalized
      .split(".")
      .map((octet) => Number(octet).toString(16).padStart(2, "0"))
      .join("");
    return `00000000000000000000ffff${hex}`;
  }
  const words = ipv6Words(normalized) ?? [];
  return words.map((w) => w.toString(16).padStart(4, "0")).join("");
}

function ipv6Words(text: string): number[] | null {
  let address = text.toLowerCase();
  const zone = address.indexOf("%");
  if (zone >= 0) address = address.slice(0, zone);
  // A trailing dotted quad becomes two 16-bit words.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    address = `${address.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = address.split("::") as [string, string | undefined];
  const parse = (part: string) =>
    part === "" ? [] : part.split(":").map((w) => Number.parseInt(w, 16));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return null;
  return [...left, ...new Array<number>(missing).fill(0), ...right];
}

function compressIpv6(words: number[]): string {
  // The longest run of two or more zero words becomes "::" (the first, on a tie).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}
