// Progress lines of the demo, each stamped with the seconds since it began:
//   [  8.4s] control plane ready …
//            detail lines are indented under it

export interface Progress {
  step(message: string): void;
  detail(message: string): void;
  /** text printed as is (the summary) */
  print(text: string): void;
  elapsedSeconds(): number;
}

export function consoleProgress(write: (text: string) => void = (t) => process.stdout.write(t)): Progress {
  const started = performance.now();
  const elapsedSeconds = () => (performance.now() - started) / 1000;
  return {
    step: (message) => write(`[${elapsedSeconds().toFixed(1).padStart(5)}s] ${message}\n`),
    detail: (message) => write(`         ${message}\n`),
    print: (text) => write(text.endsWith("\n") ? text : `${text}\n`),
    elapsedSeconds,
  };
}
