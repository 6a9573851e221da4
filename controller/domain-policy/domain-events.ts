// Agents announce each domain created, started, stopped or destroyed on
// cpuid.v1.host.<token>.domain-event. The policy governing that domain is
// reconciled at once, so a staged policy turns Active when its domain starts
// instead of at the next staged refresh (which stays as the fallback for a
// missed event). An event only triggers a reconcile, which asks the agent
// itself, so a forged one could cost a request but change nothing.

import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { DOMAIN_EVENT_SUBJECT_WILDCARD } from "../../shared/nats/subjects.ts";
import { DomainEvent } from "../../shared/schemas/agent-messages.ts";
import { decodeJson } from "../../shared/schemas/decode-json.ts";

export function subscribeDomainEvents(nc: NatsConnection, log: Logger, onDomain: (hostId: string, domain: string) => void): Subscription {
  return nc.subscribe(DOMAIN_EVENT_SUBJECT_WILDCARD, {
    callback: (err, msg) => {
      if (err) return void log.warn({ err }, "domain event subscription failed");
      const ev = decodeJson(DomainEvent, msg.data);
      if (!ev.success) return void log.warn({ subject: msg.subject, issues: ev.error.issues.slice(0, 3) }, "ignoring a malformed domain event");
      log.debug({ host: ev.data.hostId, domain: ev.data.domain, state: ev.data.state }, "domain event");
      onDomain(ev.data.hostId, ev.data.domain);
    },
  });
}
