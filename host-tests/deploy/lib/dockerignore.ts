// .dockerignore matching as Docker's builder does it (moby/patternmatcher): a path is excluded by
// a pattern that matches it or one of its parent directories, `!` patterns re-include, and the
// last pattern that matches decides. `*` and `?` stay within one path element, `**` crosses them.

interface Pattern {
  exclude: boolean;
  regex: RegExp;
}

function toRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` matches zero or more directories, a trailing `**` everything below
      if (pattern[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function clean(path: string): string {
  return path.replace(/^\.\//, '').replace(/^\/+/, '').replace(/\/+$/, '');
}

export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const patterns: Pattern[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const exclude = !trimmed.startsWith('!');
    patterns.push({ exclude, regex: toRegex(clean(exclude ? trimmed : trimmed.slice(1).trim())) });
  }
  return (path: string) => {
    const parts = clean(path).split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const pattern of patterns) {
      if (candidates.some((candidate) => pattern.regex.test(candidate))) excluded = pattern.exclude;
    }
    return excluded;
  };
}
