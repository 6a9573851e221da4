import { simCommand } from "../sim-command.ts";

export default simCommand("create", "sim backend: create a domain, paused (xl create -p)", "Creates the domain paused; a policy staged for it is installed now, else the host's default.");
