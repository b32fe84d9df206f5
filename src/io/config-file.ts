// Config files (the pipeline's `--config run.yaml`, pretraining's `--config pretrain.yaml`): YAML
// or JSON by extension, read through the bounded reader, parse errors located as `file:line:col`
// in one line. What the keys mean is the caller's schema (src/io/validate.ts).
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { parseJson } from './validate.js';
import { READ_LIMITS, readInputText } from './read.js';

/** Parse YAML or JSON text (by extension; .yml/.yaml → YAML, else JSON, falling back to YAML). */
export function parseConfigText(text: string, file: string): unknown {
  const isYaml = /\.ya?ml$/i.test(file);
  if (!isYaml) return parseJson(text, file);
  try {
    return parseYaml(text, { uniqueKeys: true });
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const pos = e.linePos?.[0];
      const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
      throw new Error(`${where}: invalid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, { cause: e });
    }
    // the yaml package reports some problems (an alias to an unset anchor, too many alias
    // expansions) as plain errors while building the value: still the user's file, in one line
    throw new Error(`${file}: invalid YAML: ${String((e as Error).message ?? e).split('\n')[0]}`, { cause: e });
  }
}

/** Read and parse a YAML/JSON config file; an empty file is refused. */
export function readConfigFile(file: string): unknown {
  const text = readInputText(file, 'config', READ_LIMITS.config);
  if (text.trim() === '') throw new Error(`${file}: the config file is empty`);
  return parseConfigText(text, file);
}
