// A Dockerfile reader for the checks in deploy-files.test.ts: instructions per build stage, with
// line continuations joined and comments dropped (parser directives such as `# syntax=` too).

export interface Instruction {
  keyword: string;
  /** everything after the keyword, continuation lines joined with a space */
  args: string;
  line: number;
}

export interface Stage {
  /** the image or stage it starts from, with global ARG defaults substituted */
  base: string;
  name?: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

function logicalLines(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    const trimmed = raw.trim();
    if (pending === '' && (trimmed === '' || trimmed.startsWith('#'))) continue;
    // comment lines inside a continued instruction are ignored as well
    if (pending !== '' && trimmed.startsWith('#')) continue;
    if (pending === '') start = i + 1;
    if (trimmed.endsWith('\\')) {
      pending += `${trimmed.slice(0, -1).trim()} `;
      continue;
    }
    const full = (pending + trimmed).trim();
    pending = '';
    const space = full.search(/\s/);
    out.push({
      keyword: (space === -1 ? full : full.slice(0, space)).toUpperCase(),
      args: space === -1 ? '' : full.slice(space + 1).trim(),
      line: start,
    });
  }
  if (pending !== '') throw new Error('Dockerfile ends inside a continued line');
  return out;
}

function substitute(text: string, args: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, a: string | undefined, b: string | undefined) => args[(a ?? b)!] ?? m);
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of logicalLines(text)) {
    if (instruction.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`line ${instruction.line}: cannot read FROM ${instruction.args}`);
      stages.push({ base: substitute(match[1]!, globalArgs), name: match[2], instructions: [] });
      continue;
    }
    if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') throw new Error(`line ${instruction.line}: ${instruction.keyword} before FROM`);
      const [name, value = ''] = instruction.args.split('=', 2) as [string, string?];
      globalArgs[name.trim()] = value.trim();
      continue;
    }
    stages[stages.length - 1]!.instructions.push(instruction);
  }
  return { globalArgs, stages };
}

/** The JSON (exec) form of CMD / ENTRYPOINT / HEALTHCHECK CMD, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.trim().startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) throw new Error(`not a JSON string array: ${args}`);
  return parsed;
}

export interface CopyInstruction {
  /** the stage copied from (`--from=`), undefined for the build context */
  from?: string;
  sources: string[];
  destination: string;
}

export function parseCopy(args: string): CopyInstruction {
  const words = args.split(/\s+/);
  let from: string | undefined;
  const rest: string[] = [];
  for (const word of words) {
    if (word.startsWith('--from=')) from = word.slice('--from='.length);
    else if (!word.startsWith('--')) rest.push(word);
  }
  if (rest.length < 2) throw new Error(`COPY needs a source and a destination: ${args}`);
  return { from, sources: rest.slice(0, -1), destination: rest[rest.length - 1]! };
}

/** `ENV A=1 B=2` (the form these Dockerfiles use) as a map. */
export function parseEnv(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of args.split(/\s+/)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`ENV ${args}: use NAME=value`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export function instructions(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

/** The HEALTHCHECK's command (exec form), its options removed. */
export function healthcheckCommand(args: string): string[] | undefined {
  const at = args.search(/\bCMD\b/);
  if (at === -1) return undefined;
  return execForm(args.slice(at + 3).trim());
}
