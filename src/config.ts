import * as vscode from 'vscode';
import type { AnalyzeOptions } from './core/types';
import { SETTINGS_SECTION, Settings } from './constants';

/** Typed access to the extension's settings (IDs in constants.ts, defaults in package.json). */
export function setting<T>(key: (typeof Settings)[keyof typeof Settings], scope?: vscode.ConfigurationScope): T {
  return vscode.workspace.getConfiguration(SETTINGS_SECTION, scope).get<T>(key) as T;
}

/** Analysis options from the settings: default limit and thresholds. */
export function analyzeOptions(scope?: vscode.ConfigurationScope): AnalyzeOptions {
  return {
    defaultMaxMapCount: setting<number>(Settings.defaultMaxMapCount, scope),
    warnRatio: setting<number>(Settings.warnRatio, scope),
    errorRatio: setting<number>(Settings.errorRatio, scope),
  };
}

/** True when a settings change touches the analysis. */
export function affectsAnalysis(e: vscode.ConfigurationChangeEvent): boolean {
  return [Settings.defaultMaxMapCount, Settings.warnRatio, Settings.errorRatio].some((k) =>
    e.affectsConfiguration(`${SETTINGS_SECTION}.${k}`),
  );
}
