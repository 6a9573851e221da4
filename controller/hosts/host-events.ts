// A change to a host in the HostIndex, as the watches receive it.

import type { HostChange } from "./host-index.ts";

export interface HostEvent {
  hostId: string;
  change: HostChange;
}
