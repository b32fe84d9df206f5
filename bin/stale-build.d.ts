/** The first src/ file (path relative to `root`) whose dist/ .js is missing or older than it, else null. */
export function staleSource(root: string): string | null;
