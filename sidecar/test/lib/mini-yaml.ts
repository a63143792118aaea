/**
 * A tiny reader for the YAML subset traefikDynamicSnippet writes (block mappings and sequences,
 * JSON-style scalars, `[]`/`{}`, `#` comment lines), so tests can check the snippet round-trips
 * into the same policy. Not a general YAML parser.
 */
type Value = unknown;

interface Line {
  indent: number;
  text: string;
}

function scalar(text: string): Value {
  if (text === '[]') return [];
  if (text === '{}') return {};
  return JSON.parse(text);
}

export function parseMiniYaml(source: string): Value {
  const lines: Line[] = source
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))
    .map((l) => ({ indent: l.length - l.trimStart().length, text: l.trim() }));
  let i = 0;

  function block(indent: number): Value {
    if (lines[i].text.startsWith('- ') || lines[i].text === '-') return sequence(indent);
    return mapping(indent);
  }

  function entry(text: string, indent: number, into: Record<string, Value>): void {
    const m = /^([A-Za-z0-9_.-]+):(?: (.*))?$/.exec(text);
    if (!m) throw new Error(`bad mapping line: ${text}`);
    if (m[2] !== undefined) into[m[1]] = scalar(m[2]);
    else into[m[1]] = block(lines[i].indent);
    void indent;
  }

  function mapping(indent: number): Record<string, Value> {
    const out: Record<string, Value> = {};
    while (i < lines.length && lines[i].indent === indent && !lines[i].text.startsWith('- ')) {
      const { text } = lines[i++];
      entry(text, indent, out);
    }
    return out;
  }

  function sequence(indent: number): Value[] {
    const out: Value[] = [];
    while (i < lines.length && lines[i].indent === indent && lines[i].text.startsWith('- ')) {
      const rest = lines[i].text.slice(2);
      if (/^[A-Za-z0-9_.-]+:/.test(rest)) {
        // "- key: value" opens a mapping whose keys sit two columns further in
        const obj: Record<string, Value> = {};
        i++;
        entry(rest, indent + 2, obj);
        while (i < lines.length && lines[i].indent === indent + 2) entry(lines[i++].text, indent + 2, obj);
        out.push(obj);
      } else {
        i++;
        out.push(scalar(rest));
      }
    }
    return out;
  }

  const value = block(0);
  if (i !== lines.length) throw new Error(`unparsed line: ${lines[i].text}`);
  return value;
}
