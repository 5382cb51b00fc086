/**
 * The README's promise about a flipped bit in the last batch of the last
 * segment: it reads as a torn tail, is cut off and reported (not ER_CORRUPT).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { FaultFileSystem } from "../../src/io/fault_fs.ts";
import { openStore } from "../../src/storage/store.ts";

const dir = "/db";
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

test("a flipped bit in the last batch of the last segment is cut off as a torn tail and reported", async () => {
  const fs = new FaultFileSystem();
  const store = await openStore(dir, { fs });
  const rows = await store.createTable("t", null);
  await rows.append([bytes("first")]).durable;
  await rows.append([bytes("last")]).durable;
  await store.close();
  const path = `${dir}/log/0000000000000001.q4l`;
  const content = fs.durableContent(path);
  const at = content.indexOf("l".charCodeAt(0), 64);
  fs.flipBit(path, at, 2);
  const reopened = await openStore(dir, { fs });
  const t = reopened.tables().get("t")!;
  assert.equal(t.nextLive(0), 1);
  assert.equal(t.nextLive(1), 0, "the damaged last batch is gone");
  const torn = reopened.recovery.tornTail;
  assert.ok(torn !== null, "the cut is reported");
  assert.equal(torn.path, path);
  assert.ok(torn.offset < at && torn.bytesDropped > 0);
  await reopened.close();
});
