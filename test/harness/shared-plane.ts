// The control plane shared by one integration test run (global-setup.ts
// starts it; tests reach it through context.ts).

/** NATS host identities the shared plane starts with. */
export const PLANE_HOSTS = ["host-a", "host-b"];
