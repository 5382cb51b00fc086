/**
 * Probe (run by hand: `deno run -A tests/nats/probe_routing.ts`): checks on
 * the real nats-server (2.9.10 here) the assumptions the routing-column
 * design of the NATS backend rests on. Prints one line per check.
 *
 * @module
 */
import { Cluster } from "./_cluster.ts";
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "../../src/nats/client.ts";

const cluster = await Cluster.start();
const nc = await connect({ servers: cluster.url.replace("nats://", "").split(",") });
const jsm = await jetstreamManager(nc);
const js = jsm.jetstream();
const enc = new TextEncoder();
const report = (name: string, ok: boolean, detail = "") =>
  console.log(`${ok ? "OK  " : "FAIL"} ${name}${detail ? ": " + detail : ""}`);
try {
  await jsm.streams.add({
    name: "p_t1",
    subjects: ["p.t1.>"],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    num_replicas: 3,
  });
  const consumer = (name: string, filter?: string) =>
    jsm.consumers.add("p_t1", {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: 5e9,
      max_ack_pending: -1,
      max_deliver: -1,
      ...(filter === undefined ? {} : { filter_subject: filter }),
    });
  // Advisories of consumer creation reach a subscriber.
  const advisories: string[] = [];
  const sub = nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.CREATED.>", {
    callback: (_e, m) => {
      advisories.push(m.subject);
    },
  });
  await nc.flush();
  await consumer("a", "p.t1.k.A");
  await consumer("b", "p.t1.k.B");
  report("two non-overlapping filtered consumers on a work-queue stream", true);
  try {
    await consumer("a", "p.t1.k.A");
    report("re-adding the same durable with the same config is idempotent", true);
  } catch (e) {
    report("re-adding the same durable with the same config is idempotent", false, String(e));
  }
  try {
    await consumer("all");
    report("unfiltered consumer beside filtered ones refused", false, "accepted");
  } catch (e) {
    report("unfiltered consumer beside filtered ones refused", true, String(e));
  }
  try {
    await consumer("wild", "p.t1.k.*");
    report("overlapping wildcard consumer refused", false, "accepted");
  } catch (e) {
    report("overlapping wildcard consumer refused", true, String(e));
  }
  // Publish before the consumer exists: a consumer created later sees it.
  await js.publish("p.t1.k.C", enc.encode("c1"));
  await consumer("c", "p.t1.k.C");
  const ci = await jsm.consumers.info("p_t1", "c");
  report(
    "consumer created after its subject's first row sees it",
    ci.num_pending === 1,
    JSON.stringify(ci.num_pending),
  );
  await js.publish("p.t1.k.A", enc.encode("a1"));
  await js.publish("p.t1.k.B", enc.encode("b1"));
  // Pull from b only: gets b1, not a1.
  const pull = async (c: string) => {
    const r = await nc.request(
      `$JS.API.CONSUMER.MSG.NEXT.p_t1.${c}`,
      enc.encode(JSON.stringify({ batch: 1, no_wait: true })),
      { timeout: 1000, noMux: true },
    );
    return {
      data: new TextDecoder().decode(r.data),
      subject: r.subject,
      reply: r.reply,
      code: r.headers?.code,
    };
  };
  const b = await pull("b");
  report(
    "pull from the filtered consumer gets only its subject",
    b.data === "b1",
    JSON.stringify(b),
  );
  report("delivered message subject is the stored subject", b.subject === "p.t1.k.B", b.subject);
  await nc.request(b.reply!, enc.encode("+ACK"), { timeout: 1000 });
  const si = await jsm.streams.info("p_t1", { subjects_filter: ">" });
  report(
    "stream info subjects_filter lists subjects with rows",
    JSON.stringify(si.state.subjects) === JSON.stringify({ "p.t1.k.A": 1, "p.t1.k.C": 1 }),
    JSON.stringify(si.state.subjects),
  );
  const list = [];
  for await (const c of jsm.consumers.list("p_t1")) {
    list.push(`${c.name}:${c.config.filter_subject}:${c.num_ack_pending}`);
  }
  report("consumer list gives filter subjects", list.length === 3, list.join(" "));
  // Long / odd token (base64url) subject and consumer name.
  const long = "p.t1.k.s" + "A".repeat(300);
  await js.publish(long, enc.encode("long"));
  try {
    await consumer("x" + "a".repeat(60), long);
    report("300-char token filter", true);
  } catch (e) {
    report("300-char token filter", false, String(e));
  }
  // Purge, then delete the consumers.
  await jsm.streams.purge("p_t1");
  for (const c of ["a", "b", "c"]) await jsm.consumers.delete("p_t1", c);
  const after = [];
  for await (const c of jsm.consumers.list("p_t1")) after.push(c.name);
  report("consumers deleted", after.length === 1, after.join(","));
  await new Promise((r) => setTimeout(r, 300));
  report("consumer-created advisories received", advisories.length >= 3, advisories.join(" "));
  // Publish on a subject whose consumer was deleted: still stored.
  await js.publish("p.t1.k.A", enc.encode("orphan"));
  await consumer("a", "p.t1.k.A");
  const a = await pull("a");
  report(
    "row stored while no consumer is delivered by a consumer made later",
    a.data === "orphan",
    a.data,
  );
  sub.unsubscribe();
} finally {
  await nc.close();
  await cluster.stop();
}
