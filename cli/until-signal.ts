/** Resolves on Ctrl-C (SIGINT) or SIGTERM, so long-running commands can shut down cleanly. */
export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
