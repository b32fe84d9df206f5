/** The first src/ .ts file (sorted walk) whose dist/ .js is missing or older: {path relative to `root`, missing}, else null. */
export function staleSource(root: string): { path: string; missing: boolean } | null;
/** The start-up warning for a stale build of the package at `root`, else null; never throws (a warning must not stop the command). */
export function staleWarning(root: string): string | null;
