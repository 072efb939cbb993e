/** Decides which namespaces a provider reads, from `namespaces.include`/`exclude`. */
export class NamespaceFilter {
  private readonly include: RegExp[];
  private readonly exclude: RegExp[];

  constructor(include: string[], exclude: string[]) {
    this.include = include.map(globToRegExp);
    this.exclude = exclude.map(globToRegExp);
    this.literalIncludes = include.filter(p => !/[*?]/.test(p));
    this.includesOnlyLiterals =
      include.length > 0 && this.literalIncludes.length === include.length;
  }

  /** The include entries that are plain names (not globs). */
  readonly literalIncludes: string[];

  /** True when `include` lists names only: per-namespace lists then suffice. */
  readonly includesOnlyLiterals: boolean;

  matches(namespace: string): boolean {
    if (this.include.length > 0 && !this.include.some(r => r.test(namespace))) {
      return false;
    }
    return !this.exclude.some(r => r.test(namespace));
  }
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map(c => {
      if (c === '*') return '.*';
      if (c === '?') return '.';
      return c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${body}$`);
}
