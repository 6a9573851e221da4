import { simCommand } from "../sim-command.ts";

export default simCommand("stop", "sim backend: shut a domain down", "Shuts the domain down; a staged policy is installed when it is next created or started.");
