// How the `cpuid-hosts` JetStream KV bucket is configured. Hosts read their
// own key with a direct get (the only read their permissions allow, see
// authorization.ts), so the bucket must allow direct gets, and clients must
// open it with `{ allow_direct: true }` (opening binds without asking the
// server, so the client cannot learn it).

export const HOSTS_BUCKET_CONFIG = {
  history: 1,
  allow_direct: true,
} as const;
