import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { languageOfLocale, setL10nBundle, type L10nBundle } from '../core/l10n';

/**
 * The CLI's language: `--lang L` first, else the POSIX order LC_ALL, LC_MESSAGES, LANG. Its
 * bundle is the extension's own (l10n/bundle.l10n.L.json beside dist/), so there is one
 * catalogue; `zh-cn` falls back to `zh`, and a language without a bundle is English.
 */
export function cliLanguage(argv: string[], env: NodeJS.ProcessEnv): { lang: string | undefined; argv: string[] } {
  const rest: string[] = [];
  let lang: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--lang') lang = argv[++i] ?? '';
    else if (argv[i].startsWith('--lang=')) lang = argv[i].slice('--lang='.length);
    else rest.push(argv[i]);
  }
  // An empty variable does not count (POSIX), so `LC_ALL= LANG=zh_CN.UTF-8` is Chinese.
  return { lang: languageOfLocale(lang ?? (env.LC_ALL || env.LC_MESSAGES || env.LANG)), argv: rest };
}

/** Loads the bundle of `lang` for core and CLI texts; English when there is none. */
export function loadCliBundle(lang: string | undefined, dir = join(__dirname, '..', 'l10n')): void {
  if (!lang || lang === 'en' || lang.startsWith('en-')) return setL10nBundle(undefined);
  for (const l of [lang, lang.split('-')[0]]) {
    try {
      return setL10nBundle(JSON.parse(readFileSync(join(dir, `bundle.l10n.${l}.json`), 'utf8')) as L10nBundle);
    } catch {
      // no bundle for this spelling: try the next, else English
    }
  }
  setL10nBundle(undefined);
}
