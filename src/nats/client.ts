/**
 * The NATS client libraries, pinned, in one place: the npm packages of the
 * official JavaScript client (they run under Deno and Node; no `jsr:`
 * dependency). Everything in `src/nats/` imports them from here.
 *
 * src/nats/* → this file → npm:@nats-io/transport-node, npm:@nats-io/jetstream
 *
 * @module
 */

export { connect, createInbox, headers } from "npm:@nats-io/transport-node@3.4.0";
export type {
  ConnectionOptions,
  Msg,
  MsgHdrs,
  NatsConnection,
  Subscription,
} from "npm:@nats-io/transport-node@3.4.0";
export {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "npm:@nats-io/jetstream@3.4.0";
export type {
  ConsumerInfo,
  JetStreamClient,
  JetStreamManager,
  StreamInfo,
} from "npm:@nats-io/jetstream@3.4.0";
export { Kvm } from "npm:@nats-io/kv@3.4.0";
export type { KV, KvEntry } from "npm:@nats-io/kv@3.4.0";
