// What a reader returns: one example per record, labels already mapped to indices of the
// task's label set. `where` ("file:line") travels with the example so later stages
// (tokenisation, prediction output) can point at the input line.

/** A text for sequence classification (label = index into the label set) or unlabelled text (label null). */
export interface TextExample {
  kind: 'text';
  text: string;
  label: number | null;
  id: string | null;
  where: string;
}

/** A pre-split sentence for token classification (tags = one label index per word, or null if unlabelled). */
export interface TaggedExample {
  kind: 'tagged';
  words: string[];
  tags: number[] | null;
  id: string | null;
  where: string;
}

export type Example = TextExample | TaggedExample;

export { IGNORE_INDEX } from '../tensor/index.js';
