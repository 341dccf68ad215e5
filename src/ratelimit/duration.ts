/** Durations in configuration: "500ms", "10s", "1m", "1h", "1d", or a bare unit word ("day"). */
const UNIT_MS = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
} as const satisfies Record<string, number>;

const DURATION = /^(\d{1,9})?\s*(ms|s|m|h|d|second|minute|hour|day)$/;

/** The pattern the config schemas use, so a bad duration fails at load with its key path. */
export const DURATION_PATTERN = '^(\\d{1,9})?\\s*(ms|s|m|h|d|second|minute|hour|day)$';

/** Milliseconds, or undefined when the text is not a duration (or is zero). */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const count = match[1] === undefined ? 1 : Number(match[1]);
  const ms = count * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return ms > 0 ? ms : undefined;
}

/** "1000/day", "10/1s", "5000/10m": a count per duration. */
export const RATE_PATTERN = '^\\s*\\d{1,12}\\s*/\\s*(\\d{1,9})?\\s*(ms|s|m|h|d|second|minute|hour|day)\\s*$';

export function parseRate(text: string): { limit: number; periodMs: number } | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const limit = Number(text.slice(0, slash).trim());
  const periodMs = parseDuration(text.slice(slash + 1));
  if (!Number.isSafeInteger(limit) || limit < 1 || periodMs === undefined) return undefined;
  return { limit, periodMs };
}
