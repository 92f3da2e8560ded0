// User-facing CLI errors and kn's `Error: …` / `Run '… --help' for usage` rendering.

/** Name of the binary in every message. */
export const BIN = 'knit';

/** An error whose message is shown to the user as is (exit code 1). */
export class CliError extends Error {}

/**
 * Renders an error like kn's main: strip a leading `error:` (any case), print `Error: <msg>`, then a hint naming
 * the first single-quoted `'knit …'` phrase of the message (else just `knit`).
 */
export function formatError(message: string): string {
  const msg = message.replace(/^error:\s*/i, '');
  return `Error: ${msg}\nRun '${hintCommand(message)} --help' for usage\n`;
}

function hintCommand(message: string): string {
  const start = message.indexOf(`'${BIN}`);
  if (start < 0) return BIN;
  const rest = message.slice(start + 1);
  const end = rest.indexOf("'");
  return end < 0 ? BIN : rest.slice(0, end);
}
