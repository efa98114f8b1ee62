// Which objects a Bucket artifact leaves out, as source-controller decides it: the patterns of
// a `.sourceignore` object at the bucket root (not under the prefix), then spec.ignore, which
// comes last and so takes precedence; gitignore syntax, matched against the whole key.
// Flux adds no default patterns for buckets (unlike Git, which ignores VCS files by default).
import ignore from 'ignore';

/** The key of the ignore file that source-controller reads from the bucket root. */
export const SOURCE_IGNORE_KEY = '.sourceignore';

export interface IgnoreRules {
  /** True when the object must not be part of the artifact. */
  ignores(key: string): boolean;
}

export function ignoreRules(sourceIgnore: string | undefined, specIgnore: string | undefined): IgnoreRules {
  // allowRelativePaths: hostile keys ("../x") must reach the path check, not crash the matcher.
  const ig = ignore({ allowRelativePaths: true });
  if (sourceIgnore) ig.add(sourceIgnore);
  if (specIgnore) ig.add(specIgnore);
  return {
    ignores(key) {
      // Directory placeholders and the ignore file itself are never content.
      if (key.endsWith('/') || key === SOURCE_IGNORE_KEY) return true;
      return ig.ignores(key.replace(/^\/+/, ''));
    },
  };
}
