/**
 * Streamed file exports shared by the dialects: CSV through csv-stringify and XLSX through
 * exceljs's streaming `WorkbookWriter`. Both pull rows from the ledger's async iterable only
 * as fast as the client reads, so memory stays flat however many rows match, and both stop
 * pulling (closing the store's cursor) when the client goes away.
 */
import { PassThrough, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { stringify } from "csv-stringify";
import type ExcelJS from "exceljs";
import { AdminError } from "./errors.js";
import { yieldToEventLoop } from "./slices.js";
import { replaceBadCharacters } from "./text.js";
import { formatInstant, type TimeZone, wallClockDate } from "./timezone.js";

/** A point in time, written in the export's time zone. */
export interface ExportTime {
  epochMs: number;
}

/** One cell of an export row. */
export type ExportCell = string | number | null | ExportTime;

/** A column of an export. */
export interface ExportColumn {
  header: string;
  /** `time` cells hold an {@link ExportTime}; XLSX formats them as dates. @default "text" */
  kind?: "text" | "time";
  /** XLSX column width in characters. */
  width?: number;
}

/** What to export and how to name the download. */
export interface ExportOptions {
  columns: readonly ExportColumn[];
  rows: AsyncIterable<readonly ExportCell[]>;
  timeZone: TimeZone;
  /** The download's file name, e.g. `sessions.csv`. */
  filename: string;
}

const isTime = (cell: ExportCell): cell is ExportTime => typeof cell === "object" && cell !== null;

/**
 * A text cell as a file may hold it: a character the text rule refuses (a control character
 * other than tab and line breaks, DEL, a lone surrogate, U+FFFE, U+FFFF), which core refuses at
 * `create` but a row stored earlier or written to the store directly may hold, becomes U+FFFD.
 * XML 1.0 cannot hold most of them, so one such login would make the whole XLSX file invalid.
 */
const textCell = (cell: string | number): string | number =>
  typeof cell === "string" ? replaceBadCharacters(cell) : cell;

/**
 * Reads the first row before anything is sent, so a failure that comes from the query itself
 * (a bad sort, a store that refuses) still gets a proper error status instead of a cut file.
 */
async function primeRows<T>(rows: AsyncIterable<T>): Promise<AsyncGenerator<T, void, undefined>> {
  const iterator = rows[Symbol.asyncIterator]();
  const first = await iterator.next();
  return (async function* () {
    try {
      if (first.done) return;
      yield first.value;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // Leaving early (client gone, error) closes the source, and with it the store's cursor.
      await iterator.return?.();
    }
  })();
}

/**
 * The headers of a download: streamed, so no length is known, and intermediaries must neither
 * buffer nor cache it.
 */
function attachment(contentType: string, filename: string): Headers {
  return new Headers({
    "Content-Type": contentType,
    "Content-Disposition": `attachment; filename="${filename.replace(/["\\\r\n]/g, "_")}"`,
    "Cache-Control": "no-store",
  });
}

/** Told of a failure after the download started, when only the log can hear of it. */
export type ExportFailure = (error: unknown) => void;

// How much encoded file may wait for the client before rows stop being pulled.
const WAITING_BYTES = 64 * 1024;

/**
 * A download of what the encoder writes into `sink`. The body pulls only as fast as the client
 * reads (the sink's writes wait on it); a client that leaves cancels the body, which destroys
 * the sink, and the encoder stops pulling rows.
 */
function download(sink: PassThrough, headers: Headers): Response {
  const body = Readable.toWeb(sink, {
    strategy: new ByteLengthQueuingStrategy({ highWaterMark: WAITING_BYTES }),
  }) as unknown as ReadableStream<Uint8Array>;
  return new Response(body, { status: 200, headers });
}

/** True when the error only says that the client went away mid-download. */
export function isClientGone(error: unknown, sink: PassThrough): boolean {
  return (
    sink.destroyed || (error as NodeJS.ErrnoException | null)?.code === "ERR_STREAM_PREMATURE_CLOSE"
  );
}

/** CSV rows encoded between turns of the event loop (about 2 ms of the host's thread). */
const CSV_SLICE = 100;

/**
 * Streams RFC 4180 CSV: a header row, CRLF line ends, a UTF-8 byte-order mark (so Excel reads
 * names like "Müller" correctly), times as ISO 8601 in the zone, and every cell that a
 * spreadsheet would run as a formula (starting `=`, `+`, `-`, `@`, tab or CR) prefixed with `'`,
 * and characters the text rule refuses replaced (`textCell`).
 * Resolves when the file is sent or the client has gone.
 */
export async function csvResponse(
  options: ExportOptions,
  onFailure: ExportFailure,
): Promise<Response> {
  const rows = await primeRows(options.rows);
  const { timeZone } = options;
  const cells = async function* () {
    let written = 0;
    for await (const row of rows) {
      yield row.map((cell) =>
        cell === null
          ? ""
          : isTime(cell)
            ? formatInstant(cell.epochMs, timeZone)
            : String(textCell(cell)),
      );
      // Rows read ahead and a fast client would let a whole export run in one turn of the
      // event loop (0.1 s for 8,000 rows): the host's other requests get a turn every slice.
      if (++written % CSV_SLICE === 0) await yieldToEventLoop();
    }
  };
  const csv = stringify({
    header: true,
    columns: options.columns.map((column) => column.header),
    bom: true,
    record_delimiter: "windows",
    escape_formulas: true,
  });
  const sink = new PassThrough();
  pipeline(Readable.from(cells()), csv, sink).catch((error: unknown) => {
    if (!isClientGone(error, sink)) onFailure(error);
  });
  return download(sink, attachment("text/csv; charset=utf-8", options.filename));
}

const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

let excelJs: Promise<typeof ExcelJS> | undefined;

/**
 * exceljs is an optional peer dependency (23 MB installed): loaded on the first XLSX export, so
 * a host that never exports XLSX need not install it. Without it, an XLSX export is a 501 in the
 * dialect's own error body that says what to install.
 */
function loadExcelJs(): Promise<typeof ExcelJS> {
  excelJs ??= import("exceljs").then(
    (module) => (module as { default?: typeof ExcelJS }).default ?? (module as typeof ExcelJS),
    (cause: unknown) => {
      excelJs = undefined;
      throw new AdminError(
        "NOT_IMPLEMENTED",
        "XLSX export needs the optional dependency exceljs, which is not installed: `npm install exceljs` (or export CSV)",
        { cause },
      );
    },
  );
  return excelJs;
}
// Rows between checks on the pipeline: enough to keep exceljs busy, few enough that little
// piles up between checks.
const XLSX_BATCH = 50;
// Uncompressed sheet XML allowed to wait for deflate before rows stop being pulled.
const MAX_SHEET_BACKLOG = 1024 * 1024;

/**
 * Streams an XLSX workbook with exceljs's streaming writer: one sheet, a bold frozen header
 * row, each row committed as it arrives. Times are real Excel dates showing the zone's wall
 * clock (`yyyy-mm-dd hh:mm:ss`), and the zone is named in their column headers. Text cells
 * are stored as text, never as formulas, so they need no formula guard; characters XML 1.0
 * cannot hold are replaced (`textCell`).
 * Resolves when the file is sent or the client has gone.
 */
export async function xlsxResponse(
  options: ExportOptions & { sheetName?: string },
  onFailure: ExportFailure,
): Promise<Response> {
  const { stream } = await loadExcelJs();
  const rows = await primeRows(options.rows);
  const { columns, timeZone } = options;
  const sink = new PassThrough();
  let gone = false;
  // exceljs's commit waits for the response's 'finish', which never comes once the client
  // has gone; racing it with 'close' keeps an abandoned download from pinning the workbook.
  const closed = new Promise<void>((resolve) =>
    sink.once("close", () => {
      gone = !sink.writableFinished;
      resolve();
    }),
  );
  const workbook = new stream.xlsx.WorkbookWriter({
    stream: sink,
    useStyles: true,
    useSharedStrings: false,
  });
  const sheet = workbook.addWorksheet(options.sheetName ?? "Sheet1", {
    views: [{ state: "frozen", ySplit: 1 }],
  });
  sheet.columns = columns.map((column, index) => ({
    key: String(index),
    width: column.width ?? (column.kind === "time" ? 22 : 18),
    style: column.kind === "time" ? { numFmt: "yyyy-mm-dd hh:mm:ss" } : {},
  }));
  const header = sheet.addRow(
    columns.map((column) =>
      column.kind === "time" ? `${column.header} (${timeZone.label})` : column.header,
    ),
  );
  header.font = { bold: true };
  header.commit();
  const produce = async () => {
    let written = 0;
    try {
      for await (const row of rows) {
        if (gone) break;
        sheet
          .addRow(
            row.map((cell) =>
              cell === null
                ? null
                : isTime(cell)
                  ? wallClockDate(cell.epochMs, timeZone)
                  : textCell(cell),
            ),
          )
          .commit();
        if (++written % XLSX_BATCH === 0) await relieve(sink, () => sheetBacklog(sheet));
      }
      if (gone) return;
      sheet.commit();
      await Promise.race([workbook.commit(), closed]);
    } catch (error) {
      if (isClientGone(error, sink)) return;
      onFailure(error);
      sink.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  };
  void produce();
  return download(sink, attachment(XLSX_TYPE, options.filename));
}

/**
 * Waits until the pipeline can take more rows: the response's buffer has room, and deflate
 * has caught up with the sheet XML. Deflate runs on the thread pool one chunk per event-loop
 * turn, so a fast source outruns it even when the client reads quickly.
 */
async function relieve(res: PassThrough, backlog: () => number): Promise<void> {
  await yieldToEventLoop();
  while (!res.destroyed) {
    if (res.writableNeedDrain) await drainOrClose(res);
    else if (backlog() > MAX_SHEET_BACKLOG) await new Promise((resolve) => setTimeout(resolve, 2));
    else return;
  }
}

function drainOrClose(res: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/**
 * Bytes of sheet XML written but not yet taken in by deflate. exceljs (4.4) writes a sheet
 * into its own buffer stream, which pushes into the zip's input without heeding backpressure,
 * so the only honest measure is the buffered length of the streams it feeds. Reads Node's
 * stream state defensively: when the shape differs, it reports 0 and the export falls back
 * to the response's own backpressure.
 */
function sheetBacklog(sheet: unknown): number {
  const pipes = (sheet as { stream?: { pipes?: unknown } }).stream?.pipes;
  if (!Array.isArray(pipes)) return 0;
  let total = 0;
  for (const pipe of pipes as { _writableState?: unknown; _readableState?: unknown }[]) {
    total += lengthOf(pipe._writableState) + lengthOf(pipe._readableState);
  }
  return total;
}

function lengthOf(state: unknown): number {
  const length = (state as { length?: unknown } | undefined)?.length;
  return typeof length === "number" ? length : 0;
}
