/**
 * The catalog: which tables exist (id, name, the engine's opaque meta) and
 * the next table id, in `<dir>/catalog.json`. Rewritten whole and atomically
 * (tmp file, sync, rename, directory sync) on create / alter / drop; read
 * once at open. Table ids are never reused.
 *
 * @module
 */

import { QueueError } from "../errors.ts";
import type { FileSystem } from "../io/mod.ts";
import { crc32c } from "./crc32c.ts";

/**
 * Newest version of the catalog layout. 2: table schemas may hold DECIMAL,
 * temporal, ENUM/SET and BIT columns (and rows their payload tags 7 and 8),
 * which a q4d that reads only version 1 must refuse rather than misread.
 * 3: databases besides the default one (`databases`, and tables keyed
 * `db` NUL `t`, src/sql/names.ts). Version 3 is written only while such a
 * database exists, so a directory that never had one stays readable by a
 * q4d that knows only version 2.
 */
export const catalogVersion = 3;
/** The version written while the catalog lists no database of its own. */
const catalogVersionOneDatabase = 2;
/** Oldest catalog version still read (1 has the same layout, fewer column types). */
const catalogVersionMin = 1;
/** File name of the catalog inside the data directory. */
export const catalogFileName = "catalog.json";
/** File name of a catalog being rewritten. */
export const catalogTempFileName = "catalog.json.tmp";

/** One table in the catalog. */
export interface CatalogTable {
  tableId: number;
  name: string;
  meta: unknown;
}

/** The whole catalog. */
export interface CatalogData {
  version: number;
  nextTableId: number;
  tables: CatalogTable[];
  /** Databases created besides the default one (version 3; absent when none). */
  databases?: string[];
}

const trailerPrefix = "\ncrc32c:";

/** Encodes a catalog: its JSON, then a line `crc32c:<8 hex digits>` over the JSON bytes. */
export function encodeCatalog(data: CatalogData): Uint8Array {
  const { databases, ...rest } = data;
  const written: CatalogData = databases !== undefined && databases.length > 0
    ? { ...rest, version: catalogVersion, databases }
    : { ...rest, version: catalogVersionOneDatabase };
  const json = new TextEncoder().encode(JSON.stringify(written));
  const crc = crc32c(json).toString(16).padStart(8, "0");
  const trailer = new TextEncoder().encode(`${trailerPrefix}${crc}\n`);
  const out = new Uint8Array(json.length + trailer.length);
  out.set(json);
  out.set(trailer, json.length);
  return out;
}

/** Decodes and verifies a catalog file; ER_CORRUPT when it does not verify. */
export function decodeCatalog(bytes: Uint8Array, path: string): CatalogData {
  const text = new TextDecoder().decode(bytes);
  const at = text.lastIndexOf(trailerPrefix);
  const corrupt = (why: string) =>
    new QueueError("ER_CORRUPT", `catalog is corrupt: ${why}`, { path, position: 0 });
  if (at < 0) throw corrupt("no checksum line");
  const json = text.slice(0, at);
  const stored = text.slice(at + trailerPrefix.length).trim();
  const computed = crc32c(new TextEncoder().encode(json)).toString(16).padStart(8, "0");
  if (stored !== computed) throw corrupt("checksum mismatch");
  let data: CatalogData;
  try {
    data = JSON.parse(json);
  } catch (cause) {
    throw new QueueError("ER_CORRUPT", "catalog is not valid JSON", { path, cause });
  }
  if (
    !Number.isInteger(data.version) || data.version < catalogVersionMin ||
    data.version > catalogVersion
  ) throw corrupt(`unsupported version ${data.version}`);
  if (
    !Number.isSafeInteger(data.nextTableId) || !Array.isArray(data.tables) ||
    (data.databases !== undefined &&
      (!Array.isArray(data.databases) || data.databases.some((d) => typeof d !== "string")))
  ) {
    throw corrupt("bad shape");
  }
  return data;
}

/** Reads the catalog of `directory`; null when the database is new (no catalog yet). */
export async function readCatalog(fs: FileSystem, directory: string): Promise<CatalogData | null> {
  const path = `${directory}/${catalogFileName}`;
  if (!(await fs.exists(path))) return null;
  return decodeCatalog(await fs.readFile(path), path);
}

/** Replaces the catalog atomically and durably. */
export async function writeCatalog(
  fs: FileSystem,
  directory: string,
  data: CatalogData,
): Promise<void> {
  const temp = `${directory}/${catalogTempFileName}`;
  const bytes = encodeCatalog(data);
  const file = await fs.open(temp, { create: true });
  try {
    await file.truncate(0);
    await file.write(bytes, 0);
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(temp, `${directory}/${catalogFileName}`);
  await fs.syncDirectory(directory);
}
