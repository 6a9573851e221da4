import { simCommand } from "../sim-command.ts";

export default simCommand("start", "sim backend: create if needed and unpause a domain", "Unpauses the domain (creating it first if needed). From its first unpause on, its CPU policy is fixed; later policies are staged for its next start.");
