/**
 * The standard workload driver: W1 (concurrent inserts), W2 (concurrent
 * drain), W3 (both at once, insert-to-receipt latency) and the deep backlog,
 * run against any {@linkcode QueueSystem}. Every run checks exactly-once
 * delivery through a {@linkcode DeliveryLog}. Runners (`bench/peers/run.ts`)
 * call {@linkcode runWorkloads} once per system.
 *
 * @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { type DeliveryCheck, DeliveryLog } from "./delivery_log.ts";
import { makeBody } from "./messages.ts";
import type { WorkloadOptions } from "./options.ts";
import type { QueueConsumer, QueueSystem, SystemFactory } from "./system.ts";

/** Throughput of one phase. */
export interface Throughput {
  /** Messages moved in the phase. */
  rowCount: number;
  /** Wall time of the phase, in ms. */
  elapsedMs: number;
  /** rowCount / elapsed seconds. */
  messagesPerSecond: number;
}

/** W1: inserts only. */
export type InsertResult = Throughput;

/** W2: drain only, with the exactly-once check. */
export interface DrainResult extends Throughput {
  /** Exactly-once check of the drain. */
  check: DeliveryCheck;
}

/** W3: inserts and drain at once. */
export interface MixedResult extends DrainResult {
  /** Median insert-to-receipt latency, in ms. */
  latencyP50Ms: number;
  /** 99th percentile insert-to-receipt latency, in ms. */
  latencyP99Ms: number;
  /** Worst insert-to-receipt latency, in ms. */
  latencyMaxMs: number;
}

/** Process memory at one moment, in bytes. */
export interface MemorySample {
  /** Resident set size of the whole process (the system under test included). */
  rssBytes: number;
  /** V8 heap in use. */
  heapUsedBytes: number;
}

/** The deep backlog: fill, then drain. */
export interface BacklogResult {
  /** Filling the backlog (multi-row fast path when the system has one). */
  insert: Throughput;
  /** True when the fill used the system's produceMany fast path. */
  insertUsedFastPath: boolean;
  /** Draining it with the normal consumers. */
  drain: DrainResult;
  /** Memory before the fill. */
  memoryBefore: MemorySample;
  /** Memory with the whole backlog queued. */
  memoryFull: MemorySample;
  /** Memory after the drain. */
  memoryAfter: MemorySample;
}

/** Everything one system produced; a workload that failed carries `error`. */
export interface WorkloadResults {
  /** W1, when run and successful. */
  w1?: InsertResult;
  /** W2, when run and successful. */
  w2?: DrainResult;
  /** W3, when run and successful. */
  w3?: MixedResult;
  /** Deep backlog, when run and successful. */
  backlog?: BacklogResult;
  /** Workload name → error message, for workloads that threw. */
  errors: Record<string, string>;
}

/** Shared between the loops of one phase: progress and the first failure. */
interface PhaseState {
  lastProgressAtMs: number;
  failure: unknown;
}

function sampleMemory(): MemorySample {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect) collect();
  const usage = process.memoryUsage();
  return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed };
}

function throughput(rowCount: number, elapsedMs: number): Throughput {
  return { rowCount, elapsedMs, messagesPerSecond: rowCount / (elapsedMs / 1000) };
}

/** The value below which `fraction` of the sorted samples lie (nearest rank). */
export function percentile(sortedSamples: Float64Array, fraction: number): number {
  if (sortedSamples.length === 0) return NaN;
  const rank = Math.ceil(fraction * sortedSamples.length) - 1;
  return sortedSamples[Math.min(sortedSamples.length - 1, Math.max(0, rank))] ?? NaN;
}

/**
 * Runs `producerCount` loops that together produce ids firstId..lastId, each
 * loop awaiting its own produce before taking the next id.
 */
async function runProducers(
  system: QueueSystem,
  options: WorkloadOptions,
  lastId: number,
  state: PhaseState,
  sentAtMs?: Float64Array,
): Promise<void> {
  let nextId = 1;
  const loop = async (): Promise<void> => {
    while (state.failure === undefined && nextId <= lastId) {
      const id = nextId++;
      const body = makeBody(id, options.bodyBytes);
      if (sentAtMs) sentAtMs[id] = performance.now();
      try {
        await system.produce(id, body);
      } catch (error) {
        state.failure ??= error;
        return;
      }
      state.lastProgressAtMs = performance.now();
    }
  };
  await Promise.all(Array.from({ length: options.producerCount }, loop));
}

/** What a set of consumer loops observed. */
interface ConsumeOutcome {
  /** When the last acknowledgement resolved (performance.now()). */
  lastAckAtMs: number;
}

/**
 * Runs one loop per consumer: consume → record → ack, until every id has
 * arrived and one more consume found nothing (so late duplicates are still
 * caught), or nothing arrived for stallMs.
 */
async function runConsumers(
  consumers: readonly QueueConsumer[],
  options: WorkloadOptions,
  log: DeliveryLog,
  state: PhaseState,
  onFirstReceipt?: (id: number, atMs: number) => void,
): Promise<ConsumeOutcome> {
  let lastAckAtMs = performance.now();
  const loop = async (consumer: QueueConsumer): Promise<void> => {
    while (state.failure === undefined) {
      let delivery;
      try {
        delivery = await consumer.consume(options.pollMs);
      } catch (error) {
        state.failure ??= error;
        return;
      }
      const nowMs = performance.now();
      if (delivery === null) {
        if (log.complete) return;
        if (nowMs - state.lastProgressAtMs > options.stallMs) return;
        continue;
      }
      state.lastProgressAtMs = nowMs;
      if (log.record(delivery.id, delivery.body) && onFirstReceipt) {
        onFirstReceipt(delivery.id, nowMs);
      }
      try {
        await consumer.ack(delivery);
      } catch (error) {
        state.failure ??= error;
        return;
      }
      lastAckAtMs = Math.max(lastAckAtMs, performance.now());
    }
  };
  await Promise.all(consumers.map(loop));
  return { lastAckAtMs };
}

async function openConsumers(system: QueueSystem, count: number): Promise<QueueConsumer[]> {
  const consumers: QueueConsumer[] = [];
  for (let index = 0; index < count; index++) consumers.push(await system.openConsumer());
  return consumers;
}

async function closeConsumers(consumers: readonly QueueConsumer[]): Promise<void> {
  await withTimeout(
    Promise.all(consumers.map((consumer) => consumer.close())),
    closeTimeoutMs,
    "closing the consumers",
  );
}

/** How often the watchdog looks for a phase that stopped moving. */
const watchdogIntervalMs = 500;
/** Extra time past stallMs before a silent phase counts as hung (a call that never settles). */
const hangMarginMs = 5_000;
/** Longest wait for a system's close() before the run moves on. */
const closeTimeoutMs = 30_000;

/**
 * Settles with `work`, or rejects once nothing has progressed for
 * stallMs + pollMs + hangMarginMs: a produce, consume or ack that never
 * settles (an engine bug) fails the workload instead of hanging the run.
 */
async function guard<T>(work: Promise<T>, state: PhaseState, options: WorkloadOptions): Promise<T> {
  const hangMs = options.stallMs + options.pollMs + hangMarginMs;
  let timer: ReturnType<typeof setInterval> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const silentMs = performance.now() - state.lastProgressAtMs;
      if (silentMs > hangMs) {
        state.failure ??= new Error(
          `no progress for ${silentMs.toFixed(0)} ms: a call never settled`,
        );
        reject(state.failure);
      }
    }, watchdogIntervalMs);
  });
  try {
    return await Promise.race([work, hung]);
  } finally {
    clearInterval(timer);
  }
}

/** Rejects when `promise` has not settled within `timeoutMs`. */
async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not settle in ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function rethrow(state: PhaseState): void {
  if (state.failure !== undefined) throw state.failure;
}

function newState(): PhaseState {
  return { lastProgressAtMs: performance.now(), failure: undefined };
}

/** W1: options.rowCount inserts by options.producerCount concurrent producers. */
export async function runInsert(
  system: QueueSystem,
  options: WorkloadOptions,
): Promise<InsertResult> {
  const state = newState();
  const startMs = performance.now();
  await guard(runProducers(system, options, options.rowCount, state), state, options);
  const endMs = performance.now();
  rethrow(state);
  return throughput(options.rowCount, endMs - startMs);
}

/** W2: drains ids 1..options.rowCount, already queued, with concurrent consumers. */
export async function runDrain(
  system: QueueSystem,
  options: WorkloadOptions,
  rowCount: number = options.rowCount,
): Promise<DrainResult> {
  const state = newState();
  const log = new DeliveryLog(rowCount, options.bodyBytes);
  const consumers = await openConsumers(system, options.consumerCount);
  const startMs = performance.now();
  state.lastProgressAtMs = startMs;
  try {
    const outcome = await guard(runConsumers(consumers, options, log, state), state, options);
    rethrow(state);
    return { ...throughput(log.distinctCount, outcome.lastAckAtMs - startMs), check: log.check() };
  } finally {
    await closeConsumers(consumers);
  }
}

/** W3: producers and consumers at once; latency from before insert to receipt. */
export async function runMixed(
  system: QueueSystem,
  options: WorkloadOptions,
): Promise<MixedResult> {
  const state = newState();
  const log = new DeliveryLog(options.rowCount, options.bodyBytes);
  const sentAtMs = new Float64Array(options.rowCount + 1);
  const latenciesMs = new Float64Array(options.rowCount);
  let latencyCount = 0;
  const consumers = await openConsumers(system, options.consumerCount);
  const startMs = performance.now();
  state.lastProgressAtMs = startMs;
  try {
    const [, outcome] = await guard(
      Promise.all([
        runProducers(system, options, options.rowCount, state, sentAtMs),
        runConsumers(consumers, options, log, state, (id, atMs) => {
          latenciesMs[latencyCount++] = atMs - (sentAtMs[id] ?? NaN);
        }),
      ]),
      state,
      options,
    );
    rethrow(state);
    const sorted = latenciesMs.subarray(0, latencyCount).sort();
    return {
      ...throughput(log.distinctCount, outcome.lastAckAtMs - startMs),
      check: log.check(),
      latencyP50Ms: percentile(sorted, 0.5),
      latencyP99Ms: percentile(sorted, 0.99),
      latencyMaxMs: percentile(sorted, 1),
    };
  } finally {
    await closeConsumers(consumers);
  }
}

/** Fills ids 1..rowCount as fast as the system allows (multi-row when it can). */
async function fillBacklog(
  system: QueueSystem,
  options: WorkloadOptions,
  rowCount: number,
): Promise<boolean> {
  const produceMany = system.produceMany?.bind(system);
  const state = newState();
  if (!produceMany) {
    await guard(runProducers(system, { ...options, rowCount }, rowCount, state), state, options);
    rethrow(state);
    return false;
  }
  let nextId = 1;
  const loop = async (): Promise<void> => {
    while (state.failure === undefined && nextId <= rowCount) {
      const firstId = nextId;
      const lastId = Math.min(rowCount, firstId + options.backlogBatchRowCount - 1);
      nextId = lastId + 1;
      const messages = [];
      for (let id = firstId; id <= lastId; id++) {
        messages.push({ id, body: makeBody(id, options.bodyBytes) });
      }
      await produceMany(messages);
      state.lastProgressAtMs = performance.now();
    }
  };
  await guard(Promise.all(Array.from({ length: options.producerCount }, loop)), state, options);
  return true;
}

/** Deep backlog: fill options.backlogRowCount rows, then drain them; memory around both. */
export async function runBacklog(
  system: QueueSystem,
  options: WorkloadOptions,
): Promise<BacklogResult> {
  const rowCount = options.backlogRowCount;
  const memoryBefore = sampleMemory();
  const startMs = performance.now();
  const insertUsedFastPath = await fillBacklog(system, options, rowCount);
  const insert = throughput(rowCount, performance.now() - startMs);
  const memoryFull = sampleMemory();
  const drain = await runDrain(system, options, rowCount);
  const memoryAfter = sampleMemory();
  return { insert, insertUsedFastPath, drain, memoryBefore, memoryFull, memoryAfter };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Runs the selected workloads against fresh instances of one system, each
 * instance in its own temporary directory (removed afterwards). W1 and W2
 * share an instance (W2 drains what W1 inserted); W3 and the backlog get
 * fresh ones. A workload that throws is recorded in `errors` and the rest
 * still run. `log` receives one progress line per workload.
 */
export async function runWorkloads(
  createSystem: SystemFactory,
  options: WorkloadOptions,
  log: (line: string) => void = () => {},
): Promise<WorkloadResults> {
  const results: WorkloadResults = { errors: {} };
  const selected = new Set(options.workloads);
  const withSystem = async (
    label: string,
    body: (system: QueueSystem) => Promise<void>,
  ): Promise<void> => {
    const dir = mkdtempSync(join(options.baseDir ?? tmpdir(), "q4d-bench-"));
    let system: QueueSystem | undefined;
    try {
      system = await createSystem();
      await system.setup(dir, { bodyBytes: options.bodyBytes });
      await body(system);
    } catch (error) {
      results.errors[label] = describe(error);
      log(`  ${label}: failed: ${describe(error)}`);
    } finally {
      try {
        if (system) await withTimeout(system.close(), closeTimeoutMs, `${system.name} close()`);
      } catch (error) {
        results.errors[`${label} close`] = describe(error);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  };

  if (selected.has("w1") || selected.has("w2")) {
    await withSystem(selected.has("w1") ? "w1" : "w2", async (system) => {
      if (selected.has("w1")) {
        results.w1 = await runInsert(system, options);
        log(`  w1: ${results.w1.messagesPerSecond.toFixed(0)} inserts/s`);
      } else {
        await fillBacklog(system, options, options.rowCount);
      }
      if (selected.has("w2")) {
        results.w2 = await runDrain(system, options);
        log(`  w2: ${results.w2.messagesPerSecond.toFixed(0)} drained/s, ${checkText(results.w2)}`);
      }
    });
  }
  if (selected.has("w3")) {
    await withSystem("w3", async (system) => {
      results.w3 = await runMixed(system, options);
      const w3 = results.w3;
      log(
        `  w3: ${w3.messagesPerSecond.toFixed(0)} msgs/s, p50 ${w3.latencyP50Ms.toFixed(2)} ms, ` +
          `p99 ${w3.latencyP99Ms.toFixed(2)} ms, ${checkText(w3)}`,
      );
    });
  }
  if (selected.has("backlog")) {
    await withSystem("backlog", async (system) => {
      results.backlog = await runBacklog(system, options);
      const backlog = results.backlog;
      log(
        `  backlog: fill ${backlog.insert.messagesPerSecond.toFixed(0)}/s, drain ` +
          `${backlog.drain.messagesPerSecond.toFixed(0)}/s, ${checkText(backlog.drain)}`,
      );
    });
  }
  return results;
}

/** One-line summary of a drain's exactly-once check. */
export function checkText(result: DrainResult): string {
  const check = result.check;
  if (check.exactlyOnce) return "exactly once";
  const parts = [];
  if (check.lostCount > 0) parts.push(`${check.lostCount} lost (e.g. ${check.lostIdsSample})`);
  if (check.duplicateCount > 0) {
    parts.push(`${check.duplicateCount} duplicates (e.g. ${check.duplicateIdsSample})`);
  }
  if (check.foreignCount > 0) parts.push(`${check.foreignCount} foreign ids`);
  if (check.badBodyCount > 0) parts.push(`${check.badBodyCount} bad bodies`);
  return parts.join(", ");
}
