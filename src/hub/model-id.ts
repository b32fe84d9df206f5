// Model ids as the Hugging Face Hub spells them: `name` or `org/name`, optionally `@revision`
// (a branch, tag or commit). A string names a hub model only when no local path by that name
// exists (the rule of `from_pretrained` in transformers and transformers.js).
export interface ModelId {
  repoId: string;
  /** null: the default branch (`main`). */
  revision: string | null;
}

// huggingface_hub's validate_repo_id: word characters, '-', '.', at most one '/', no '--' or
// '..', not starting or ending with '-' or '.', at most 96 characters.
const PART = /^[\w][\w.-]*$/;

function validPart(p: string): boolean {
  return PART.test(p) && !p.includes('--') && !p.includes('..') && !p.endsWith('.') && !p.endsWith('-');
}

/** `org/name[@revision]` → its parts, or null when `s` cannot be a hub model id. */
export function parseModelId(s: string): ModelId | null {
  const at = s.indexOf('@');
  const repoId = at < 0 ? s : s.slice(0, at);
  const revision = at < 0 ? null : s.slice(at + 1);
  if (revision !== null && (revision === '' || revision.includes('..') || /[\s\\:~^?*[]/.test(revision))) return null;
  if (repoId.length === 0 || repoId.length > 96) return null;
  const parts = repoId.split('/');
  if (parts.length > 2 || !parts.every(validPart)) return null;
  return { repoId, revision };
}

export function formatModelId(id: ModelId): string {
  return id.revision === null ? id.repoId : `${id.repoId}@${id.revision}`;
}
