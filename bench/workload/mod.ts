/**
 * The standard workload, system-agnostic: the adapter interface, the driver
 * and its options. Runners import from here.
 *
 * @module
 */

export * from "./system.ts";
export * from "./options.ts";
export * from "./messages.ts";
export * from "./delivery_log.ts";
export * from "./workloads.ts";
