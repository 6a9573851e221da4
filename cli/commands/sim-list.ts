import { simCommand } from "../sim-command.ts";

export default simCommand("list", "sim backend: list domains with their policy hashes", "Lists the sim host's domains: state, guest type, active and staged policy hashes.");
