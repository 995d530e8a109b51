/**
 * The message catalogue of the engine and the CLI: the same bundle format and the same
 * `{0}` / `{name}` placeholders as `vscode.l10n.t` and `@vscode/l10n`, so one file per language
 * (l10n/bundle.l10n.LANG.json) serves the extension, its webviews, the core and the CLI.
 * Pure: the bundle is handed in by whoever runs the engine (the extension from
 * `vscode.l10n.bundle`, the CLI from the file of its locale); without one, English.
 */

export type L10nBundle = Record<string, string | { message: string; comment?: string[] }>;
export type L10nArg = string | number | boolean;

let bundle: L10nBundle | undefined;

/** Sets (or with `undefined` clears) the bundle every later `t` call reads. */
export function setL10nBundle(next: L10nBundle | undefined): void {
  bundle = next;
}

/**
 * The translation of `message`, its placeholders filled: `{0}`… from positional arguments, or
 * `{name}` from one record. A message missing from the bundle is its English self.
 */
export function t(message: string, ...args: L10nArg[] | [Record<string, L10nArg>]): string {
  const entry = bundle?.[message];
  const text = entry === undefined ? message : typeof entry === 'string' ? entry : entry.message;
  if (args.length === 0) return text;
  const named = typeof args[0] === 'object' ? (args[0] as Record<string, L10nArg>) : undefined;
  // Placeholders found by hand: a replace() with a callback made a tenth of a timeline of a
  // thousand small dumps. As that replace of /\{([^{}]+)\}/ did, a key absent from the
  // arguments stays as written.
  let out = '';
  let done = 0;
  for (let open = text.indexOf('{'); open >= 0; open = text.indexOf('{', open + 1)) {
    const close = text.indexOf('}', open + 1);
    if (close < 0) break;
    const key = text.slice(open + 1, close);
    if (key.length === 0 || key.includes('{')) continue;
    let value: L10nArg;
    if (named) {
      if (!(key in named)) continue;
      value = named[key];
    } else {
      const i = Number(key);
      if (String(i) !== key || !(i >= 0 && i < args.length)) continue;
      value = args[i] as L10nArg;
    }
    out += text.slice(done, open) + String(value);
    done = close + 1;
    open = close;
  }
  return done === 0 ? text : out + text.slice(done);
}

/**
 * Marks an English message for the catalogue (the extractor reads `mark('…')` as it reads
 * `t('…')`) and returns it untranslated: for text kept as data that JSON output and tests read in
 * English, such as a malformed line's reason. `tMarked` shows it in the catalogue's language.
 */
export function mark(message: string): string {
  return message;
}

/** The translation of a message marked with `mark` where it was written. */
export function tMarked(message: string): string {
  return t(message);
}

/**
 * The catalogue language of a POSIX locale name (`zh_CN.UTF-8` → `zh-cn`, `C` → undefined):
 * VS Code's spelling, lower case with a hyphen, the codeset and modifier dropped.
 */
export function languageOfLocale(locale: string | undefined): string | undefined {
  if (!locale) return undefined;
  const lang = locale.split(/[.@]/)[0].replace('_', '-').toLowerCase();
  return lang === '' || lang === 'c' || lang === 'posix' ? undefined : lang;
}
