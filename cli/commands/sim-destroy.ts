import { simCommand } from "../sim-command.ts";

export default simCommand("destroy", "sim backend: forget a domain and its staged policy", "Removes the domain from the sim host entirely, staged policy included.");
