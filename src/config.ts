import * as vscode from 'vscode';
import type { AnalyzeOptions } from './core/types';
import { SETTINGS_SECTION, Settings } from './constants';

/** Typed access to the extension's settings (IDs in constants.ts, defaults in package.json). */
export function setting<T>(key: (typeof Settings)[keyof typeof Settings], scope?: vscode.ConfigurationScope): T {
  return vscode.workspace.getConfiguration(SETTINGS_SECTION, scope).get<T>(key) as T;
}

/** Analysis options from the settings: default limit and thresholds. */
export function analyzeOptions(scope?: vscode.ConfigurationScope): AnalyzeOptions {
  // Workspace settings come with the folder (Restricted Mode too): only values in range count.
  const inRange = (v: unknown, min: number, max: number) => (typeof v === 'number' && v >= min && v <= max ? v : undefined);
  const limit = inRange(setting<number>(Settings.defaultMaxMapCount, scope), 1, 2147483647);
  return {
    defaultMaxMapCount: limit === undefined ? undefined : Math.floor(limit),
    warnRatio: inRange(setting<number>(Settings.warnRatio, scope), 0, 1),
    errorRatio: inRange(setting<number>(Settings.errorRatio, scope), 0, 1),
  };
}

/** True when a settings change touches the analysis. */
export function affectsAnalysis(e: vscode.ConfigurationChangeEvent): boolean {
  return [Settings.defaultMaxMapCount, Settings.warnRatio, Settings.errorRatio].some((k) => e.affectsConfiguration(`${SETTINGS_SECTION}.${k}`));
}
