/**
 * How quantities read to a person, the same in server messages and in the browser. No dependencies
 * and no Node APIs: the web app bundles this package (it imports only types from api and contracts).
 */

/** 512 -> "512 B", 2048 -> "2 KB", 10485760 -> "10 MB" (1 KB = 1024 bytes). */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / 1024 / 1024) * 10) / 10} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} B`;
}

/** A wait as a person reads it: 42 -> "42 s", 300 -> "5 min", 7200 -> "2 h" (rounded up). */
export function formatWait(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.ceil(seconds))} s`;
  if (seconds < 90 * 60) return `${Math.ceil(seconds / 60)} min`;
  return `${Math.ceil(seconds / 3600)} h`;
}
