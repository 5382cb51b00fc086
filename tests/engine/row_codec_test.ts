/**
 * The row encoder's scratch buffer: a rejected oversized value must not make
 * it grow past the row limit, and a large accepted row must not leave it
 * large (it is module-wide and outlives every database).
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { rowBytesMax } from "../../src/limits.ts";
import type { ColumnDef } from "../../src/sql/ast.ts";
import { decodeRow, encodeRow, encoderScratchBytes } from "../../src/engine/row_codec.ts";
import { TableSchema } from "../../src/engine/schema.ts";
import { openTemp, rejectsCode } from "./_helpers.ts";

const longText: ColumnDef = {
  name: "body",
  type: { kind: "text", bytesMax: 4294967295 },
  notNull: false,
  typeText: "LONGTEXT",
};
const longBlob: ColumnDef = {
  name: "data",
  type: { kind: "blob", bytesMax: 4294967295 },
  notNull: false,
  typeText: "LONGBLOB",
};

/** The scratch is never more than the largest row plus one fixed-size value per column. */
const scratchBytesBound = rowBytesMax + 64 * 1024;

describe("row encoder scratch buffer", () => {
  test("a rejected 100 MB text or blob leaves no large scratch behind", () => {
    const schema = TableSchema.create([longText, longBlob]);
    assert.throws(() => encodeRow(schema, ["x".repeat(100_000_000), null]), {
      code: "ER_DATA_TOO_LONG",
    });
    assert.ok(encoderScratchBytes() <= scratchBytesBound, `scratch ${encoderScratchBytes()} B`);
    assert.throws(() => encodeRow(schema, [null, new Uint8Array(100_000_000)]), {
      code: "ER_DATA_TOO_LONG",
    });
    assert.ok(encoderScratchBytes() <= scratchBytesBound, `scratch ${encoderScratchBytes()} B`);
    // A text whose UTF-16 length fits but whose UTF-8 bytes do not.
    assert.throws(() => encodeRow(schema, ["é".repeat(rowBytesMax / 2), null]), {
      code: "ER_DATA_TOO_LONG",
    });
    assert.ok(encoderScratchBytes() <= scratchBytesBound, `scratch ${encoderScratchBytes()} B`);
  });

  test("a large accepted row is encoded exactly and the scratch shrinks back afterwards", () => {
    const schema = TableSchema.create([longText, longBlob]);
    const text = "é😀a".repeat(1_000_000);
    const bytes = new Uint8Array(3_000_000).fill(7);
    const payload = encodeRow(schema, [text, bytes]);
    assert.deepEqual(decodeRow(schema, payload), [text, bytes]);
    assert.ok(encoderScratchBytes() <= 1024 * 1024, `scratch ${encoderScratchBytes()} B`);
    const fits = encodeRow(schema, ["x".repeat(rowBytesMax - 100), null]);
    assert.equal(fits.length, rowBytesMax - 100 + 4 + 5 + 1);
  });

  test("an INSERT of a rejected 100 MB value leaves the scratch small, also after close", async () => {
    const { db } = await openTemp();
    await db.sql`CREATE TABLE t (id INT, body LONGTEXT) ENGINE=QUEUE`;
    await rejectsCode(
      db.sql`INSERT INTO t (id, body) VALUES (${1}, ${"x".repeat(100_000_000)})`,
      "ER_DATA_TOO_LONG",
    );
    assert.equal((await db.sql`SELECT COUNT(*) AS n FROM t`)[0]?.n, 0);
    await db.close();
    assert.ok(encoderScratchBytes() <= scratchBytesBound, `scratch ${encoderScratchBytes()} B`);
  });
});
