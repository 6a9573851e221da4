import { z } from "zod";

export const GuestType = z.enum(["pv", "hvm"]);
export type GuestType = z.infer<typeof GuestType>;
