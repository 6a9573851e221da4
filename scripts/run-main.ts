// The entry point of a long-running script: main() returns an exit code, or
// -1 to keep running until signalled; a missing binary is reported plainly.

import { MissingBinaryError } from "../devenv/toolchain/ensure.ts";

export async function runMain(main: (argv: string[]) => Promise<number>): Promise<void> {
  try {
    const code = await main(process.argv.slice(2));
    if (code >= 0) process.exit(code);
  } catch (err) {
    console.error(err instanceof MissingBinaryError ? err.message : err);
    process.exit(1);
  }
}
